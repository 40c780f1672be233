/**
 * Plain CSV/TSV corpora, queries and qrels (optionally gzip), parsed by papaparse in streaming mode,
 * with configurable column names. The first row is the header; a cell is addressed by its column name.
 *
 * - Delimiter: given, or `auto`: tab for `.tsv[.gz]`, comma for `.csv[.gz]`, else papaparse's guess.
 * - Quoted fields (RFC 4180) may hold delimiters and line breaks; line numbers in messages are the
 *   line where the record starts, counting the breaks inside quoted fields.
 * - Text comes from `readLines`, so gzip, CRLF, the BOM and bad UTF-8 are handled as everywhere else
 *   (a CRLF inside a quoted field becomes LF).
 * - A blank line is skipped with a counted warning; a row with more or fewer fields than the header, or
 *   with broken quoting, is a line-level defect.
 * - Defaults follow BEIR/MTEB names: corpus `_id`, `title` (optional), `text`; queries `_id`, `text`;
 *   qrels `query-id`, `corpus-id`, `score`. `gradeColumn: null` reads a file that lists only relevant
 *   pairs (grade 1 each).
 */
import Papa from 'papaparse';
import { Readable } from 'node:stream';
import { UsageError } from '../errors.js';
import type { CorpusReader, CorpusSummary, ReadOptions } from './corpus.js';
import { Diagnostics, excerpt, quoteExcerpt } from './diagnostics.js';
import { readLines, type FileDigest, type LineReader } from './io.js';
import { checkGrade, checkId, DocChecks, QrelsCollector, QueryChecks, requireRecords } from './records.js';
import type { Doc, Query } from './types.js';

export interface CsvCorpusColumns {
  idColumn?: string;
  textColumn?: string;
  /** `null`: the corpus has no titles. Default `title` when the header has it. */
  titleColumn?: string | null;
}

export interface CsvQueryColumns {
  idColumn?: string;
  textColumn?: string;
}

export interface CsvQrelsColumns {
  queryIdColumn?: string;
  docIdColumn?: string;
  /** `null`: every listed pair is relevant with grade 1. */
  gradeColumn?: string | null;
}

export interface CsvOptions {
  /** `auto` (default) or the delimiter character. */
  delimiter?: string;
}

const CSV_EXT = /\.(csv|tsv)(\.gz)?$/i;

export function isCsvPath(p: string): boolean {
  return CSV_EXT.test(p);
}

function delimiterFor(file: string, given: string | undefined): string {
  if (given !== undefined && given !== 'auto') {
    if (given === '\\t' || given === 'tab') return '\t';
    return given;
  }
  if (/\.tsv(\.gz)?$/i.test(file)) return '\t';
  if (/\.csv(\.gz)?$/i.test(file)) return ',';
  return ''; // papaparse guesses
}

/** A parsed CSV record: its cells and the line it starts on. */
export interface CsvRecord {
  cells: string[];
  line: number;
}

const TEXT_BATCH = 1 << 16;
const HIGH_WATER = 2048;
const LOW_WATER = 256;

/** Text of the file in batches of whole lines, LF-terminated; bad UTF-8 is reported per line. */
async function* textOf(lines: LineReader, diag: Diagnostics): AsyncGenerator<string> {
  let batch = '';
  for await (const { text, line, invalidUtf8 } of lines) {
    if (invalidUtf8) {
      // The line stays (with U+FFFD) so that quoting is not thrown off; the defect is recorded.
      diag.defect('invalid-utf8', lines.file, line, 'this line is not valid UTF-8.', 'Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`).', 'lines that are not valid UTF-8');
    }
    batch += text + '\n';
    if (batch.length >= TEXT_BATCH) {
      yield batch;
      batch = '';
    }
  }
  if (batch.length > 0) yield batch;
}

interface StepItem {
  data: string[];
  errors: Papa.ParseError[];
}

/**
 * Bridges papaparse's push-style streaming (a `step` callback per row, with pause/resume) to an async
 * iterator with backpressure: parsing pauses while HIGH_WATER rows wait and resumes below LOW_WATER.
 */
async function* papaRows(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<StepItem> {
  const queue: StepItem[] = [];
  let head = 0;
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let parser: Papa.Parser | undefined;
  let paused = false;
  const input = Readable.from(text);
  const signal = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  Papa.parse<string[]>(input, {
    delimiter,
    header: false,
    dynamicTyping: false,
    skipEmptyLines: false,
    newline: '\n',
    step: (result, p) => {
      parser = p;
      queue.push({ data: result.data, errors: result.errors });
      if (queue.length - head >= HIGH_WATER && !paused) {
        paused = true;
        p.pause();
      }
      signal();
    },
    complete: () => {
      finished = true;
      signal();
    },
    error: (e: Error) => {
      failure = e;
      finished = true;
      signal();
    },
  });
  try {
    for (;;) {
      if (head < queue.length) {
        const item = queue[head];
        head += 1;
        if (head > 4096) {
          queue.splice(0, head);
          head = 0;
        }
        if (paused && queue.length - head <= LOW_WATER) {
          paused = false;
          parser?.resume();
        }
        yield item;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!finished) {
      parser?.abort();
      input.destroy();
    }
  }
}

function countNewlines(cells: string[]): number {
  let n = 0;
  for (const c of cells) for (let i = c.indexOf('\n'); i !== -1; i = c.indexOf('\n', i + 1)) n += 1;
  return n;
}

/**
 * Records of a CSV/TSV file (header row included as the first record), with start line numbers.
 * Blank lines are skipped with a warning; quoting errors are line-level defects.
 */
export async function* readCsvRecords(lines: LineReader, opts: CsvOptions, diag: Diagnostics): AsyncGenerator<CsvRecord> {
  const file = lines.file;
  let nextLine = 1;
  for await (const { data, errors } of papaRows(textOf(lines, diag), delimiterFor(file, opts.delimiter))) {
    const line = nextLine;
    nextLine += 1 + countNewlines(data);
    if (data.length === 1 && data[0].trim() === '') {
      diag.warn('blank-line', file, 'blank lines (skipped)', `line ${line}`);
      continue;
    }
    const quoteError = errors.find((e) => e.type === 'Quotes');
    if (quoteError) {
      diag.defect(
        'csv-quotes',
        file,
        line,
        `broken quoting (${excerpt(quoteError.message)}).`,
        'A field that starts with a double quote must end with one, and quotes inside it are doubled (""); for TSV without quoting, remove the stray quote.',
        'records with broken quoting (skipped)',
      );
      continue;
    }
    yield { cells: data, line };
  }
}

interface ColumnWanted {
  /** Column name in the file. */
  name: string;
  /** Option that sets it, for the hint. */
  option: string;
  /** Absent column is fine (returns undefined cells). */
  optional?: boolean;
}

/** Reads the header and yields rows as column-name -> cell for the wanted columns. */
async function* readCsvTable<K extends string>(
  lines: LineReader,
  opts: CsvOptions,
  diag: Diagnostics,
  wanted: Record<K, ColumnWanted | null>,
): AsyncGenerator<{ cells: Record<K, string | undefined>; line: number }> {
  const file = lines.file;
  let index: Record<K, number> | undefined;
  let width = 0;
  for await (const rec of readCsvRecords(lines, opts, diag)) {
    if (index === undefined) {
      width = rec.cells.length;
      index = {} as Record<K, number>;
      for (const key of Object.keys(wanted) as K[]) {
        const w = wanted[key];
        const at = w === null ? -1 : rec.cells.indexOf(w.name);
        if (w !== null && at === -1 && !w.optional) {
          const delim = delimiterFor(file, opts.delimiter);
          // At most 20 columns, each cut to a readable length (a header row can be one huge cell).
          const shown = rec.cells.slice(0, 20).map((c) => quoteExcerpt(c, 60)).join(', ') + (rec.cells.length > 20 ? `, … (${rec.cells.length} columns)` : '');
          throw new UsageError(`the header has no column \`${w.name}\`; its columns are ${shown}.`, {
            file,
            line: rec.line,
            hint:
              rec.cells.length === 1 && delim !== '\t' && rec.cells[0].includes('\t')
                ? 'The file looks tab-separated: set `delimiter: "\\t"` or name it .tsv.'
                : `Set \`${w.option}\` to the column that holds it.`,
          });
        }
        index[key] = at;
      }
      continue;
    }
    if (rec.cells.length !== width) {
      diag.defect(
        'csv-field-count',
        file,
        rec.line,
        `the record has ${rec.cells.length} fields; the header has ${width}.`,
        'Quote fields that contain the delimiter, or fix the row.',
        'records whose number of fields differs from the header (skipped)',
      );
      continue;
    }
    const cells = {} as Record<K, string | undefined>;
    for (const key of Object.keys(index) as K[]) cells[key] = index[key] >= 0 ? rec.cells[index[key]] : undefined;
    yield { cells, line: rec.line };
  }
  if (index === undefined) throw new UsageError('is empty; expected a header row and one record per line.', { file });
}

/** Streams the documents of a CSV/TSV corpus. */
export function readCsvCorpus(file: string, columns: CsvCorpusColumns, opts: ReadOptions & CsvOptions = {}): CorpusReader {
  let last: CorpusSummary | undefined;
  async function* iterate(): AsyncGenerator<Doc> {
    const diag = opts.diagnostics ?? new Diagnostics(opts.mode ?? 'strict');
    const lines = readLines(file);
    const checks = new DocChecks(file, diag);
    const wanted = {
      id: { name: columns.idColumn ?? '_id', option: 'corpus.idColumn' },
      text: { name: columns.textColumn ?? 'text', option: 'corpus.textColumn' },
      title: columns.titleColumn === null ? null : { name: columns.titleColumn ?? 'title', option: 'corpus.titleColumn', optional: columns.titleColumn === undefined },
    };
    let docs = 0;
    for await (const { cells, line } of readCsvTable(lines, opts, diag, wanted)) {
      const id = checkId(cells.id, 'document', { file, line, field: wanted.id.name }, diag);
      if (id === undefined) continue;
      const doc: Doc = { id, title: cells.title ?? '', text: cells.text ?? '' };
      if (!checks.accept(doc, line)) continue;
      docs += 1;
      yield doc;
    }
    requireRecords(docs, file, 'documents', diag, 'only a header, or blank lines');
    last = { file, docs, digest: lines.digest()!, warnings: diag.toWarnings().filter((w) => w.file === file) };
  }
  return { file, summary: () => last, [Symbol.asyncIterator]: iterate };
}

/** All queries of a CSV/TSV queries file, in file order. */
export async function readCsvQueries(file: string, columns: CsvQueryColumns, opts: CsvOptions, diag: Diagnostics): Promise<{ queries: Query[]; digest: FileDigest }> {
  const lines = readLines(file);
  const checks = new QueryChecks(file, diag);
  const wanted = {
    id: { name: columns.idColumn ?? '_id', option: 'queries.idColumn' },
    text: { name: columns.textColumn ?? 'text', option: 'queries.textColumn' },
  };
  const queries: Query[] = [];
  for await (const { cells, line } of readCsvTable(lines, opts, diag, wanted)) {
    const id = checkId(cells.id, 'query', { file, line, field: wanted.id.name }, diag);
    if (id === undefined) continue;
    const q: Query = { id, text: cells.text ?? '' };
    if (checks.accept(q, line)) queries.push(q);
  }
  requireRecords(queries.length, file, 'queries', diag, 'only a header, or blank lines');
  return { queries, digest: lines.digest()! };
}

/** Judgments of a CSV/TSV qrels file. */
export async function readCsvQrels(file: string, columns: CsvQrelsColumns, opts: CsvOptions, diag: Diagnostics): Promise<{ collector: QrelsCollector; digest: FileDigest }> {
  const lines = readLines(file);
  const collector = new QrelsCollector(file, diag);
  const wanted = {
    qid: { name: columns.queryIdColumn ?? 'query-id', option: 'qrels.queryIdColumn' },
    docid: { name: columns.docIdColumn ?? 'corpus-id', option: 'qrels.docIdColumn' },
    grade: columns.gradeColumn === null ? null : { name: columns.gradeColumn ?? 'score', option: 'qrels.gradeColumn (or `gradeColumn: null` when every listed pair is relevant)' },
  };
  for await (const { cells, line } of readCsvTable(lines, opts, diag, wanted)) {
    const qid = checkId(cells.qid, 'query', { file, line, field: wanted.qid.name }, diag);
    if (qid === undefined) continue;
    const docid = checkId(cells.docid, 'document', { file, line, field: wanted.docid.name }, diag);
    if (docid === undefined) continue;
    let grade = 1;
    if (wanted.grade !== null) {
      const g = checkGrade(cells.grade ?? '', { file, line, field: wanted.grade.name }, diag);
      if (g === undefined) continue;
      grade = g;
    }
    collector.add(qid, docid, grade, line);
  }
  requireRecords(collector.rows, file, 'judgments', diag, 'only a header, or blank lines');
  return { collector, digest: lines.digest()! };
}
