/**
 * BEIR folders: `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`, each possibly gzip-compressed
 * (`corpus.jsonl.gz` …; compression is detected from the bytes, the `.gz` name only helps find the file).
 *
 * Qrels TSV rules (BEIR's own loader skips line 1 whatever it holds and crashes on a short row):
 * - line 1 must be a header of three tab-separated names whose last is not a number
 *   (`query-id<TAB>corpus-id<TAB>score`); a first line that is a judgment is an error, because taking it
 *   as a header (as BEIR does) silently loses that judgment;
 * - every other line is `query-id<TAB>corpus-id<TAB>integer grade`;
 * - blank lines are skipped with a counted warning (a stray empty line, often at the end, is harmless; it
 *   is reported so that a file cut in the middle does not pass unnoticed). trec_eval would reject them;
 *   rejecting them here would only make users delete a line by hand;
 * - a repeated (query, document) pair and a non-integer grade are line-level errors.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { Diagnostics, quoteExcerpt } from './diagnostics.js';
import { readLines, type ByteSource, type FileDigest } from './io.js';
import { readJsonlObjects, toDoc, toQuery } from './jsonl.js';
import { checkGrade, checkId, DocChecks, QrelsCollector, QueryChecks, requireRecords } from './records.js';
import type { CorpusReader, CorpusSummary, ReadOptions } from './corpus.js';
import type { Dataset, Doc, Query } from './types.js';
import { assembleDataset } from './validate.js';

/** Where the members of a BEIR folder are. */
export interface BeirLayout {
  folder: string;
  corpus: string;
  queries: string;
  /** split name -> qrels file, e.g. `test` -> `<folder>/qrels/test.tsv`. */
  qrels: Record<string, string>;
}

const QRELS_EXT = /\.tsv(\.gz)?$/;

/** `name` or `name.gz` in `folder`; both present is ambiguous. */
function member(folder: string, name: string): string | undefined {
  const plain = path.join(folder, name);
  const gz = `${plain}.gz`;
  const hasPlain = existsSync(plain) && statSync(plain).isFile();
  const hasGz = existsSync(gz) && statSync(gz).isFile();
  if (hasPlain && hasGz) {
    throw new UsageError(`holds both ${name} and ${name}.gz, so it is unclear which to read.`, { file: folder, hint: 'Remove one of them.' });
  }
  return hasPlain ? plain : hasGz ? gz : undefined;
}

function listing(folder: string): string {
  try {
    const names = readdirSync(folder, { withFileTypes: true })
      .map((d) => (d.isDirectory() ? `${d.name}/` : d.name))
      .sort();
    return names.length === 0 ? 'nothing (it is empty)' : names.slice(0, 20).join(', ') + (names.length > 20 ? `, … (${names.length} entries)` : '');
  } catch {
    return 'nothing readable';
  }
}

/** Splits available in `<folder>/qrels/` (names of `*.tsv` / `*.tsv.gz`), sorted. */
export function listSplits(folder: string): string[] {
  const dir = path.join(folder, 'qrels');
  if (!existsSync(dir)) return [];
  return [...new Set(readdirSync(dir).filter((f) => QRELS_EXT.test(f)).map((f) => f.replace(QRELS_EXT, '')))].sort();
}

/** Whether `folder` looks like a BEIR folder (has a corpus member). */
export function isBeirFolder(folder: string): boolean {
  try {
    return statSync(folder).isDirectory() && (existsSync(path.join(folder, 'corpus.jsonl')) || existsSync(path.join(folder, 'corpus.jsonl.gz')));
  } catch {
    return false;
  }
}

function requireFolder(folder: string): void {
  let isDir = false;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    throw new UsageError('folder not found.', { file: folder, hint: 'Pass the path of a BEIR folder (with corpus.jsonl, queries.jsonl and qrels/).' });
  }
  if (!isDir) throw new UsageError('is a file; a BEIR dataset is a folder with corpus.jsonl, queries.jsonl and qrels/<split>.tsv.', { file: folder });
}

function missingMember(folder: string, what: string): UsageError {
  const nested = readdirSafe(folder).filter((d) => isBeirFolder(path.join(folder, d)));
  const hint =
    nested.length > 0
      ? `The BEIR folder seems to be one level down: use ${path.join(folder, nested[0])}.`
      : 'A BEIR folder holds corpus.jsonl, queries.jsonl and qrels/<split>.tsv (each may be .gz).';
  return new UsageError(`the BEIR folder has no ${what}; it holds ${listing(folder)}.`, { file: folder, hint });
}

function readdirSafe(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/** Locates corpus, queries and every split's qrels; a missing member is a UsageError that lists the folder. */
export function inspectBeirFolder(folder: string): BeirLayout {
  requireFolder(folder);
  const corpus = member(folder, 'corpus.jsonl');
  if (!corpus) throw missingMember(folder, 'corpus.jsonl');
  const queries = member(folder, 'queries.jsonl');
  if (!queries) throw missingMember(folder, 'queries.jsonl');
  const qrels: Record<string, string> = {};
  for (const split of listSplits(folder)) {
    const file = member(path.join(folder, 'qrels'), `${split}.tsv`);
    if (file) qrels[split] = file;
  }
  if (Object.keys(qrels).length === 0) {
    const dir = path.join(folder, 'qrels');
    if (!existsSync(dir)) throw missingMember(folder, 'qrels/ folder');
    throw new UsageError(`has no qrels/<split>.tsv file; it holds ${listing(dir)}.`, { file: dir, hint: 'Judgments go in qrels/test.tsv (header `query-id<TAB>corpus-id<TAB>score`).' });
  }
  return { folder, corpus, queries, qrels };
}

/** The qrels file of `split`, or a UsageError listing the splits there are. */
export function qrelsFileFor(layout: BeirLayout, split: string): string {
  const file = layout.qrels[split];
  if (file) return file;
  const splits = Object.keys(layout.qrels).sort();
  throw new UsageError(`has no split \`${split}\` (no qrels/${split}.tsv); its splits are: ${splits.join(', ')}.`, {
    file: layout.folder,
    hint: `Set \`split\` to one of them${splits.includes('test') ? ' (BEIR reports use test)' : ''}.`,
  });
}

/** The corpus file a path stands for: a BEIR folder's corpus member, or the file itself. */
export function corpusFileOf(p: string): string {
  let isDir = false;
  try {
    isDir = statSync(p).isDirectory();
  } catch {
    throw new UsageError('not found.', { file: p, hint: 'Pass a BEIR folder or a corpus.jsonl file.' });
  }
  if (!isDir) return p;
  const file = member(p, 'corpus.jsonl');
  if (!file) throw missingMember(p, 'corpus.jsonl');
  return file;
}

/**
 * Streams the documents of a BEIR corpus (`path` = a BEIR folder or a `.jsonl[.gz]` file), for indexing
 * corpora too big to hold. Repeated ids keep their first occurrence; see `summary()` for what was found.
 */
export function readJsonlCorpus(p: string, opts: ReadOptions = {}): CorpusReader {
  const file = corpusFileOf(p);
  let last: CorpusSummary | undefined;
  async function* iterate(): AsyncGenerator<Doc> {
    const diag = opts.diagnostics ?? new Diagnostics(opts.mode ?? 'strict');
    const lines = readLines(file);
    const checks = new DocChecks(file, diag);
    let docs = 0;
    for await (const rec of readJsonlObjects(lines, diag)) {
      const doc = toDoc(rec, file, diag, opts.keepMetadata ?? true);
      if (doc === undefined || !checks.accept(doc, rec.line)) continue;
      docs += 1;
      yield doc;
    }
    requireRecords(docs, file, 'documents', diag);
    last = { file, docs, digest: lines.digest()!, warnings: diag.toWarnings().filter((w) => w.file === file) };
  }
  return { file, summary: () => last, [Symbol.asyncIterator]: iterate };
}

/** All queries of a BEIR `queries.jsonl`, in file order (repeated ids keep the first). */
export async function readBeirQueries(file: string, diag: Diagnostics, keepMetadata = true): Promise<{ queries: Query[]; digest: FileDigest }> {
  const lines = readLines(file);
  const checks = new QueryChecks(file, diag);
  const queries: Query[] = [];
  for await (const rec of readJsonlObjects(lines, diag)) {
    const q = toQuery(rec, file, diag, keepMetadata);
    if (q !== undefined && checks.accept(q, rec.line)) queries.push(q);
  }
  requireRecords(queries.length, file, 'queries', diag);
  return { queries, digest: lines.digest()! };
}

const HEADER_HINT = 'BEIR qrels start with the header line `query-id<TAB>corpus-id<TAB>score`.';

/** Reads a BEIR qrels TSV (see the rules at the top of this file); `file` may be an open source (`rbench eval`). */
export async function readBeirQrels(input: string | ByteSource, diag: Diagnostics): Promise<{ collector: QrelsCollector; digest: FileDigest }> {
  const lines = readLines(input);
  const file = lines.file;
  const collector = new QrelsCollector(file, diag);
  let sawHeader = false;
  for await (const { text, line, invalidUtf8 } of lines) {
    if (!sawHeader) {
      checkHeader(text, file);
      sawHeader = true;
      continue;
    }
    if (text.trim() === '') {
      diag.warn('blank-line', file, 'blank lines (skipped)', `line ${line}`);
      continue;
    }
    if (invalidUtf8) {
      diag.defect('invalid-utf8', file, line, 'this line is not valid UTF-8.', 'Convert the file to UTF-8.', 'lines that are not valid UTF-8 (skipped)');
      continue;
    }
    const fields = text.split('\t');
    if (fields.length !== 3) {
      const ws = text.trim().split(/\s+/);
      const hint =
        fields.length === 1 && ws.length === 4
          ? 'This looks like a TREC qrels line (`qid 0 docid grade`): BEIR qrels are `query-id<TAB>corpus-id<TAB>score`; convert it, or load it as TREC qrels.'
          : fields.length === 1 && ws.length === 3
            ? 'The fields must be separated by tabs, not spaces.'
            : 'Each line must be `query-id<TAB>corpus-id<TAB>score`.';
      diag.defect('bad-columns', file, line, `expected 3 tab-separated fields, found ${fields.length}.`, hint, 'judgment lines without exactly 3 tab-separated fields (skipped)');
      continue;
    }
    const qid = checkId(fields[0], 'query', { file, line, field: 'query-id' }, diag);
    if (qid === undefined) continue;
    const docid = checkId(fields[1], 'document', { file, line, field: 'corpus-id' }, diag);
    if (docid === undefined) continue;
    const grade = checkGrade(fields[2], { file, line, field: 'score' }, diag);
    if (grade === undefined) continue;
    collector.add(qid, docid, grade, line);
  }
  if (!sawHeader) {
    throw new UsageError('is empty; expected the header line and one judgment per line.', { file, hint: HEADER_HINT });
  }
  requireRecords(collector.rows, file, 'judgments', diag, 'only the header, or blank lines');
  return { collector, digest: lines.digest()! };
}

function checkHeader(text: string, file: string): void {
  const fields = text.split('\t');
  const isInt = (s: string | undefined): boolean => s !== undefined && /^[+-]?\d+$/.test(s.trim());
  if (fields.length === 3 && !isInt(fields[2]) && fields[0].trim() !== '' && fields[1].trim() !== '') return;
  let problem: string;
  if (text.trim() === '') problem = 'line 1 is blank where the header line belongs.';
  else if (fields.length === 3 && isInt(fields[2])) problem = 'line 1 is a judgment, not the header: the file has no header line (BEIR\'s loader would skip this judgment).';
  else if (fields.length === 1 && text.trim().split(/\s+/).length === 4) problem = 'line 1 looks like a TREC qrels line (`qid 0 docid grade`), not a BEIR qrels header.';
  else problem = `line 1 is not a header of 3 tab-separated column names (found ${quoteExcerpt(text)}).`;
  throw new UsageError(problem, { file, line: 1, hint: `${HEADER_HINT} Add it as the first line.` });
}

/** Loads a BEIR folder's corpus, queries and one split's judgments, with every check of this module. */
export async function loadBeir(folder: string, split = 'test', opts: ReadOptions & { name?: string } = {}): Promise<Dataset> {
  const layout = inspectBeirFolder(folder);
  const qrelsFile = qrelsFileFor(layout, split);
  const diag = opts.diagnostics ?? new Diagnostics(opts.mode ?? 'strict');
  const keep = opts.keepMetadata ?? true;

  const corpusReader = readJsonlCorpus(layout.corpus, { diagnostics: diag, keepMetadata: keep });
  const corpus: Doc[] = [];
  for await (const doc of corpusReader) corpus.push(doc);
  const { queries, digest: queriesDigest } = await readBeirQueries(layout.queries, diag, keep);
  const { collector, digest: qrelsDigest } = await readBeirQrels(qrelsFile, diag);

  return assembleDataset(
    {
      name: opts.name ?? defaultName(folder),
      path: folder,
      split,
      format: 'beir',
      corpus,
      queries,
      qrels: collector.qrels,
      qrelsRows: collector.rows,
      files: [
        { role: 'corpus', ...corpusReader.summary()!.digest },
        { role: 'queries', ...queriesDigest },
        { role: 'qrels', ...qrelsDigest },
      ],
    },
    diag,
  );
}

/** A dataset name from its folder: `…/scifact/beir` -> `scifact`, `…/nfcorpus` -> `nfcorpus`. */
export function defaultName(folder: string): string {
  const abs = path.resolve(folder);
  const base = path.basename(abs);
  return base === 'beir' ? path.basename(path.dirname(abs)) : base;
}
