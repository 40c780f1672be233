export { ANALYZER_NAMES, createAnalyzer, isAnalyzerName, lowerCasePerCodePoint, stripPossessive } from './analyzer.js';
export type { Analyzer, AnalyzerName, TermSink } from './analyzer.js';
export { PorterStemmer, porterStem } from './porter.js';
export { ENGLISH_STOP_WORDS } from './stopwords.js';
export { MAX_TOKEN_LENGTH, simpleTokenize, standardTokenize } from './tokenizer.js';
export type { SpanSink } from './tokenizer.js';
