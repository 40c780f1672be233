/**
 * Checks shared by the BEIR (JSONL + TSV) and CSV readers: ids, grades, repeated ids, empty texts and
 * repeated judgments. Every outcome goes through `Diagnostics`.
 *
 * Policies (the same for every format):
 * - Ids are exact strings (`"01"` and `"1"` differ, as in trec_eval). An id must be non-empty and hold no
 *   whitespace, because TREC run and qrels files are whitespace-separated and such an id cannot be
 *   written back or scored. A JSON integer id is accepted as its decimal string, with a counted warning.
 * - A repeated document or query id keeps its FIRST occurrence (counted warning). Keep-first is what a
 *   streaming reader can do without buffering the corpus, it is deterministic, and it never lets one id
 *   stand for two texts in a run (a run listing one id twice is an error in trec_eval). BEIR's
 *   GenericDataLoader keeps the last occurrence instead (a dict overwrite): the warning says so.
 * - A grade must be an integer (trec_eval and BEIR read integer grades; negative is allowed and means
 *   "pooled but unjudged"). `1.0` or `relevant` is a line-level defect.
 * - The same (query, document) pair judged twice is a line-level defect, as in trec_eval; BEIR silently
 *   keeps the last grade.
 */
import { UsageError } from '../errors.js';
import { excerpt, quoteExcerpt, type Diagnostics } from './diagnostics.js';
import type { Doc, Qrels, Query } from './types.js';

export type IdRole = 'document' | 'query';

export interface FieldContext {
  file: string;
  line: number;
  /** Field or column name, e.g. `_id`, `query-id`. */
  field: string;
}

const WHITESPACE = /\s/u;
const INTEGER = /^[+-]?\d+$/;

/** Describes a JSON value's type for messages: `number 3`, `null`, `array`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${quoteExcerpt(v, 40)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/**
 * An id read from a record (JSON value or CSV cell). Returns the id, or undefined after recording a
 * defect (missing, empty, not a string, containing whitespace).
 */
export function checkId(raw: unknown, role: IdRole, ctx: FieldContext, diag: Diagnostics): string | undefined {
  let id: string;
  if (typeof raw === 'string') {
    id = raw;
  } else if (typeof raw === 'number' && Number.isSafeInteger(raw)) {
    id = String(raw);
    diag.warn(
      'numeric-id',
      ctx.file,
      `${role} ids written as JSON numbers, read as their decimal strings (BEIR ids are strings; "01" and 1 would not match)`,
      `${diag.at(ctx.file, ctx.line)}: ${ctx.field} ${id}`,
    );
  } else {
    const what = raw === undefined ? `has no \`${ctx.field}\`` : `has ${describeValue(raw)} as \`${ctx.field}\``;
    diag.defect(
      raw === undefined ? 'missing-id' : 'bad-id',
      ctx.file,
      ctx.line,
      `the ${role} ${what}; every record needs a string id.`,
      `Fix or remove this ${diag.unit(ctx.file)}.`,
      `${role} ${diag.unit(ctx.file)}s without a usable string id (skipped)`,
    );
    return undefined;
  }
  if (id === '') {
    diag.defect('missing-id', ctx.file, ctx.line, `the ${role} id \`${ctx.field}\` is empty.`, `Give the record an id or remove the ${diag.unit(ctx.file)}.`, `${role} ${diag.unit(ctx.file)}s with an empty id (skipped)`);
    return undefined;
  }
  if (WHITESPACE.test(id)) {
    diag.defect(
      'id-whitespace',
      ctx.file,
      ctx.line,
      `the ${role} id ${quoteExcerpt(id)} contains whitespace, which TREC run and qrels files cannot hold.`,
      'Remove or replace the whitespace in the id (everywhere it is used).',
      `${role} ids containing whitespace (skipped)`,
    );
    return undefined;
  }
  return id;
}

/** An integer grade from a qrels cell, or undefined after recording a defect. */
export function checkGrade(raw: string, ctx: FieldContext, diag: Diagnostics): number | undefined {
  const s = raw.trim();
  if (INTEGER.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
  }
  diag.defect(
    'bad-grade',
    ctx.file,
    ctx.line,
    `the grade ${quoteExcerpt(raw)} in \`${ctx.field}\` is not an integer.`,
    'Relevance grades must be integers (0 = not relevant, 1, 2 … graded; negative = unjudged), as trec_eval and BEIR read them.',
    `judgment ${diag.unit(ctx.file)}s with a non-integer grade (skipped)`,
  );
  return undefined;
}

/**
 * Drops repeated document ids (keeping the first) and counts empty documents. `file` is the file being
 * read; a corpus in several files (parquet shards) moves it on from one to the next, so that repeated ids
 * are found across files too. `idField` names the id in messages.
 */
export class DocChecks {
  private readonly seen = new Set<string>();
  constructor(
    public file: string,
    private readonly diag: Diagnostics,
    private readonly idField = '_id',
  ) {}

  /** False for a repeated id: the caller must drop the document. */
  accept(doc: Doc, line: number): boolean {
    if (this.seen.has(doc.id)) {
      this.diag.warn(
        'duplicate-doc-id',
        this.file,
        `documents whose ${this.idField} was already used by an earlier ${this.diag.unit(this.file)}; the first occurrence was kept (BEIR keeps the last)`,
        `${this.diag.at(this.file, line)}: ${doc.id}`,
      );
      return false;
    }
    this.seen.add(doc.id);
    const emptyText = doc.text.trim() === '';
    if (emptyText && doc.title.trim() === '') {
      this.diag.warn('empty-document', this.file, 'documents with an empty title and text (kept; no retriever can find them)', `${this.diag.at(this.file, line)}: ${doc.id}`);
    } else if (emptyText) {
      this.diag.info('title-only-document', this.file, 'documents with an empty text and a title (the title is all that is indexed)', `${this.diag.at(this.file, line)}: ${doc.id}`);
    }
    return true;
  }
}

/** Drops repeated query ids (keeping the first) and counts empty queries; `file` as in DocChecks. */
export class QueryChecks {
  private readonly seen = new Set<string>();
  constructor(
    public file: string,
    private readonly diag: Diagnostics,
    private readonly idField = '_id',
  ) {}

  accept(query: Query, line: number): boolean {
    if (this.seen.has(query.id)) {
      this.diag.warn(
        'duplicate-query-id',
        this.file,
        `queries whose ${this.idField} was already used by an earlier ${this.diag.unit(this.file)}; the first occurrence was kept (BEIR keeps the last)`,
        `${this.diag.at(this.file, line)}: ${query.id}`,
      );
      return false;
    }
    this.seen.add(query.id);
    if (query.text.trim() === '') {
      this.diag.warn('empty-query', this.file, 'queries with an empty text (kept; they retrieve nothing useful)', `${this.diag.at(this.file, line)}: ${query.id}`);
    }
    return true;
  }
}

/** Builds a Qrels map from judgment rows, rejecting a (query, document) pair judged twice; `file` as in DocChecks. */
export class QrelsCollector {
  readonly qrels: Qrels = new Map();
  /** Judgment rows accepted. */
  rows = 0;
  private readonly firstLine = new Map<string, { file: string; line: number }>();

  constructor(
    public file: string,
    private readonly diag: Diagnostics,
  ) {}

  add(queryId: string, docId: string, grade: number, line: number): void {
    let docs = this.qrels.get(queryId);
    if (docs?.has(docId)) {
      const first = this.firstLine.get(`${queryId}\u0000${docId}`)!;
      const where = first.file === this.file ? this.diag.at(first.file, first.line) : `${this.diag.at(first.file, first.line)} of ${first.file}`;
      this.diag.defect(
        'duplicate-judgment',
        this.file,
        line,
        `query ${excerpt(queryId)} and document ${excerpt(docId)} are judged a second time (first at ${where}).`,
        'Keep one judgment per (query, document) pair; trec_eval rejects repeated pairs.',
        'repeated (query, document) judgments (the later ones skipped)',
      );
      return;
    }
    if (!docs) {
      docs = new Map();
      this.qrels.set(queryId, docs);
    }
    docs.set(docId, grade);
    this.firstLine.set(`${queryId}\u0000${docId}`, { file: this.file, line });
    this.rows += 1;
  }
}

/**
 * A file that yielded no record is unusable: a UsageError, except when validating and the file's lines
 * were all defective (those defects are then the report).
 */
export function requireRecords(n: number, file: string, what: 'documents' | 'queries' | 'judgments', diag: Diagnostics, why = 'the file is empty or every line was blank'): void {
  if (n > 0 || (diag.mode === 'collect' && diag.errorCount(file) > 0)) return;
  throw new UsageError(`holds no ${what} (${why}).`, { file, hint: 'Check that the file was written completely.' });
}
