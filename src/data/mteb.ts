/**
 * MTEB / Hugging Face retrieval datasets stored as parquet: a folder holding the parquet files of a Hub
 * dataset repository, as `rbench datasets fetch <owner/name> --hub` writes it (the repository's own paths).
 *
 * A dataset repository has configs, each with splits, each with one or more parquet files (shards). The
 * retrieval layout (CONVENTIONS §2) has three configs:
 * - `corpus`: `_id` (or `id`), `title` (optional), `text`;
 * - `queries`: `_id` (or `id`), `text`;
 * - `default` or `qrels`: `query-id`, `corpus-id`, `score` (integer grades; a float column with whole
 *   numbers, as the Hub's conversion writes, is read as integers, anything else is a defect);
 * multilingual datasets prefix each with a subset: `fr-corpus`, `fr-queries`, `fr-qrels`. An optional
 * `top_ranked` config (reranking-only tasks) is reported and not used: rbench retrieves from the corpus.
 *
 * Where a file lies says its config and split; the common layouts are all read:
 * - `{config}/{split}-00000-of-00001.parquet` (what `datasets.push_to_hub` writes; MTEB's newer datasets);
 * - `{config}/{split}/0000.parquet` (the Hub's own conversion, revision `refs/convert/parquet`; SciFact's
 *   configs there are `corpus` (split `corpus`), `queries` (split `queries`), `default` (splits `train`, `test`));
 * - `data/{split}-00000-of-00001.parquet` (a single `default` config whose splits are `corpus`, `queries`
 *   and the judgment splits);
 * - `{config}.parquet` and `{config}/{split}.parquet`.
 * The judgment split is the dataset's split (`test` by default). Corpus and queries are read from the
 * split of that name when their config has one, else from their only split (`corpus`, `queries`); a
 * config with several other splits is ambiguous and an error. A split named `partial-…` (the Hub's
 * conversion of a dataset over 5 GB holds only its first rows) is refused.
 *
 * Reading applies exactly the checks of the BEIR reader (records.ts, validate.ts): the same ids, grades,
 * repeated ids and judgments, counted the same way, positions given as rows (`row 12`, from 1 in each
 * file). Columns other than those above are not read. The content hash is `contentHash` over the parquet
 * files (corpus files, then queries, then qrels, each in path order).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { Diagnostics } from './diagnostics.js';
import { hashFile } from './io.js';
import { column, describeColumns, openParquet, readRowGroups, type ColumnKind, type ParquetTable } from './parquet.js';
import { checkGrade, checkId, DocChecks, QrelsCollector, QueryChecks, type IdRole } from './records.js';
import type { ReadOptions } from './corpus.js';
import type { Dataset, DatasetFile, Doc, Query } from './types.js';
import { assembleDataset } from './validate.js';

/** One parquet file of the folder and the (config, split) its place says it belongs to. */
export interface ParquetMember {
  /** Path relative to the folder, with `/`. */
  rel: string;
  /** Absolute path. */
  path: string;
  config: string;
  /** Empty for a file that names no split (`corpus.parquet`). */
  split: string;
}

export interface MtebLayout {
  folder: string;
  /** Parquet files whose config and split are known, in path order. */
  members: ParquetMember[];
  /** Parquet files in no known place (listed in messages). */
  unplaced: string[];
}

/** The files of each role for one split (and subset). */
export interface MtebMembers {
  subset?: string;
  corpus: ParquetMember[];
  queries: ParquetMember[];
  qrels: ParquetMember[];
  /** Files of a `top_ranked` config, when there is one (not read). */
  topRanked: ParquetMember[];
}

const SHARD = /-\d{5}-of-\d{5}$/;
const MAX_DEPTH = 3;
const LAYOUT_HINT =
  'An MTEB retrieval dataset holds parquet files in configs `corpus`, `queries` and `default` (or `qrels`), e.g. corpus/test-00000-of-00001.parquet or corpus/corpus/0000.parquet (the Hub\'s refs/convert/parquet); see `rbench datasets fetch --hub`.';

/** Config and split of a parquet file from its path relative to the dataset folder (see the module comment). */
export function placeParquet(rel: string): { config: string; split: string } | undefined {
  const parts = rel.split('/');
  const base = parts[parts.length - 1].replace(/\.parquet$/i, '');
  if (parts.length === 3) return { config: parts[0], split: parts[1] };
  if (parts.length === 2) {
    const stem = base.replace(SHARD, '');
    if (parts[0] === 'data') return stem === base && /^\d+$/.test(base) ? undefined : { config: 'default', split: stem };
    return { config: parts[0], split: /^\d+$/.test(stem) ? '' : stem };
  }
  if (parts.length === 1) return { config: base.replace(SHARD, ''), split: '' };
  return undefined;
}

/** Parquet files under `folder` (at most three levels down; dot-named entries skipped), relative, sorted. */
export function parquetFilesIn(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && depth < MAX_DEPTH - 1) walk(path.join(dir, e.name), r, depth + 1);
      else if (e.isFile() && /\.parquet$/i.test(e.name)) out.push(r);
    }
  };
  walk(folder, '', 0);
  return out.sort();
}

function layoutOf(folder: string): MtebLayout {
  const members: ParquetMember[] = [];
  const unplaced: string[] = [];
  for (const rel of parquetFilesIn(folder)) {
    const place = placeParquet(rel);
    if (place) members.push({ rel, path: path.join(folder, ...rel.split('/')), ...place });
    else unplaced.push(rel);
  }
  return { folder, members, unplaced };
}

const isCorpusConfig = (m: ParquetMember): boolean => m.config === 'corpus' || m.config.endsWith('-corpus') || (m.config === 'default' && m.split === 'corpus');

/** Whether `folder` holds parquet files in the MTEB layout (a corpus config). */
export function isMtebFolder(folder: string): boolean {
  try {
    if (!statSync(folder).isDirectory()) return false;
  } catch {
    return false;
  }
  return layoutOf(folder).members.some(isCorpusConfig);
}

/** `corpus/corpus, default/test, default/train` */
function configsFound(layout: MtebLayout): string {
  const seen = [...new Set(layout.members.map((m) => (m.split ? `${m.config}/${m.split}` : m.config)))];
  const shown = seen.slice(0, 20).join(', ') + (seen.length > 20 ? `, … (${seen.length})` : '');
  return seen.length > 0 ? `configs/splits ${shown}` : 'no parquet file in a known place';
}

/** The folder's parquet files; a UsageError naming what is there when it holds none. */
export function inspectMtebFolder(folder: string): MtebLayout {
  try {
    if (!statSync(folder).isDirectory()) throw new UsageError('is a file; an MTEB dataset is a folder of parquet files.', { file: folder, hint: LAYOUT_HINT });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError('folder not found.', { file: folder, hint: LAYOUT_HINT });
  }
  const layout = layoutOf(folder);
  if (layout.members.length === 0) {
    let names: string[] = [];
    try {
      names = readdirSync(folder).filter((n) => !n.startsWith('.'));
    } catch {
      /* listed as nothing */
    }
    const found = layout.unplaced.length > 0 ? `parquet files in no known place (${layout.unplaced.slice(0, 10).join(', ')})` : `no parquet file (it holds ${names.slice(0, 20).join(', ') || 'nothing'})`;
    throw new UsageError(`holds ${found}.`, { file: folder, hint: LAYOUT_HINT });
  }
  return layout;
}

/** Subsets of a multilingual dataset (configs `{subset}-corpus`), sorted. */
export function mtebSubsets(layout: MtebLayout): string[] {
  return [...new Set(layout.members.filter((m) => m.config.endsWith('-corpus')).map((m) => m.config.slice(0, -'-corpus'.length)))].sort();
}

function splitsOf(members: ParquetMember[], config: string): string[] {
  return [...new Set(members.filter((m) => m.config === config).map((m) => m.split))].sort();
}

function partialError(layout: MtebLayout, config: string, split: string): UsageError {
  return new UsageError(`holds only part of config \`${config}\` (split \`${split}\`): the Hub's parquet conversion stops after 5 GB of a dataset.`, {
    file: layout.folder,
    hint: 'Fetch a revision with the complete parquet files (--revision), or the dataset\'s own files.',
  });
}

/** Corpus or queries files: the config's split named `split`, else its only split. */
function roleFiles(layout: MtebLayout, prefix: string, role: 'corpus' | 'queries', split: string): ParquetMember[] {
  const config = `${prefix}${role}`;
  const own = layout.members.filter((m) => m.config === config);
  if (own.length === 0 && prefix === '') {
    const inDefault = layout.members.filter((m) => m.config === 'default' && m.split === role);
    if (inDefault.length > 0) return inDefault;
  }
  if (own.length === 0) {
    throw new UsageError(`has no \`${config}\` config (no ${config}/… parquet file); it holds ${configsFound(layout)}.`, { file: layout.folder, hint: LAYOUT_HINT });
  }
  const splits = splitsOf(own, config);
  const chosen = splits.includes(split) ? split : splits.length === 1 ? splits[0] : undefined;
  if (chosen === undefined) {
    throw new UsageError(`config \`${config}\` has splits ${splits.join(', ')}, none of them \`${split}\`, so it is unclear which holds the ${role}.`, {
      file: layout.folder,
      hint: `Set \`split\` to one of them, or remove the files of the others.`,
    });
  }
  if (chosen.startsWith('partial-')) throw partialError(layout, config, chosen);
  return own.filter((m) => m.split === chosen);
}

/** The files of corpus, queries and the judgments of `split` (see the module comment). */
export function mtebMembers(layout: MtebLayout, split: string, subset?: string): MtebMembers {
  const subsets = mtebSubsets(layout);
  const plain = layout.members.some((m) => m.config === 'corpus' || (m.config === 'default' && m.split === 'corpus'));
  if (subset === undefined && !plain && subsets.length > 0) {
    throw new UsageError(`is a multilingual dataset with subsets ${subsets.join(', ')}; say which to read.`, {
      file: layout.folder,
      hint: `Add \`subset: ${subsets[0]}\` to the dataset entry (the configs ${subsets[0]}-corpus, ${subsets[0]}-queries, ${subsets[0]}-qrels).`,
    });
  }
  if (subset !== undefined && !subsets.includes(subset)) {
    throw new UsageError(`has no subset \`${subset}\` (no ${subset}-corpus config); ${subsets.length > 0 ? `its subsets are ${subsets.join(', ')}` : 'it has no subsets'}.`, {
      file: layout.folder,
      hint: subsets.length > 0 ? 'Set `subset` to one of them.' : 'Remove `subset`.',
    });
  }
  const prefix = subset === undefined ? '' : `${subset}-`;
  const corpus = roleFiles(layout, prefix, 'corpus', split);
  const queries = roleFiles(layout, prefix, 'queries', split);
  const qrelsConfigs = subset === undefined ? ['qrels', 'default'] : [`${subset}-qrels`, `${subset}-default`, subset];
  const notJudgments = (m: ParquetMember): boolean => m.config === 'default' && (m.split === 'corpus' || m.split === 'queries');
  let qrels: ParquetMember[] = [];
  for (const config of qrelsConfigs) {
    qrels = layout.members.filter((m) => m.config === config && m.split === split && !notJudgments(m));
    if (qrels.length > 0) break;
  }
  if (qrels.length === 0) {
    const available = layout.members.filter((m) => qrelsConfigs.includes(m.config) && !notJudgments(m));
    if (available.some((m) => m.split === `partial-${split}`)) throw partialError(layout, available[0].config, `partial-${split}`);
    const splits = [...new Set(available.map((m) => m.split))].sort();
    if (splits.length === 0) {
      throw new UsageError(`has no judgments: no ${qrelsConfigs.slice(0, 2).join(' or ')} config; it holds ${configsFound(layout)}.`, { file: layout.folder, hint: LAYOUT_HINT });
    }
    throw new UsageError(`has no split \`${split}\` in its judgments (config \`${available[0].config}\`); its splits are: ${splits.join(', ')}.`, {
      file: layout.folder,
      hint: `Set \`split\` to one of them${splits.includes('test') ? ' (MTEB reports use test)' : ''}.`,
    });
  }
  const topRanked = layout.members.filter((m) => m.config === `${prefix}top_ranked` && (m.split === split || m.split === ''));
  return { ...(subset !== undefined ? { subset } : {}), corpus, queries, qrels, topRanked };
}

/** Judgment splits of an MTEB folder, sorted (`subset:split` for a multilingual one). */
export function listMtebSplits(folder: string): string[] {
  const layout = layoutOf(folder);
  const out = new Set<string>();
  for (const m of layout.members) {
    if (!m.split || (m.config === 'default' && (m.split === 'corpus' || m.split === 'queries'))) continue;
    if (m.config === 'qrels' || m.config === 'default') out.add(m.split);
    else if (m.config.endsWith('-qrels')) out.add(`${m.config.slice(0, -'-qrels'.length)}:${m.split}`);
  }
  return [...out].sort();
}

/** Rows of the corpus, the queries and each judgment split, from the parquet footers alone (no subset). */
export async function mtebCounts(folder: string): Promise<{ docs: number; queries: number; qrels: Record<string, number> } | undefined> {
  const layout = layoutOf(folder);
  const rows = async (ms: ParquetMember[]): Promise<number> => {
    let n = 0;
    for (const m of ms) n += (await openParquet(m.path)).rows;
    return n;
  };
  const splits = listMtebSplits(folder).filter((s) => !s.includes(':'));
  if (splits.length === 0) return undefined;
  const first = mtebMembers(layout, splits.includes('test') ? 'test' : splits[0]);
  const qrels: Record<string, number> = {};
  for (const s of splits) qrels[s] = await rows(mtebMembers(layout, s).qrels);
  return { docs: await rows(first.corpus), queries: await rows(first.queries), qrels };
}

// ---------------------------------------------------------------------------------------------------
// Reading

const KINDS: Record<string, ColumnKind[]> = {
  id: ['string', 'integer'],
  text: ['string'],
  score: ['integer', 'float', 'string'],
};

/** The first of `names` that is a column of the table, checked against `kinds`; a UsageError when none is. */
function requireColumn(t: ParquetTable, names: string[], kinds: ColumnKind[], role: string, hint: string): string {
  const name = names.find((n) => column(t, n) !== undefined);
  if (name === undefined) {
    const want = names.map((n) => `\`${n}\``).join(' or ');
    throw new UsageError(`has no ${want} column (${role}); its columns are ${describeColumns(t)}.`, { file: t.file, hint });
  }
  const c = column(t, name)!;
  if (!kinds.includes(c.kind)) {
    throw new UsageError(`column \`${name}\` holds ${c.type} values; ${role} must be ${kinds.map((k) => (k === 'string' ? 'strings' : `${k}s`)).join(' or ')}.`, { file: t.file, hint });
  }
  return name;
}

/** An id cell: strings as they are; integers (an INT32/INT64 column) as their decimal strings, with a counted warning. */
function idCell(raw: unknown, role: IdRole, file: string, row: number, field: string, diag: Diagnostics): string | undefined {
  if (typeof raw === 'bigint' || (typeof raw === 'number' && Number.isSafeInteger(raw))) {
    const id = String(raw);
    diag.warn('numeric-id', file, `${role} ids stored as integers, read as their decimal strings ("01" and 1 would not match)`, `${diag.at(file, row)}: ${field} ${id}`);
    return checkId(id, role, { file, line: row, field }, diag);
  }
  return checkId(raw === null ? undefined : raw, role, { file, line: row, field }, diag);
}

/** A text cell; null is `''` for an optional column and a defect for a required one. */
function textCell(raw: unknown, role: string, field: string, required: boolean, file: string, row: number, diag: Diagnostics): string | undefined {
  if (typeof raw === 'string') return raw;
  if (!required && (raw === null || raw === undefined)) return '';
  diag.defect(
    `bad-${field}`,
    file,
    row,
    raw === null || raw === undefined ? `the ${role}'s \`${field}\` is null.` : `the ${role}'s \`${field}\` is not a string.`,
    required ? `Give every ${role} a string \`${field}\` (use "" for none).` : `\`${field}\` must be a string when present.`,
    `${role} rows whose \`${field}\` is null or not a string (skipped)`,
  );
  return undefined;
}

/**
 * A grade cell as checkGrade reads it: integers as they are; a float as its shortest decimal form, so that
 * a whole number (1.0) is the integer 1 and anything else (0.5, NaN) is rejected; null as empty (rejected).
 */
function gradeText(raw: unknown): string {
  return raw === null || raw === undefined ? '' : String(raw);
}

async function open(m: ParquetMember, diag: Diagnostics): Promise<ParquetTable> {
  const t = await openParquet(m.path);
  diag.rowsIn(m.path);
  return t;
}

const CORPUS_HINT = 'An MTEB corpus has the columns `_id` (or `id`), `title` and `text`.';
const QUERIES_HINT = 'MTEB queries have the columns `_id` (or `id`) and `text`.';
const QRELS_HINT = 'MTEB judgments have the columns `query-id`, `corpus-id` and `score` (an integer grade).';

async function readDocs(files: ParquetMember[], diag: Diagnostics): Promise<Doc[]> {
  const docs: Doc[] = [];
  let checks: DocChecks | undefined;
  for (const m of files) {
    const t = await open(m, diag);
    const idCol = requireColumn(t, ['_id', 'id'], KINDS.id, 'the document id', CORPUS_HINT);
    const textCol = requireColumn(t, ['text'], KINDS.text, 'the document text', CORPUS_HINT);
    const titleCol = column(t, 'title') ? requireColumn(t, ['title'], KINDS.text, 'the document title', CORPUS_HINT) : undefined;
    checks ??= new DocChecks(m.path, diag, idCol);
    checks.file = m.path;
    for await (const batch of readRowGroups(t, titleCol ? [idCol, titleCol, textCol] : [idCol, textCol])) {
      batch.rows.forEach((r, i) => {
        const row = batch.firstRow + i + 1;
        const id = idCell(r[idCol], 'document', m.path, row, idCol, diag);
        if (id === undefined) return;
        const title = titleCol ? textCell(r[titleCol], 'document', 'title', false, m.path, row, diag) : '';
        if (title === undefined) return;
        const text = textCell(r[textCol], 'document', 'text', true, m.path, row, diag);
        if (text === undefined) return;
        const doc: Doc = { id, title, text };
        if (checks!.accept(doc, row)) docs.push(doc);
      });
    }
  }
  return docs;
}

async function readQueries(files: ParquetMember[], diag: Diagnostics): Promise<Query[]> {
  const queries: Query[] = [];
  let checks: QueryChecks | undefined;
  for (const m of files) {
    const t = await open(m, diag);
    const idCol = requireColumn(t, ['_id', 'id'], KINDS.id, 'the query id', QUERIES_HINT);
    const textCol = requireColumn(t, ['text'], KINDS.text, 'the query text', QUERIES_HINT);
    checks ??= new QueryChecks(m.path, diag, idCol);
    checks.file = m.path;
    for await (const batch of readRowGroups(t, [idCol, textCol])) {
      batch.rows.forEach((r, i) => {
        const row = batch.firstRow + i + 1;
        const id = idCell(r[idCol], 'query', m.path, row, idCol, diag);
        if (id === undefined) return;
        const text = textCell(r[textCol], 'query', 'text', true, m.path, row, diag);
        if (text === undefined) return;
        const q: Query = { id, text };
        if (checks!.accept(q, row)) queries.push(q);
      });
    }
  }
  return queries;
}

async function readQrels(files: ParquetMember[], diag: Diagnostics): Promise<QrelsCollector> {
  const collector = new QrelsCollector(files[0].path, diag);
  for (const m of files) {
    const t = await open(m, diag);
    const qCol = requireColumn(t, ['query-id'], KINDS.id, 'the query id', QRELS_HINT);
    const dCol = requireColumn(t, ['corpus-id'], KINDS.id, 'the document id', QRELS_HINT);
    const sCol = requireColumn(t, ['score'], KINDS.score, 'the grade', QRELS_HINT);
    collector.file = m.path;
    for await (const batch of readRowGroups(t, [qCol, dCol, sCol])) {
      batch.rows.forEach((r, i) => {
        const row = batch.firstRow + i + 1;
        const qid = idCell(r[qCol], 'query', m.path, row, qCol, diag);
        if (qid === undefined) return;
        const docid = idCell(r[dCol], 'document', m.path, row, dCol, diag);
        if (docid === undefined) return;
        const grade = checkGrade(gradeText(r[sCol]), { file: m.path, line: row, field: sCol }, diag);
        if (grade === undefined) return;
        collector.add(qid, docid, grade, row);
      });
    }
  }
  return collector;
}

async function digests(role: DatasetFile['role'], files: ParquetMember[]): Promise<DatasetFile[]> {
  const out: DatasetFile[] = [];
  for (const m of files) {
    const d = await hashFile(m.path);
    out.push({ role, path: m.path, bytes: d.bytes, sha256: d.sha256 });
  }
  return out;
}

/**
 * Files of one role that yielded no record are unusable (as `requireRecords`): a UsageError, except when
 * validating and their rows were all defective (those defects are then the report).
 */
function requireRows(n: number, files: ParquetMember[], what: 'documents' | 'queries' | 'judgments', diag: Diagnostics): void {
  if (n > 0 || (diag.mode === 'collect' && files.some((m) => diag.errorCount(m.path) > 0))) return;
  const where = files.length === 1 ? files[0].path : `${files[0].path} (and ${files.length - 1} more files of config ${files[0].config})`;
  throw new UsageError(`holds no ${what} (no rows, or no usable row).`, { file: where, hint: 'Check that the files were written completely.' });
}

export interface MtebReadOptions extends ReadOptions {
  name?: string;
  /** Multilingual datasets: the subset whose `{subset}-corpus` … configs to read. */
  subset?: string;
}

/** Loads an MTEB parquet folder's corpus, queries and one split's judgments, with the BEIR reader's checks. */
export async function loadMteb(folder: string, split = 'test', opts: MtebReadOptions = {}): Promise<Dataset> {
  const layout = inspectMtebFolder(folder);
  const members = mtebMembers(layout, split, opts.subset);
  const diag = opts.diagnostics ?? new Diagnostics(opts.mode ?? 'strict');

  const corpus = await readDocs(members.corpus, diag);
  requireRows(corpus.length, members.corpus, 'documents', diag);
  const queries = await readQueries(members.queries, diag);
  requireRows(queries.length, members.queries, 'queries', diag);
  const collector = await readQrels(members.qrels, diag);
  requireRows(collector.rows, members.qrels, 'judgments', diag);
  if (members.topRanked.length > 0) {
    diag.info(
      'top-ranked-unused',
      members.topRanked[0].path,
      `files of a \`top_ranked\` config (candidate lists of a reranking-only task), not used: rbench retrieves its candidates from the whole corpus, so its numbers are not MTEB's reranking numbers`,
      members.topRanked.map((m) => m.rel),
      members.topRanked.length,
    );
  }
  const files = [...(await digests('corpus', members.corpus)), ...(await digests('queries', members.queries)), ...(await digests('qrels', members.qrels))];
  return assembleDataset(
    {
      name: opts.name ?? defaultMtebName(folder),
      path: folder,
      split,
      format: 'mteb',
      corpus,
      queries,
      qrels: collector.qrels,
      qrelsRows: collector.rows,
      files,
    },
    diag,
  );
}

/** A dataset name from its folder: the folder's name (`mteb--scifact`). */
export function defaultMtebName(folder: string): string {
  return path.basename(path.resolve(folder));
}
