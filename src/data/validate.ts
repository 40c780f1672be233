/**
 * Cross-file checks, counts and statistics of a loaded collection.
 *
 * `assembleDataset` joins what the readers produced into a `Dataset` and reports, as counted warnings:
 * judgments for documents missing from the corpus (kept: like trec_eval, they stay relevant documents
 * that no system can retrieve, so recall is capped honestly) and judgments for queries missing from the
 * queries file (kept in `qrels`; no run can hold them, so they only count under `--complete`). It reports
 * as infos: queries without a judgment in the split (normal for BEIR, whose queries.jsonl holds every
 * split: they are left out of `Dataset.queries`) and queries whose id is also a corpus document id
 * (ArguAna, Quora: BEIR drops such self-hits before scoring; CONVENTIONS §6), with how many of them also
 * share the text, which tells a real self-match from a numbering coincidence.
 *
 * `Dataset.queries` holds the split's queries: those of the queries file with at least one judgment in
 * the split, in file order (BEIR's GenericDataLoader keeps the same set).
 */
import { createHash } from 'node:crypto';
import type { Diagnostics } from './diagnostics.js';
import { docText, type Dataset, type DatasetCounts, type DatasetFile, type Doc, type Qrels, type Query, type ReadWarning } from './types.js';

export interface DatasetParts {
  name: string;
  path: string;
  split: string;
  format: 'beir' | 'csv' | 'mteb';
  corpus: Doc[];
  /** Every query of the queries file, in file order. */
  queries: Query[];
  qrels: Qrels;
  qrelsRows: number;
  /** corpus, queries, qrels, in that order. */
  files: DatasetFile[];
}

/** SHA-256 over `role<TAB>sha256<LF>` of each file, in the given order: independent of where the files lie. */
export function contentHash(files: DatasetFile[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.role}\t${f.sha256}\n`);
  return h.digest('hex');
}

export function assembleDataset(parts: DatasetParts, diag: Diagnostics): Dataset {
  const fileOf = (role: DatasetFile['role']): string => parts.files.find((f) => f.role === role)?.path ?? role;
  const qrelsFile = fileOf('qrels');
  const queriesFile = fileOf('queries');
  const docsById = new Map<string, Doc>();
  for (const d of parts.corpus) docsById.set(d.id, d);
  const queryIds = new Set(parts.queries.map((q) => q.id));

  let missingDocRows = 0;
  const missingDocs = new Set<string>();
  const missingDocExamples: string[] = [];
  const missingQueries: string[] = [];
  const judgedDocs = new Set<string>();
  let queriesWithRelevant = 0;
  for (const [qid, docs] of parts.qrels) {
    if (!queryIds.has(qid)) missingQueries.push(qid);
    let relevant = false;
    for (const [docid, grade] of docs) {
      judgedDocs.add(docid);
      if (grade > 0) relevant = true;
      if (!docsById.has(docid)) {
        missingDocRows += 1;
        missingDocs.add(docid);
        if (missingDocExamples.length < diag.maxExamples) missingDocExamples.push(`query ${qid} -> document ${docid}`);
      }
    }
    if (relevant) queriesWithRelevant += 1;
  }
  if (missingDocRows > 0) {
    diag.warn(
      'judged-doc-missing',
      qrelsFile,
      `judgments (${missingDocs.size} distinct documents) that point to documents missing from the corpus (kept: they stay relevant documents no system can retrieve, as in trec_eval)`,
      missingDocExamples,
      missingDocRows,
    );
  }
  if (missingQueries.length > 0) {
    diag.warn(
      'judged-query-missing',
      qrelsFile,
      `judged queries that are missing from the queries file (their judgments are kept, but no run can answer them; they only count with --complete)`,
      missingQueries.slice(0, diag.maxExamples),
      missingQueries.length,
    );
  }

  const queries = parts.queries.filter((q) => parts.qrels.has(q.id));
  const unjudged = parts.queries.length - queries.length;
  if (unjudged > 0) {
    diag.info(
      'queries-without-judgments',
      queriesFile,
      `queries without any judgment in split \`${parts.split}\` (left out of this split; normal for BEIR, whose queries file holds every split)`,
      parts.queries.filter((q) => !parts.qrels.has(q.id)).slice(0, diag.maxExamples).map((q) => q.id),
      unjudged,
    );
  }

  const shared = queries.filter((q) => docsById.has(q.id));
  if (shared.length > 0) {
    const sameText = shared.filter((q) => {
      const d = docsById.get(q.id)!;
      const t = q.text.trim();
      return t === d.text.trim() || t === docText(d).trim();
    }).length;
    diag.info(
      'query-id-in-corpus',
      queriesFile,
      `queries of split \`${parts.split}\` whose id is also a corpus document id, ${sameText} of them with the same text (same text: a self-match as in ArguAna and Quora, where BEIR drops hits whose id equals the query id; different text: most likely a numbering coincidence)`,
      shared.slice(0, diag.maxExamples).map((q) => q.id),
      shared.length,
    );
  }

  const counts: DatasetCounts = {
    docs: parts.corpus.length,
    queries: queries.length,
    queriesInFile: parts.queries.length,
    judgedQueries: parts.qrels.size,
    queriesWithRelevant,
    qrels: parts.qrelsRows,
    judgedDocs: judgedDocs.size,
  };
  return {
    name: parts.name,
    path: parts.path,
    split: parts.split,
    format: parts.format,
    corpus: parts.corpus,
    queries,
    qrels: parts.qrels,
    warnings: diag.toWarnings(),
    sha256: contentHash(parts.files),
    counts,
    files: parts.files,
  };
}

// ---------------------------------------------------------------------------------------------------
// Statistics

export interface Distribution {
  mean: number;
  median: number;
  min: number;
  max: number;
}

export interface DatasetStats extends DatasetCounts {
  name: string;
  split: string;
  path: string;
  sha256?: string;
  /** Judgment rows per grade, grades ascending. */
  grades: GradeCount[];
  /** Words (whitespace-separated tokens) in title + " " + text. */
  docWords: Distribution;
  /** Words in the split's queries. */
  queryWords: Distribution;
  /** Judgment rows per judged query. */
  judgmentsPerQuery: Distribution;
  /** Judgments with grade > 0 per judged query. */
  relevantPerQuery: Distribution;
}

/** Number of maximal runs of non-whitespace characters (what `wc -w` counts). */
export function wordCount(s: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x85 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      n += 1;
    }
  }
  return n;
}

/** Mean, median (mean of the two middle values for an even count), min and max; zeros for no values. */
export function distribution(values: number[]): Distribution {
  if (values.length === 0) return { mean: 0, median: 0, min: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const mid = n >> 1;
  const median = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { mean: sum / n, median, min: sorted[0], max: sorted[n - 1] };
}

export interface GradeCount {
  grade: number;
  count: number;
}

/** Judgment rows per grade of a qrels map, grades in ascending numeric order. */
export function gradeHistogram(qrels: Qrels): GradeCount[] {
  const counts = new Map<number, number>();
  for (const docs of qrels.values()) for (const g of docs.values()) counts.set(g, (counts.get(g) ?? 0) + 1);
  return [...counts.keys()].sort((a, b) => a - b).map((grade) => ({ grade, count: counts.get(grade)! }));
}

/** `-1: 1, 0: 1, 1: 4` */
export function formatGrades(grades: GradeCount[]): string {
  return grades.map((g) => `${g.grade}: ${g.count}`).join(', ');
}

export function datasetStats(ds: Dataset): DatasetStats {
  const counts = ds.counts ?? countsOf(ds);
  const perQuery: number[] = [];
  const relPerQuery: number[] = [];
  for (const docs of ds.qrels.values()) {
    perQuery.push(docs.size);
    let rel = 0;
    for (const g of docs.values()) if (g > 0) rel += 1;
    relPerQuery.push(rel);
  }
  return {
    name: ds.name,
    split: ds.split,
    path: ds.path,
    ...(ds.sha256 ? { sha256: ds.sha256 } : {}),
    ...counts,
    grades: gradeHistogram(ds.qrels),
    docWords: distribution(ds.corpus.map((d) => wordCount(docText(d)))),
    queryWords: distribution(ds.queries.map((q) => wordCount(q.text))),
    judgmentsPerQuery: distribution(perQuery),
    relevantPerQuery: distribution(relPerQuery),
  };
}

/** Counts of a Dataset built by hand (without `counts`). */
export function countsOf(ds: Dataset): DatasetCounts {
  let rows = 0;
  let withRel = 0;
  const judged = new Set<string>();
  for (const docs of ds.qrels.values()) {
    rows += docs.size;
    let rel = false;
    for (const [d, g] of docs) {
      judged.add(d);
      if (g > 0) rel = true;
    }
    if (rel) withRel += 1;
  }
  return {
    docs: ds.corpus.length,
    queries: ds.queries.length,
    queriesInFile: ds.queries.length,
    judgedQueries: ds.qrels.size,
    queriesWithRelevant: withRel,
    qrels: rows,
    judgedDocs: judged.size,
  };
}

// ---------------------------------------------------------------------------------------------------
// Validation verdict

export interface ValidationReport {
  /** No error and no warning (infos do not count). */
  clean: boolean;
  errors: ReadWarning[];
  warnings: ReadWarning[];
  infos: ReadWarning[];
  grades: GradeCount[];
}

/** Splits a dataset's findings by severity; `clean` is what `rbench datasets validate` exits 0 on. */
export function validationReport(ds: Dataset): ValidationReport {
  const by = (s: 'error' | 'warning' | 'info'): ReadWarning[] => ds.warnings.filter((w) => (w.severity ?? 'warning') === s);
  const errors = by('error');
  const warnings = by('warning');
  return { clean: errors.length === 0 && warnings.length === 0, errors, warnings, infos: by('info'), grades: gradeHistogram(ds.qrels) };
}
