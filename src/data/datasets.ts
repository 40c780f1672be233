/**
 * The dataset registry: where a dataset named in a config or on the command line lives, and loading it.
 *
 * A dataset spec (one entry of a config's `datasets:` list) is one of
 * - `{ name: 'tech-qa' }`: looked up, in this order, as a bundled dataset (`<package>/datasets/<name>/`),
 *   a fetched one (`<cache>/datasets/<name>/`, written by `rbench datasets fetch`) and a shared collection
 *   beside the checkout (`<shared>/<name>/beir/`);
 * - `{ path: '../shared/datasets/scifact/beir', split: 'test' }`: any BEIR folder (relative paths are
 *   relative to `baseDir`, normally the config file's folder);
 * - `{ path: 'data/faq', format: 'csv', corpus: {file, idColumn, textColumn, titleColumn}, queries: {…},
 *   qrels: {file, queryIdColumn, docIdColumn, gradeColumn}, delimiter }`: CSV/TSV files (see csv.ts);
 * - `{ path: 'hub/scifact', format: 'mteb', subset: 'fr' }`: a folder of parquet files in the MTEB layout
 *   (see mteb.ts; detected without `format`), `subset` for a multilingual one's `{subset}-corpus` configs.
 * `split` defaults to `test`. A plain string is a name, or a path when it contains a slash or exists.
 *
 * Hub datasets: `rbench datasets fetch mteb/scifact --hub` installs `<cache>/datasets/mteb--scifact/`
 * (owner and name joined by `--`, the Hub cache's own spelling, since a dataset's name must not hold a
 * `/`: it names folders and configuration ids). Its name is `mteb--scifact`; `name: mteb/scifact` (and the
 * plain string `mteb/scifact` where no such folder exists) means the same dataset.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { cacheDir, packageRoot, sharedDatasetsDir } from '../paths.js';
import { defaultName, inspectBeirFolder, isBeirFolder, listSplits, loadBeir } from './beir.js';
import type { ReadOptions } from './corpus.js';
import { readCsvCorpus, readCsvQrels, readCsvQueries, type CsvCorpusColumns, type CsvQrelsColumns, type CsvQueryColumns } from './csv.js';
import { Diagnostics } from './diagnostics.js';
import { readLines } from './io.js';
import type { Dataset, Doc } from './types.js';
import { assembleDataset } from './validate.js';
import { isKnownBeirName } from './beir-catalog.js';
import { defaultMtebName, isMtebFolder, listMtebSplits, loadMteb, mtebCounts } from './mteb.js';

export type DatasetFormat = 'beir' | 'csv' | 'mteb';
export type DatasetSource = 'bundled' | 'fetched' | 'shared' | 'path';

export interface DatasetSpec {
  /** Registry name (bundled, fetched or shared), or the label of a `path` dataset. */
  name?: string;
  /** A BEIR folder, or the folder the CSV files are relative to. */
  path?: string;
  /** Judgment split, default `test`. */
  split?: string;
  /** Default: `beir`, or `csv` when the folder holds corpus.csv/.tsv, or `mteb` when it holds MTEB parquet files. */
  format?: DatasetFormat;
  /** MTEB only: the subset of a multilingual dataset (`fr` reads the `fr-corpus`, `fr-queries`, `fr-qrels` configs). */
  subset?: string;
  /** CSV/TSV only: `auto` (default by file extension) or the delimiter character. */
  delimiter?: string;
  corpus?: { file?: string } & CsvCorpusColumns;
  queries?: { file?: string } & CsvQueryColumns;
  qrels?: { file?: string } & CsvQrelsColumns;
}

/** A Hugging Face Hub repository id `owner/name` (the Hub forbids `--` and `..` in ids). */
export const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isHubId(s: string): boolean {
  return HUB_ID.test(s) && !s.includes('--') && !s.includes('..');
}

/** The registry name of a fetched Hub dataset: `mteb/scifact` -> `mteb--scifact`; other names unchanged. */
export function localDatasetName(name: string): string {
  return isHubId(name) ? name.replace('/', '--') : name;
}

const column = z.string().min(1);
/** zod schema of a dataset spec, for config validation (unknown keys rejected). A Hub id as `name` becomes its registry name. */
export const datasetSpecSchema = z
  .strictObject({
    name: z.string().min(1).transform(localDatasetName).optional(),
    path: z.string().min(1).optional(),
    split: z.string().min(1).optional(),
    format: z.enum(['beir', 'csv', 'mteb']).optional(),
    subset: z.string().min(1).optional(),
    delimiter: z.string().min(1).optional(),
    corpus: z.strictObject({ file: z.string().min(1).optional(), idColumn: column.optional(), textColumn: column.optional(), titleColumn: column.nullable().optional() }).optional(),
    queries: z.strictObject({ file: z.string().min(1).optional(), idColumn: column.optional(), textColumn: column.optional() }).optional(),
    qrels: z
      .strictObject({ file: z.string().min(1).optional(), queryIdColumn: column.optional(), docIdColumn: column.optional(), gradeColumn: column.nullable().optional() })
      .optional(),
  })
  .refine((s) => s.name !== undefined || s.path !== undefined, { message: 'a dataset needs `name` (bundled, fetched or shared) or `path` (a folder)' });

export interface LocateOptions {
  /** Cache folder (fetched datasets live in `<cache>/datasets`); default `cacheDir()`. */
  cacheDir?: string;
  /** Folder relative `path`s are resolved against (the config file's folder); default the working directory. */
  baseDir?: string;
  /** Shared collections; default `sharedDatasetsDir()`. */
  sharedDir?: string;
  /** Bundled datasets; default `<package root>/datasets`. */
  bundledDir?: string;
}

export interface ResolvedDataset {
  name: string;
  /** Absolute folder of the dataset. */
  path: string;
  format: DatasetFormat;
  split: string;
  source: DatasetSource;
}

export interface DatasetInfo {
  name: string;
  source: Exclude<DatasetSource, 'path'>;
  path: string;
  format: DatasetFormat;
  splits: string[];
  /** Bytes of the corpus, queries and qrels files together. */
  bytes: number;
  /** For fetched datasets: what `rbench datasets fetch` recorded. */
  fetch?: FetchRecord;
}

/**
 * Written by `rbench datasets fetch` as `<folder>/.rbench-fetch.json`. For a BEIR archive: its URL, size and
 * checksums. For a Hub dataset (`hub` set): `url` is the repository at the commit, `bytes` the files' total,
 * `sha256` the SHA-256 over `path<TAB>sha256<LF>` of the files in path order, `md5` absent.
 */
export interface FetchRecord {
  url: string;
  bytes: number;
  md5?: string;
  sha256: string;
  fetchedAt: string;
  hub?: HubFetchInfo;
}

export interface HubFetchInfo {
  id: string;
  /** The revision asked for (`main` by default, `refs/convert/parquet` when that was used instead). */
  revision: string;
  /** The commit it resolved to, when the server said. */
  commit?: string;
  /** Endpoint the files came from (never a token). */
  endpoint: string;
  files: Array<{ path: string; bytes: number; sha256: string }>;
}

export const FETCH_RECORD = '.rbench-fetch.json';

function dirs(o: LocateOptions) {
  return {
    cache: path.join(cacheDir(o.cacheDir), 'datasets'),
    shared: o.sharedDir ?? sharedDatasetsDir(),
    bundled: o.bundledDir ?? path.join(packageRoot(), 'datasets'),
    base: o.baseDir ?? process.cwd(),
  };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const CSV_MEMBER = /^corpus\.(csv|tsv)(\.gz)?$/i;

function hasCsvCorpus(folder: string): boolean {
  try {
    return readdirSync(folder).some((f) => CSV_MEMBER.test(f));
  } catch {
    return false;
  }
}

/** The BEIR folder inside a registry entry: the folder itself or its `beir/` subfolder. */
function beirFolderIn(folder: string): string | undefined {
  if (isBeirFolder(folder)) return folder;
  const sub = path.join(folder, 'beir');
  return isBeirFolder(sub) ? sub : undefined;
}

/** Registry entries of one kind, name -> folder. */
function entries(source: DatasetInfo['source'], o: LocateOptions): Map<string, { folder: string; format: DatasetFormat }> {
  const d = dirs(o);
  const root = source === 'bundled' ? d.bundled : source === 'fetched' ? d.cache : d.shared;
  const out = new Map<string, { folder: string; format: DatasetFormat }>();
  let names: string[] = [];
  try {
    names = readdirSync(root).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue; // partial downloads and temp folders
    const folder = path.join(root, name);
    if (!isDir(folder)) continue;
    const beir = source === 'fetched' ? (isBeirFolder(folder) ? folder : undefined) : beirFolderIn(folder);
    if (beir) out.set(name, { folder: beir, format: 'beir' });
    else if (source === 'bundled' && hasCsvCorpus(folder)) out.set(name, { folder, format: 'csv' });
    else if (source === 'fetched' && isMtebFolder(folder)) out.set(name, { folder, format: 'mteb' });
  }
  return out;
}

const SOURCES: DatasetInfo['source'][] = ['bundled', 'fetched', 'shared'];

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes(path.sep) || s.startsWith('.');
}

/** A string names a folder when it exists, or looks like a path and is not a Hub id; else a registry name. */
function specOf(spec: string, base: string): DatasetSpec {
  if (existsSync(path.resolve(base, spec))) return { path: spec };
  return looksLikePath(spec) && !isHubId(spec) ? { path: spec } : { name: spec };
}

/** Where a dataset spec points; a UsageError (listing what exists) when nowhere. */
export function resolveDataset(spec: DatasetSpec | string, opts: LocateOptions = {}): ResolvedDataset {
  const d = dirs(opts);
  const s: DatasetSpec = typeof spec === 'string' ? specOf(spec, d.base) : spec;
  const split = s.split ?? 'test';
  const r = locate(s, split, d, opts);
  if (s.subset !== undefined && r.format !== 'mteb') {
    throw new UsageError(`\`subset\` applies to MTEB parquet datasets; ${r.name} is a ${r.format} dataset.`, { file: r.path, hint: 'Remove `subset`.' });
  }
  return r;
}

function locate(s: DatasetSpec, split: string, d: ReturnType<typeof dirs>, opts: LocateOptions): ResolvedDataset {
  if (s.path !== undefined) {
    const abs = path.resolve(d.base, s.path);
    if (!existsSync(abs)) throw new UsageError('dataset folder not found.', { file: abs, hint: 'Check the `path` (relative paths are relative to the config file).' });
    if (!isDir(abs)) {
      throw new UsageError('a dataset `path` must be a folder (a BEIR folder, or the folder of the CSV files).', { file: abs });
    }
    let format: DatasetFormat = s.format ?? 'beir';
    let folder = abs;
    if (s.format === undefined) {
      if (isBeirFolder(abs)) format = 'beir';
      else if (s.corpus?.file !== undefined || hasCsvCorpus(abs)) format = 'csv';
      else if (beirFolderIn(abs)) folder = beirFolderIn(abs)!;
      else if (isMtebFolder(abs)) format = 'mteb';
    }
    return { name: s.name ?? (format === 'mteb' ? defaultMtebName(folder) : defaultName(folder)), path: folder, format, split, source: 'path' };
  }
  const name = localDatasetName(s.name!);
  for (const source of SOURCES) {
    const hit = entries(source, opts).get(name);
    if (hit) return { name, path: hit.folder, format: s.format ?? hit.format, split, source };
  }
  if (isHubId(s.name!)) {
    throw new UsageError(`\`${s.name}\` is neither a folder (${path.resolve(d.base, s.name!)}) nor a fetched Hugging Face dataset (${path.join(d.cache, name)}).`, {
      hint: `\`rbench datasets fetch ${s.name} --hub\` downloads it from the Hub; or check the path.`,
    });
  }
  const known = listDatasets(opts).map((i) => i.name);
  const fetchable = isKnownBeirName(name);
  const hub = name.replace('--', '/');
  throw new UsageError(`dataset \`${name}\` not found (looked in ${d.bundled}, ${d.cache} and ${d.shared}).`, {
    hint:
      (known.length > 0 ? `Available: ${[...new Set(known)].join(', ')}. ` : '') +
      (fetchable ? `It is a public BEIR dataset: \`rbench datasets fetch ${name}\` downloads it. ` : '') +
      (isHubId(hub) ? `If it is the Hugging Face dataset ${hub}: \`rbench datasets fetch ${hub} --hub\` downloads it. ` : '') +
      'Or give the folder as `path:`.',
  });
}

/** Every dataset the registry can resolve by name: bundled, fetched, shared (discovery only; cheap). */
export function listDatasets(opts: LocateOptions = {}): DatasetInfo[] {
  const out: DatasetInfo[] = [];
  for (const source of SOURCES) {
    for (const [name, { folder, format }] of entries(source, opts)) {
      const splits = format === 'beir' ? listSplits(folder) : format === 'mteb' ? listMtebSplits(folder) : csvSplits(folder);
      const info: DatasetInfo = { name, source, path: folder, format, splits, bytes: folderBytes(folder, format === 'mteb' ? 3 : 1) };
      if (source === 'fetched') {
        const rec = readFetchRecord(path.join(dirs(opts).cache, name));
        if (rec) info.fetch = rec;
      }
      out.push(info);
    }
  }
  return out;
}

function csvSplits(folder: string): string[] {
  const q = path.join(folder, 'qrels');
  if (!isDir(q)) return [];
  return readdirSync(q).filter((f) => /\.(csv|tsv)(\.gz)?$/i.test(f)).map((f) => f.replace(/\.(csv|tsv)(\.gz)?$/i, '')).sort();
}

/** Bytes of the files in `folder` and `levels` levels of subfolders (dot-named entries skipped). */
function folderBytes(folder: string, levels: number): number {
  let total = 0;
  const walk = (dir: string, depth: number): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isFile()) total += statSync(p).size;
      else if (e.isDirectory() && depth < levels) walk(p, depth + 1);
    }
  };
  try {
    walk(folder, 0);
  } catch {
    /* unreadable entries count as 0 */
  }
  return total;
}

export function readFetchRecord(folder: string): FetchRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(folder, FETCH_RECORD), 'utf8')) as FetchRecord;
  } catch {
    return undefined;
  }
}

/**
 * Line counts of a dataset's files (non-blank lines; qrels without the header), when under `maxBytes`; for
 * an MTEB dataset, the row counts its parquet footers state (whatever the size).
 */
export async function cheapCounts(info: DatasetInfo, maxBytes = 64 * 1024 * 1024): Promise<{ docs: number; queries: number; qrels: Record<string, number> } | undefined> {
  if (info.format === 'mteb') return mtebCounts(info.path);
  if (info.format !== 'beir' || info.bytes > maxBytes) return undefined;
  const layout = inspectBeirFolder(info.path);
  const count = async (file: string): Promise<number> => {
    let n = 0;
    for await (const l of readLines(file)) if (l.text.trim() !== '') n += 1;
    return n;
  };
  const qrels: Record<string, number> = {};
  for (const [split, file] of Object.entries(layout.qrels)) qrels[split] = Math.max(0, (await count(file)) - 1);
  return { docs: await count(layout.corpus), queries: await count(layout.queries), qrels };
}

export interface LoadOptions extends LocateOptions, Pick<ReadOptions, 'mode' | 'keepMetadata'> {}

/** Resolves and loads a dataset: corpus, the split's queries and judgments, warnings, counts and content hash. */
export async function loadDataset(spec: DatasetSpec | string, opts: LoadOptions = {}): Promise<Dataset> {
  const r = resolveDataset(spec, opts);
  const s: DatasetSpec = typeof spec === 'string' ? {} : spec;
  if (r.format === 'beir') return loadBeir(r.path, r.split, { name: r.name, mode: opts.mode, keepMetadata: opts.keepMetadata });
  if (r.format === 'mteb') return loadMteb(r.path, r.split, { name: r.name, subset: s.subset, mode: opts.mode, keepMetadata: opts.keepMetadata });
  return loadCsv(r, s, opts);
}

function findMember(folder: string, stems: string[], role: string, option: string): string {
  for (const stem of stems) {
    for (const ext of ['csv', 'tsv', 'csv.gz', 'tsv.gz']) {
      const p = path.join(folder, `${stem}.${ext}`);
      if (existsSync(p)) return p;
    }
  }
  throw new UsageError(`has no ${role} file (looked for ${stems.map((s) => `${s}.csv/.tsv`).join(', ')}).`, {
    file: folder,
    hint: `Name the file with \`${option}\`.`,
  });
}

async function loadCsv(r: ResolvedDataset, s: DatasetSpec, opts: LoadOptions): Promise<Dataset> {
  const folder = r.path;
  const file = (f: string | undefined, stems: string[], role: string, option: string): string =>
    f !== undefined ? path.resolve(folder, f) : findMember(folder, stems, role, option);
  const corpusFile = file(s.corpus?.file, ['corpus'], 'corpus', 'corpus.file');
  const queriesFile = file(s.queries?.file, ['queries'], 'queries', 'queries.file');
  const qrelsFile = file(s.qrels?.file, [`qrels/${r.split}`, 'qrels'], `qrels (split ${r.split})`, 'qrels.file');
  const diag = new Diagnostics(opts.mode ?? 'strict');
  const csv = { delimiter: s.delimiter };
  const reader = readCsvCorpus(corpusFile, s.corpus ?? {}, { ...csv, diagnostics: diag });
  const corpus: Doc[] = [];
  for await (const d of reader) corpus.push(d);
  const { queries, digest: qd } = await readCsvQueries(queriesFile, s.queries ?? {}, csv, diag);
  const { collector, digest: rd } = await readCsvQrels(qrelsFile, s.qrels ?? {}, csv, diag);
  return assembleDataset(
    {
      name: r.name,
      path: folder,
      split: r.split,
      format: 'csv',
      corpus,
      queries,
      qrels: collector.qrels,
      qrelsRows: collector.rows,
      files: [
        { role: 'corpus', ...reader.summary()!.digest },
        { role: 'queries', ...qd },
        { role: 'qrels', ...rd },
      ],
    },
    diag,
  );
}

// Re-exported so that callers need one import for the common entry points.
export { readCorpus } from './corpus.js';
