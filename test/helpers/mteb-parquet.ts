/**
 * Writes a BEIR collection (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) as the parquet files of a Hugging
 * Face dataset repository in the MTEB retrieval layout, with hyparquet-writer. The BEIR files are parsed here
 * with JSON.parse and a tab split, not with rbench's readers, so that a test comparing the two copies compares
 * two independent readings.
 *
 * Layouts (where each config's files go, as on the Hub):
 * - `convert`: the Hub's parquet conversion (revision refs/convert/parquet), as mteb/scifact has it:
 *   `corpus/corpus/0000.parquet`, `queries/queries/0000.parquet`, `default/<split>/0000.parquet`;
 * - `hub`: `datasets.push_to_hub` (MTEB's newer datasets): `corpus/test-00000-of-0000N.parquet` (the corpus
 *   split in `shards` files), `queries/test-…`, `qrels/<split>-00000-of-00001.parquet`, each config name
 *   prefixed with `<subset>-` when a subset is given;
 * - `data`: one `default` config whose splits are corpus, queries and the judgment splits:
 *   `data/corpus-00000-of-00001.parquet`, `data/queries-…`, `data/<split>-…`.
 */
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { parquetWriteFile, type ColumnSource } from 'hyparquet-writer';

export type MtebLayoutKind = 'convert' | 'hub' | 'data';

export interface WriteOptions {
  layout: MtebLayoutKind;
  /** Rows per row group (default 1000, so that SciFact's corpus spans several). */
  rowGroupSize?: number;
  /** Name of the id column of corpus and queries (default `_id`). */
  idColumn?: '_id' | 'id';
  /** Parquet type of the qrels `score` column (default INT64; the Hub's conversion of mteb/scifact has DOUBLE). */
  scoreType?: 'INT64' | 'DOUBLE';
  /** Compression (default SNAPPY, as pyarrow writes; GZIP exercises hyparquet-compressors). */
  codec?: 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';
  /** `hub` layout: files the corpus split is cut into (default 1). */
  shards?: number;
  /** `hub` layout: prefix of every config (`fr` -> `fr-corpus` …). */
  subset?: string;
}

export interface BeirRows {
  corpus: Array<{ _id: string; title: string; text: string }>;
  queries: Array<{ _id: string; text: string }>;
  /** split -> rows in file order. */
  qrels: Record<string, Array<{ qid: string; docid: string; score: number }>>;
}

/** The rows of a BEIR folder, read with JSON.parse and a tab split. */
export function readBeirRows(beir: string): BeirRows {
  const jsonl = (f: string): Array<Record<string, string>> =>
    readFileSync(path.join(beir, f), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, string>);
  const qrels: BeirRows['qrels'] = {};
  for (const f of readdirSync(path.join(beir, 'qrels')).filter((n) => n.endsWith('.tsv'))) {
    const lines = readFileSync(path.join(beir, 'qrels', f), 'utf8').split('\n').slice(1).filter((l) => l.trim() !== '');
    qrels[f.replace(/\.tsv$/, '')] = lines.map((l) => {
      const [qid, docid, score] = l.replace(/\r$/, '').split('\t');
      return { qid, docid, score: Number(score) };
    });
  }
  return {
    corpus: jsonl('corpus.jsonl').map((r) => ({ _id: r._id, title: r.title ?? '', text: r.text })),
    queries: jsonl('queries.jsonl').map((r) => ({ _id: r._id, text: r.text })),
    qrels,
  };
}

function write(file: string, columns: ColumnSource[], o: WriteOptions): string {
  mkdirSync(path.dirname(file), { recursive: true });
  parquetWriteFile({
    filename: file,
    columnData: columns,
    rowGroupSize: o.rowGroupSize ?? 1000,
    codec: o.codec ?? 'SNAPPY',
    compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) },
  });
  return file;
}

const str = (name: string, data: string[]): ColumnSource => ({ name, data, type: 'STRING', nullable: false });

/** Writes `rows` under `out` in the given layout; returns the files written, relative to `out`, sorted. */
export function writeMteb(rows: BeirRows, out: string, o: WriteOptions): string[] {
  const id = o.idColumn ?? '_id';
  const prefix = o.subset ? `${o.subset}-` : '';
  const files: string[] = [];
  const corpusCols = (docs: BeirRows['corpus']): ColumnSource[] => [str(id, docs.map((d) => d._id)), str('title', docs.map((d) => d.title)), str('text', docs.map((d) => d.text))];
  const queryCols = [str(id, rows.queries.map((q) => q._id)), str('text', rows.queries.map((q) => q.text))];
  const qrelCols = (split: string): ColumnSource[] => {
    const r = rows.qrels[split];
    const score: ColumnSource =
      (o.scoreType ?? 'INT64') === 'INT64' ? { name: 'score', data: r.map((x) => BigInt(x.score)), type: 'INT64', nullable: false } : { name: 'score', data: r.map((x) => x.score), type: 'DOUBLE', nullable: false };
    return [str('query-id', r.map((x) => x.qid)), str('corpus-id', r.map((x) => x.docid)), score];
  };
  const at = (rel: string, cols: ColumnSource[]): void => {
    write(path.join(out, ...rel.split('/')), cols, o);
    files.push(rel);
  };
  if (o.layout === 'convert') {
    at('corpus/corpus/0000.parquet', corpusCols(rows.corpus));
    at('queries/queries/0000.parquet', queryCols);
    for (const split of Object.keys(rows.qrels)) at(`default/${split}/0000.parquet`, qrelCols(split));
  } else if (o.layout === 'hub') {
    const n = o.shards ?? 1;
    const per = Math.ceil(rows.corpus.length / n);
    const shard = (i: number): string => `${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}`;
    for (let i = 0; i < n; i++) at(`${prefix}corpus/test-${shard(i)}.parquet`, corpusCols(rows.corpus.slice(i * per, (i + 1) * per)));
    at(`${prefix}queries/test-00000-of-00001.parquet`, queryCols);
    for (const split of Object.keys(rows.qrels)) at(`${prefix}qrels/${split}-00000-of-00001.parquet`, qrelCols(split));
  } else {
    at('data/corpus-00000-of-00001.parquet', corpusCols(rows.corpus));
    at('data/queries-00000-of-00001.parquet', queryCols);
    for (const split of Object.keys(rows.qrels)) at(`data/${split}-00000-of-00001.parquet`, qrelCols(split));
  }
  return files.sort();
}
