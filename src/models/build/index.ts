/**
 * Building rbench's offline models: tiny deterministic test models and architecture stand-ins (see specs.ts),
 * their tokenizers and their ONNX encoders.
 */
export { buildModel, buildModels, ensureBuiltModel, builtModelDir, builtSpecsFor, expectedFiles, isUpToDate, recipeHash, tokenizerFilesFor, BUILD_VERSION, type BuildOptions, type BuildResult } from './build.js';
export { BUILT_MODELS, STAND_INS, TINY_MODELS, configJson, findBuiltSpec, type BuiltModelSpec, type TokenizerKind } from './specs.js';
export { buildEncoderGraph, expectedParameterCount, validateArch, type EncoderArch, type EncoderFamily, type EncoderHead, type WeightInit } from './encoder.js';
export { buildUnigramVocab, buildWordPieceVocab, unigramTokenizerFiles, wordPieceTokenizerFiles, bertNormalize, isBertPunctuation, type TokenizerFiles } from './tokenizers.js';
export { randomFloat32, Sfc32, type Init } from './random.js';
export { gloveWords, gloveJsonPath } from './glove-words.js';
