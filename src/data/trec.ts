/**
 * TREC run and qrels files: readers (streaming and in memory) and writers.
 *
 * Formats, exactly as trec_eval 10.0 reads them (see `shared/golden/README.md`, "Parsing"):
 * - run: `qid Q0 docno rank score tag`. Only columns 1, 3 and 5 are used; the rank column and the
 *   order of lines carry no meaning (ranking is by score, ties by docno: `src/data/order.ts`). Fields
 *   after the sixth are ignored, as trec_eval does. Blank and whitespace-only lines are skipped.
 * - qrels: `qid iter docno grade`, exactly four fields, integer grades (negative = pooled but unjudged).
 *   A blank line is an error, as in trec_eval (the final newline of the file is not a blank line).
 * - Fields are separated by any run of C whitespace (space, tab, \v, \f, \r), so CRLF files read like
 *   LF files. `#` is an ordinary character inside a line (MS MARCO ids contain it); a line whose first
 *   non-blank character is `#` is a comment and is skipped, as trec_eval 10.0 does (9.0.8 rejects it).
 *   Comment lines are counted (`commentLines`) so callers can report them.
 * - ids are compared as exact byte strings: `1`, `01` and `001` are three queries.
 * - A UTF-8 byte-order mark at the start of a file is ignored. Files may be gzip-compressed
 *   (recognised by content, not by the `.gz` name).
 *
 * Errors are `UsageError`s naming the file and line: a line with too few fields (or, for qrels, too
 * many), a score that is not a number (see `parseScore` in `trec-bytes.ts`: NaN and hex are refused), a grade that is not an
 * integer, a document listed twice for one query (both lines are named; trec_eval exits 4 there), an
 * empty file and a missing file.
 */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { quoteExcerpt } from './diagnostics.js';
import type { ByteSource } from './io.js';
import { sortTrec } from './order.js';
import {
  ByteStringTable,
  bytesToText,
  emptyFileError,
  fieldEnd,
  forEachLineRange,
  hashBytes,
  LF,
  lineEnd,
  locateLines,
  parseGrade,
  parseScoreInto,
  skipBlanks,
  sourceName,
  StopReading,
  textToBytes,
  withSource,
  type LineConsumer,
} from './trec-bytes.js';
import type { Qrels, Run } from './types.js';

/**
 * How ids are turned into strings. `utf8`: ordinary JavaScript strings (the in-memory `Run`/`Qrels`
 * types; bytes that are not UTF-8 are an error). `bytes`: one char per byte (latin1), which is exact for
 * any input and makes JavaScript's `<` equal C `strcmp` order; the fast evaluation path uses it.
 */
export type IdEncoding = 'utf8' | 'bytes';

/** One query's block of consecutive run lines, as handed to a `scanRunBlocks` callback. */
export interface RunBlock {
  qid: string;
  /** Document ids (empty when the block was not collected). Reused after the callback returns. */
  ids: string[];
  /** Scores, `scores[i]` for `ids[i]`, valid for `i < n`. Reused after the callback returns. */
  scores: Float64Array;
  /** Number of run lines in the block. */
  n: number;
  /** Whether ids and scores were collected (see `wantQuery`). */
  collected: boolean;
  /** Line number of the block's first line. */
  firstLine: number;
}

export interface ScanStats {
  lines: number;
  dataLines: number;
  commentLines: number;
  bytes: number;
  /** False when the callback stopped the scan. */
  complete: boolean;
}

/** For a qrels line of three tab-separated fields: BEIR qrels (`query-id<TAB>corpus-id<TAB>score`) without their header. */
export const BEIR_WITHOUT_HEADER_HINT =
  'Three tab-separated fields look like BEIR qrels without their header line: add `query-id<TAB>corpus-id<TAB>score` as line 1 to read the file as BEIR qrels, or write TREC qrels `qid 0 docno grade`.';

/** The column names BEIR writes on line 1 of `qrels/<split>.tsv` (MTEB's too; `_` for `-` accepted). */
const BEIR_QRELS_COLUMNS = ['query-id', 'corpus-id', 'score'];

/** Whether the tab-separated fields of a line are the BEIR qrels header `query-id<TAB>corpus-id<TAB>score`. */
export function isBeirQrelsHeader(fields: string[]): boolean {
  return fields.length === 3 && fields.every((f, i) => f.trim().toLowerCase().replace(/_/g, '-') === BEIR_QRELS_COLUMNS[i]);
}

/** Thrown by the qrels scanner when line 1 is the BEIR header: the file is BEIR qrels, read by `readJudgmentTables`. */
class BeirQrelsHeader extends Error {
  constructor() {
    super('BEIR qrels header');
  }
}

/**
 * The number of fields of the line starting at `lineStart` and the line quoted for a message (at most
 * `EXCERPT_CHARS` characters, whatever its length); `fields` are its tab-separated parts (up to 4) when
 * the line is short enough to split.
 */
function describeLine(buf: Buffer, lineStart: number, end: number): { count: number; shown: string; fields: string[] } {
  let nl = buf.indexOf(LF, lineStart);
  if (nl === -1 || nl > end) nl = end;
  let stop = nl;
  if (stop > lineStart && buf[stop - 1] === 0x0d) stop--;
  let count = 0;
  for (let p = skipBlanks(buf, lineStart, stop); p < stop; p = skipBlanks(buf, fieldEnd(buf, p, stop), stop)) count++;
  const line = buf.subarray(lineStart, stop);
  const fields = line.length <= 4096 ? line.toString('utf8').trimEnd().split('\t', 4) : [];
  return { count, shown: quoteExcerpt(line), fields };
}

const DUPLICATE_HINT = 'A document may appear once per query: remove one of the lines (trec_eval stops with "duplicate docs" here).';

declare global {
  interface Buffer {
    /** Node's internal decoder behind `toString('latin1', s, e)`, without its argument checks. */
    latin1Slice?(start: number, end: number): string;
  }
}

const HAS_LATIN1_SLICE = typeof Buffer.prototype.latin1Slice === 'function';

function decoder(encoding: IdEncoding, file: string): (buf: Buffer, s: number, e: number, line: number) => string {
  if (encoding === 'bytes') {
    return HAS_LATIN1_SLICE ? (buf, s, e) => buf.latin1Slice!(s, e) : (buf, s, e) => buf.toString('latin1', s, e);
  }
  return (buf, s, e, line) => {
    const text = buf.toString('utf8', s, e);
    if (text.includes('\uFFFD') && !Buffer.from(text, 'utf8').equals(buf.subarray(s, e))) {
      throw new UsageError(`the id ${quoteExcerpt(buf.subarray(s, e))} is not valid UTF-8.`, { file, line, hint: 'Re-encode the file as UTF-8.' });
    }
    return text;
  };
}

/**
 * The run parser: walks each byte once and groups consecutive lines of one query into a block. Query
 * ids are compared as bytes against the current block's id, so a string is made for a query id only
 * when it changes. Subclasses decide what is kept of each document line (`add`) and hand finished
 * blocks on (`flush`).
 */
abstract class RunScanner implements LineConsumer {
  lineNo = 0;
  dataLines = 0;
  commentLines = 0;
  private qidBytes = Buffer.alloc(64);
  private qidLen = -1;

  constructor(
    protected readonly file: string,
    private readonly decodeQid: (buf: Buffer, s: number, e: number, line: number) => string,
  ) {}

  /** A new query's block starts (the previous one has been flushed). */
  protected abstract begin(qid: string, line: number): void;
  /**
   * One document line of the current block: id bytes [d0, d1), score bytes [s0, s1) of `buf`. Parse the
   * score with `this.score()` (which also rejects a field that is not a number).
   */
  protected abstract add(buf: Buffer, d0: number, d1: number, s0: number, s1: number): void;

  private readonly scratch = new Float64Array(1);

  /** Parses the score bytes [s0, s1) into `out[index]` (a scratch slot by default); throws if not a number. */
  protected score(buf: Buffer, s0: number, s1: number, out: Float64Array = this.scratch, index = 0): void {
    if (!parseScoreInto(buf, s0, s1, out, index)) this.badScore(buf, s0, s1);
  }
  /** Hands the current block, if any, to the consumer. */
  abstract flush(): void;

  feed(buf: Buffer, start: number, end: number): void {
    let p = start;
    while (p < end) {
      this.lineNo++;
      p = skipBlanks(buf, p, end);
      if (p >= end) return;
      const c = buf[p];
      if (c === LF) {
        p++;
        continue;
      }
      if (c === 35 /* # */) {
        this.commentLines++;
        p = lineEnd(buf, p, end) + 1;
        continue;
      }
      // qid Q0 docno rank score tag [ignored…]: each field starts after blanks and ends at whitespace.
      const q0 = p;
      const q1 = fieldEnd(buf, q0, end);
      const f2 = skipBlanks(buf, q1, end);
      if (f2 >= end || buf[f2] === LF) this.malformed(buf, q0, end);
      const d0 = skipBlanks(buf, fieldEnd(buf, f2, end), end);
      if (d0 >= end || buf[d0] === LF) this.malformed(buf, q0, end);
      const d1 = fieldEnd(buf, d0, end);
      const f4 = skipBlanks(buf, d1, end);
      if (f4 >= end || buf[f4] === LF) this.malformed(buf, q0, end);
      const s0 = skipBlanks(buf, fieldEnd(buf, f4, end), end);
      if (s0 >= end || buf[s0] === LF) this.malformed(buf, q0, end);
      const s1 = fieldEnd(buf, s0, end);
      const f6 = skipBlanks(buf, s1, end);
      if (f6 >= end || buf[f6] === LF) this.malformed(buf, q0, end);
      p = lineEnd(buf, f6, end) + 1;

      this.dataLines++;
      if (!this.sameQid(buf, q0, q1)) this.newQuery(buf, q0, q1);
      this.add(buf, d0, d1, s0, s1);
    }
  }

  private sameQid(buf: Buffer, s: number, e: number): boolean {
    const len = e - s;
    if (len !== this.qidLen) return false;
    const q = this.qidBytes;
    for (let i = 0; i < len; i++) if (q[i] !== buf[s + i]) return false;
    return true;
  }

  private newQuery(buf: Buffer, s: number, e: number): void {
    this.flush();
    const len = e - s;
    if (len > this.qidBytes.length) this.qidBytes = Buffer.alloc(len * 2);
    buf.copy(this.qidBytes, 0, s, e);
    this.qidLen = len;
    this.begin(this.decodeQid(buf, s, e, this.lineNo), this.lineNo);
  }

  private malformed(buf: Buffer, lineStart: number, end: number): never {
    const { count, shown } = describeLine(buf, lineStart, end);
    throw new UsageError(`malformed run line: expected 6 fields \`qid Q0 docno rank score tag\`, found ${count}: ${shown}.`, {
      file: this.file,
      line: this.lineNo,
      hint: 'Fields are separated by spaces or tabs; is this a qrels file passed as --run?',
    });
  }

  private badScore(buf: Buffer, s: number, e: number): never {
    throw new UsageError(`the score ${quoteExcerpt(buf.subarray(s, e))} (column 5) is not a number.`, {
      file: this.file,
      line: this.lineNo,
      hint: 'Scores must be decimal numbers such as 12.5, -0.3 or 1e-5 (inf is accepted, NaN is not).',
    });
  }
}

/** Keeps each document's id as a string (`RunBlock`). */
class StringRunScanner extends RunScanner {
  private qid = '';
  private collect = false;
  private firstLine = 0;
  private ids: string[] = [];
  private scores = new Float64Array(1024);
  private n = 0;
  private readonly decodeId: (buf: Buffer, s: number, e: number, line: number) => string;

  constructor(
    file: string,
    encoding: IdEncoding,
    private readonly wantQuery: (qid: string) => boolean,
    private readonly onBlock: (block: RunBlock) => void,
  ) {
    const decode = decoder(encoding, file);
    super(file, decode);
    this.decodeId = decode;
  }

  protected begin(qid: string, line: number): void {
    this.qid = qid;
    this.collect = this.wantQuery(qid);
    this.firstLine = line;
    this.n = 0;
    this.ids.length = 0;
  }

  protected add(buf: Buffer, d0: number, d1: number, s0: number, s1: number): void {
    if (!this.collect) {
      this.score(buf, s0, s1);
      this.n++;
      return;
    }
    const n = this.n;
    if (n === this.scores.length) {
      const grown = new Float64Array(n * 2);
      grown.set(this.scores);
      this.scores = grown;
    }
    this.score(buf, s0, s1, this.scores, n);
    this.ids.push(this.decodeId(buf, d0, d1, this.lineNo));
    this.n++;
  }

  flush(): void {
    if (this.n === 0) return;
    const n = this.n;
    this.n = 0;
    this.onBlock({ qid: this.qid, ids: this.ids, scores: this.scores, n, collected: this.collect, firstLine: this.firstLine });
  }
}

/**
 * One query's block of consecutive run lines without a string per document: ids are bytes in an
 * arena, with their FNV-1a hash, and each is matched against the block's `ByteStringTable` (the judged
 * documents). All arrays are reused after the callback returns.
 */
export interface CompactRunBlock {
  /** Query id as a byte string. */
  qid: string;
  n: number;
  /** Whether documents were collected (the query had a table). */
  collected: boolean;
  scores: Float64Array;
  /** FNV-1a of each id's bytes. */
  idHash: Int32Array;
  /** id i occupies arena bytes [i === 0 ? 0 : idEnd[i − 1], idEnd[i]). */
  idEnd: Int32Array;
  arena: Buffer;
  /** Index of the id in the block's table, or −1. */
  match: Int32Array;
  /** Whether scores never increase along the block (the run lists the query in rank order). */
  nonIncreasing: boolean;
  firstLine: number;
}

class CompactRunScanner extends RunScanner {
  private block: CompactRunBlock = {
    qid: '',
    n: 0,
    collected: false,
    scores: new Float64Array(1024),
    idHash: new Int32Array(1024),
    idEnd: new Int32Array(1024),
    arena: Buffer.allocUnsafe(1 << 16),
    match: new Int32Array(1024),
    nonIncreasing: true,
    firstLine: 0,
  };
  private table: ByteStringTable | undefined;
  private arenaLen = 0;

  constructor(
    file: string,
    private readonly wantQuery: (qid: string) => ByteStringTable | undefined,
    private readonly onBlock: (block: CompactRunBlock) => void,
  ) {
    super(file, decoder('bytes', file));
  }

  protected begin(qid: string, line: number): void {
    const b = this.block;
    b.qid = qid;
    b.firstLine = line;
    b.n = 0;
    this.table = this.wantQuery(qid);
    b.collected = this.table !== undefined;
    b.nonIncreasing = true;
    this.arenaLen = 0;
  }

  protected add(buf: Buffer, d0: number, d1: number, s0: number, s1: number): void {
    const b = this.block;
    const n = b.n;
    b.n = n + 1;
    const table = this.table;
    if (!table) {
      this.score(buf, s0, s1);
      return;
    }
    if (n === b.scores.length) this.grow();
    const scores = b.scores;
    this.score(buf, s0, s1, scores, n);
    if (n > 0 && scores[n] > scores[n - 1]) b.nonIncreasing = false;
    let w = this.arenaLen;
    if (w + (d1 - d0) > b.arena.length) {
      const arena = Buffer.allocUnsafe(Math.max(b.arena.length * 2, w + (d1 - d0)));
      b.arena.copy(arena, 0, 0, w);
      b.arena = arena;
    }
    const arena = b.arena;
    let h = 0x811c9dc5 | 0;
    for (let i = d0; i < d1; i++) {
      const c = buf[i];
      arena[w++] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    this.arenaLen = w;
    b.idEnd[n] = w;
    b.idHash[n] = h;
    b.match[n] = table.find(buf, d0, d1, h);
  }

  private grow(): void {
    const b = this.block;
    const size = b.scores.length * 2;
    const scores = new Float64Array(size);
    scores.set(b.scores);
    b.scores = scores;
    for (const key of ['idHash', 'idEnd', 'match'] as const) {
      const a = new Int32Array(size);
      a.set(b[key]);
      b[key] = a;
    }
  }

  flush(): void {
    if (this.block.n === 0) return;
    this.onBlock(this.block);
    this.block.n = 0;
  }
}

async function scanWith(file: string | ByteSource, scanner: RunScanner): Promise<ScanStats> {
  const { bytes, stopped } = await forEachLineRange(file, scanner);
  let complete = !stopped;
  if (complete) {
    if (scanner.dataLines === 0) throw emptyFileError(sourceName(file), 'run');
    try {
      scanner.flush();
    } catch (e) {
      if (!(e instanceof StopReading)) throw e;
      complete = false;
    }
  }
  return { lines: scanner.lineNo, dataLines: scanner.dataLines, commentLines: scanner.commentLines, bytes, complete };
}

/**
 * Streams a run file and calls `onBlock` for each block of consecutive lines of one query, in file
 * order. A query whose lines are not consecutive gives several blocks. `wantQuery(qid)` decides per
 * block whether document ids and scores are collected (false saves the work for queries that will be
 * ignored; the lines are still checked). The block's arrays are reused after `onBlock` returns: copy
 * what you keep. `onBlock` may throw `StopReading` to end the scan early (`complete: false`).
 */
export async function scanRunBlocks(
  file: string | ByteSource,
  encoding: IdEncoding,
  wantQuery: (qid: string) => boolean,
  onBlock: (block: RunBlock) => void,
): Promise<ScanStats> {
  return scanWith(file, new StringRunScanner(sourceName(file), encoding, wantQuery, onBlock));
}

/**
 * `scanRunBlocks` without a string per document (`CompactRunBlock`): the fast path of `rbench eval`.
 * `wantQuery(qid)` (qid as a byte string) returns the table of ids to match in that query's block, or
 * undefined to skip collecting it.
 */
export async function scanRunBlocksCompact(
  file: string | ByteSource,
  wantQuery: (qid: string) => ByteStringTable | undefined,
  onBlock: (block: CompactRunBlock) => void,
): Promise<ScanStats> {
  return scanWith(file, new CompactRunScanner(sourceName(file), wantQuery, onBlock));
}

/**
 * The error for a (qid, docno) listed twice in `file`, naming both lines, which are found by re-reading
 * the file (an error path only: the fast path need not remember a line number per document). `qid` and
 * `doc` are in `encoding`; `atLine` is the second line when the caller knows it.
 */
export async function duplicateError(file: string | ByteSource, kind: 'run' | 'qrels', qid: string, doc: string, encoding: IdEncoding, atLine?: number): Promise<UsageError> {
  const qb = encoding === 'bytes' ? qid : textToBytes(qid);
  const db = encoding === 'bytes' ? doc : textToBytes(doc);
  const lines = await locateLines(file, 0, 2, qb, db);
  const shownQ = encoding === 'bytes' ? bytesToText(qid) : qid;
  const shownD = encoding === 'bytes' ? bytesToText(doc) : doc;
  const second = atLine ?? lines[1] ?? lines[0];
  const first = lines.find((l) => l !== second) ?? lines[0];
  const where = lines.length >= 2 ? `lines ${first} and ${second}` : `line ${second}`;
  return new UsageError(
    `${kind === 'run' ? 'the run lists' : 'the judgments list'} document ${quoteExcerpt(shownD)} twice for query ${quoteExcerpt(shownQ)} (${where}).`,
    { file: sourceName(file), line: second, hint: DUPLICATE_HINT },
  );
}

/** Reads a whole run into memory. Ids are UTF-8 strings; a document twice for one query is an error. */
export async function readRun(file: string | ByteSource): Promise<Run> {
  return readRunWith(file, 'utf8');
}

/** `readRun` with a choice of id encoding (the evaluator's fallback for runs not grouped by query). */
export async function readRunWith(file: string | ByteSource, encoding: IdEncoding, wantQuery: (qid: string) => boolean = () => true): Promise<Run> {
  return withSource(file, (source) => readRunFrom(source, encoding, wantQuery));
}

async function readRunFrom(file: ByteSource, encoding: IdEncoding, wantQuery: (qid: string) => boolean): Promise<Run> {
  const run: Run = new Map();
  const seen = new Map<string, Set<string>>();
  let dup: { qid: string; doc: string } | undefined;
  await scanRunBlocks(file, encoding, wantQuery, (b) => {
    let docs = run.get(b.qid);
    let set = seen.get(b.qid);
    if (!docs || !set) {
      docs = [];
      set = new Set();
      run.set(b.qid, docs);
      seen.set(b.qid, set);
    }
    if (!b.collected) return;
    for (let i = 0; i < b.n; i++) {
      const id = b.ids[i];
      const size = set.size;
      set.add(id);
      if (set.size === size) {
        dup = { qid: b.qid, doc: id };
        throw new StopReading();
      }
      docs.push({ id, score: b.scores[i] });
    }
  });
  if (dup) throw await duplicateError(file, 'run', dup.qid, dup.doc, encoding);
  return run;
}

/** Judgments read from a qrels file, with the counts callers report. */
export interface QrelsFile {
  qrels: Qrels;
  lines: number;
  commentLines: number;
}

/**
 * The qrels parser: exactly four fields per line, blank lines rejected (as trec_eval does), comment
 * lines skipped and counted. Query ids are compared as bytes and decoded only when they change;
 * subclasses store the judgments.
 */
abstract class QrelsScanner implements LineConsumer {
  lineNo = 0;
  dataLines = 0;
  commentLines = 0;
  /** Set when a (qid, docno) pair repeats; reading then stops. */
  dup: { qid: string; doc: string; line: number } | undefined;
  protected qid = '';
  private qidBytes = Buffer.alloc(64);
  private qidLen = -1;

  constructor(
    protected readonly file: string,
    protected readonly decode: (buf: Buffer, s: number, e: number, line: number) => string,
  ) {}

  /** Judgments of query `qid` follow (possibly not for the first time). */
  protected abstract begin(qid: string): void;
  /** Stores a judgment; returns the document id if it was already judged for this query. */
  protected abstract add(buf: Buffer, d0: number, d1: number, grade: number): string | undefined;

  feed(buf: Buffer, start: number, end: number): void {
    let p = start;
    while (p < end) {
      this.lineNo++;
      p = skipBlanks(buf, p, end);
      if (p >= end || buf[p] === LF) this.blankLine();
      if (buf[p] === 35 /* # */) {
        this.commentLines++;
        p = lineEnd(buf, p, end) + 1;
        continue;
      }
      // qid iter docno grade, and nothing after.
      const q0 = p;
      const q1 = fieldEnd(buf, q0, end);
      const f2 = skipBlanks(buf, q1, end);
      if (f2 >= end || buf[f2] === LF) this.malformed(buf, q0, end);
      const d0 = skipBlanks(buf, fieldEnd(buf, f2, end), end);
      if (d0 >= end || buf[d0] === LF) this.malformed(buf, q0, end);
      const d1 = fieldEnd(buf, d0, end);
      const g0 = skipBlanks(buf, d1, end);
      if (g0 >= end || buf[g0] === LF) this.malformed(buf, q0, end);
      const g1 = fieldEnd(buf, g0, end);
      p = skipBlanks(buf, g1, end);
      if (p < end && buf[p] !== LF) this.malformed(buf, q0, end);
      p++;

      const grade = parseGrade(buf, g0, g1);
      if (grade === undefined) {
        throw new UsageError(`the grade ${quoteExcerpt(buf.subarray(g0, g1))} (column 4) is not an integer.`, {
          file: this.file,
          line: this.lineNo,
          hint: 'Relevance grades are integers: 0 not relevant, 1, 2, … graded, negative = pooled but unjudged.',
        });
      }
      this.dataLines++;
      if (!this.sameQid(buf, q0, q1)) {
        const len = q1 - q0;
        if (len > this.qidBytes.length) this.qidBytes = Buffer.alloc(len * 2);
        buf.copy(this.qidBytes, 0, q0, q1);
        this.qidLen = len;
        this.qid = this.decode(buf, q0, q1, this.lineNo);
        this.begin(this.qid);
      }
      const dup = this.add(buf, d0, d1, grade);
      if (dup !== undefined) {
        this.dup = { qid: this.qid, doc: dup, line: this.lineNo };
        throw new StopReading();
      }
    }
  }

  private sameQid(buf: Buffer, s: number, e: number): boolean {
    const len = e - s;
    if (len !== this.qidLen) return false;
    const q = this.qidBytes;
    for (let i = 0; i < len; i++) if (q[i] !== buf[s + i]) return false;
    return true;
  }

  private blankLine(): never {
    throw new UsageError('blank line in a qrels file.', {
      file: this.file,
      line: this.lineNo,
      hint: 'Remove blank lines: trec_eval rejects them too ("Malformed line").',
    });
  }

  private malformed(buf: Buffer, lineStart: number, end: number): never {
    const { count, shown, fields } = describeLine(buf, lineStart, end);
    if (this.lineNo === 1 && isBeirQrelsHeader(fields)) throw new BeirQrelsHeader();
    let hint = 'Fields are separated by spaces or tabs.';
    if (count >= 6) hint = 'Is this a run file passed as --qrels?';
    else if (count === 3) hint = fields.length === 3 ? BEIR_WITHOUT_HEADER_HINT : 'TREC qrels have four fields: is the iteration column (usually 0) missing?';
    throw new UsageError(`malformed qrels line: expected 4 fields \`qid iter docno grade\`, found ${count}: ${shown}.`, { file: this.file, line: this.lineNo, hint });
  }
}

/** Judgments into the in-memory `Qrels` maps. */
class MapQrelsScanner extends QrelsScanner {
  readonly qrels: Qrels = new Map();
  private topic: Map<string, number> = new Map();

  protected begin(qid: string): void {
    let topic = this.qrels.get(qid);
    if (!topic) {
      topic = new Map();
      this.qrels.set(qid, topic);
    }
    this.topic = topic;
  }

  protected add(buf: Buffer, d0: number, d1: number, grade: number): string | undefined {
    const doc = this.decode(buf, d0, d1, this.lineNo);
    const size = this.topic.size;
    this.topic.set(doc, grade);
    return this.topic.size === size ? doc : undefined;
  }
}

/**
 * One judged query for the streaming evaluator: its judged document ids (byte strings) in a table that
 * run lines are matched against without making strings, and `grades[i]` for `table.keys[i]`.
 */
export interface JudgedTopic {
  table: ByteStringTable;
  grades: number[];
}

/** Judgments straight into per-query `ByteStringTable`s (ids as byte strings). */
class TableQrelsScanner extends QrelsScanner {
  readonly topics = new Map<string, JudgedTopic>();
  private topic: JudgedTopic = { table: new ByteStringTable(), grades: [] };

  protected begin(qid: string): void {
    let topic = this.topics.get(qid);
    if (!topic) {
      topic = { table: new ByteStringTable(), grades: [] };
      this.topics.set(qid, topic);
    }
    this.topic = topic;
  }

  protected add(buf: Buffer, d0: number, d1: number, grade: number): string | undefined {
    const doc = this.decode(buf, d0, d1, this.lineNo);
    if (this.topic.table.add(buf, d0, d1, hashBytes(buf, d0, d1), doc) < 0) return doc;
    this.topic.grades.push(grade);
    return undefined;
  }
}

async function scanQrels<T extends QrelsScanner>(file: string | ByteSource, scanner: (name: string) => T, encoding: IdEncoding): Promise<T> {
  return withSource(file, async (source) => {
    const s = scanner(source.name);
    await forEachLineRange(source, s);
    if (s.dup) throw await duplicateError(source, 'qrels', s.dup.qid, s.dup.doc, encoding, s.dup.line);
    if (s.dataLines === 0) throw emptyFileError(source.name, 'qrels');
    return s;
  });
}

/** Reads a qrels file with the chosen id encoding and the line counts. */
export async function readQrelsFile(file: string | ByteSource, encoding: IdEncoding = 'utf8'): Promise<QrelsFile> {
  const scanner = await scanQrels(file, (name) => new MapQrelsScanner(name, decoder(encoding, name)), encoding);
  return { qrels: scanner.qrels, lines: scanner.lineNo, commentLines: scanner.commentLines };
}

/** Reads a qrels file into memory (UTF-8 ids). */
export async function readQrels(file: string | ByteSource): Promise<Qrels> {
  return (await readQrelsFile(file, 'utf8')).qrels;
}

/** Judgments as per-query byte tables, and how the file was read (see `readJudgmentTables`). */
export interface JudgmentTables {
  topics: Map<string, JudgedTopic>;
  commentLines: number;
  /** `beir`: the first line was the BEIR header `query-id<TAB>corpus-id<TAB>score`. */
  format: 'trec' | 'beir';
  /** The BEIR reader's warnings (blank lines skipped) as `file: message`. */
  warnings: string[];
}

/**
 * Judgments for the streaming evaluator: TREC qrels (`readQrelsTables`), or BEIR qrels when line 1 is
 * BEIR's header `query-id<TAB>corpus-id<TAB>score`, read by the BEIR reader with its rules (see
 * `readBeirQrels`) and turned into the same tables. Without the header, three tab-separated fields are
 * an error whose hint names the header.
 */
export async function readJudgmentTables(file: string | ByteSource): Promise<JudgmentTables> {
  return withSource(file, async (source) => {
    try {
      const t = await readQrelsTables(source);
      return { topics: t.topics, commentLines: t.commentLines, format: 'trec', warnings: [] };
    } catch (e) {
      if (!(e instanceof BeirQrelsHeader)) throw e;
    }
    // Loaded only for BEIR input: the BEIR reader brings the JSONL and validation modules with it.
    const [{ readBeirQrels }, { Diagnostics }] = await Promise.all([import('./beir.js'), import('./diagnostics.js')]);
    const diag = new Diagnostics('strict');
    const { collector } = await readBeirQrels(source, diag);
    const topics = new Map<string, JudgedTopic>();
    for (const [qid, docs] of collector.qrels) {
      const topic: JudgedTopic = { table: new ByteStringTable(), grades: [] };
      for (const [doc, grade] of docs) {
        topic.table.addString(textToBytes(doc));
        topic.grades.push(grade);
      }
      topics.set(textToBytes(qid), topic);
    }
    return { topics, commentLines: 0, format: 'beir', warnings: diag.toWarnings().map((w) => `${w.file}: ${w.message}`) };
  });
}

/** Reads a qrels file into per-query byte tables (query ids as byte strings), for `scanRunBlocksCompact`. */
export async function readQrelsTables(file: string | ByteSource): Promise<{ topics: Map<string, JudgedTopic>; lines: number; commentLines: number }> {
  const scanner = await scanQrels(file, (name) => new TableQrelsScanner(name, decoder('bytes', name)), 'bytes');
  return { topics: scanner.topics, lines: scanner.lineNo, commentLines: scanner.commentLines };
}

function checkToken(value: string, what: string): void {
  if (value.length === 0 || /[\s]/.test(value)) {
    throw new UsageError(`cannot write ${what} ${quoteExcerpt(value)} in a TREC file: ids and tags must be non-empty and contain no whitespace.`);
  }
}

/**
 * TREC run lines for `run`: queries in the map's order, documents ranked in trec_eval order (score
 * descending, ties by docno descending in byte order) with ranks 1..n, scores at full precision
 * (`String(score)`, the shortest text that reads back as the same double; never rounded).
 * Calls `write` with pieces of at most about 1 MiB so that large runs need not become one string.
 */
export function formatRunTo(run: Run, tag: string, write: (text: string) => void): void {
  checkToken(tag, 'the run tag');
  let out = '';
  for (const [qid, docs] of run) {
    checkToken(qid, 'the query id');
    const ranked = sortTrec(docs.slice());
    for (let i = 0; i < ranked.length; i++) {
      const d = ranked[i];
      if (Number.isNaN(d.score)) throw new UsageError(`cannot write a NaN score (query ${quoteExcerpt(qid)}, document ${quoteExcerpt(d.id)}).`);
      checkToken(d.id, 'the document id');
      out += `${qid} Q0 ${d.id} ${i + 1} ${String(d.score)} ${tag}\n`;
      if (out.length > 1 << 20) {
        write(out);
        out = '';
      }
    }
  }
  if (out.length > 0) write(out);
}

/** The whole run as TREC text (see `formatRunTo`). */
export function formatRun(run: Run, tag: string): string {
  const parts: string[] = [];
  formatRunTo(run, tag, (t) => parts.push(t));
  return parts.join('');
}

/** Qrels lines `qid 0 docno grade`, queries and documents in the maps' order. */
export function formatQrels(qrels: Qrels): string {
  const parts: string[] = [];
  for (const [qid, docs] of qrels) {
    checkToken(qid, 'the query id');
    for (const [doc, grade] of docs) {
      checkToken(doc, 'the document id');
      if (!Number.isInteger(grade)) throw new UsageError(`cannot write the non-integer grade ${grade} (query ${quoteExcerpt(qid)}, document ${quoteExcerpt(doc)}).`);
      parts.push(`${qid} 0 ${doc} ${grade}\n`);
    }
  }
  return parts.join('');
}

async function writeAtomically(file: string, produce: (write: (text: string) => void) => void): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  try {
    produce((text) => stream.write(text));
    stream.end();
    await done;
    await rename(tmp, file);
  } catch (e) {
    stream.destroy();
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/** Writes `run` as a TREC run file (see `formatRunTo`); the file appears complete or not at all. */
export async function writeRun(file: string, run: Run, tag: string): Promise<void> {
  await writeAtomically(file, (write) => formatRunTo(run, tag, write));
}

/** Writes `qrels` as a TREC qrels file; the file appears complete or not at all. */
export async function writeQrels(file: string, qrels: Qrels): Promise<void> {
  const text = formatQrels(qrels);
  await writeAtomically(file, (write) => write(text));
}
