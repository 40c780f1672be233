/**
 * Reading parquet files (hyparquet, with hyparquet-compressors for GZIP, ZSTD, Brotli and LZ4 pages; Snappy
 * is hyparquet's own): a file's columns with their types, and its rows one row group at a time, so that
 * only one row group's decoded values are held beyond what the caller keeps.
 *
 * Types as a reader of retrieval data needs them: `string` (BYTE_ARRAY, decoded as UTF-8), `integer`
 * (INT32/INT64; INT64 values arrive as BigInt), `float` (FLOAT/DOUBLE), `boolean`, `nested` (lists,
 * structs, maps) and `other`. Every failure (not a parquet file, a codec that cannot be read, a page that
 * does not decode) is a UsageError naming the file.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData, type ParquetRow } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { UsageError } from '../errors.js';

export type ColumnKind = 'string' | 'integer' | 'float' | 'boolean' | 'nested' | 'other';

export interface ParquetColumn {
  name: string;
  kind: ColumnKind;
  /** The type as parquet names it, for messages: `INT64`, `BYTE_ARRAY (STRING)`, `a list`. */
  type: string;
}

/** An open parquet file: its footer read, its rows not yet. */
export interface ParquetTable {
  file: string;
  rows: number;
  rowGroups: number;
  /** Top-level columns, in file order. */
  columns: ParquetColumn[];
  metadata: FileMetaData;
  buffer: AsyncBuffer;
}

/** Rows of one row group; `firstRow` is the 0-based index in the file of `rows[0]`. */
export interface RowBatch {
  firstRow: number;
  rows: ParquetRow[];
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function kindOf(type: string | undefined, children: number): ColumnKind {
  if (children > 0 || type === undefined) return 'nested';
  switch (type) {
    case 'BYTE_ARRAY':
      return 'string';
    case 'INT32':
    case 'INT64':
      return 'integer';
    case 'FLOAT':
    case 'DOUBLE':
      return 'float';
    case 'BOOLEAN':
      return 'boolean';
    default:
      return 'other';
  }
}

/** Opens a parquet file and reads its footer; a UsageError when it is not a readable parquet file. */
export async function openParquet(file: string): Promise<ParquetTable> {
  let buffer: AsyncBuffer;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (e) {
    throw new UsageError(`cannot be read (${reason(e)}).`, { file });
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new UsageError(`is not a readable parquet file (${reason(e)}).`, {
      file,
      hint: 'It may be cut short (an interrupted download) or be another kind of file: fetch it again.',
    });
  }
  const columns = parquetSchema(metadata).children.map((c): ParquetColumn => {
    const el = c.element;
    const kind = kindOf(el.type, c.children.length);
    const logical: string | undefined = el.logical_type?.type ?? el.converted_type;
    const nested = logical === 'LIST' ? 'a list' : logical === 'MAP' || logical === 'MAP_KEY_VALUE' ? 'a map' : 'a struct';
    const type = kind === 'nested' ? nested : logical !== undefined ? `${el.type} (${logical})` : String(el.type);
    return { name: el.name, kind, type };
  });
  return { file, rows: Number(metadata.num_rows), rowGroups: metadata.row_groups.length, columns, metadata, buffer };
}

/** The column `name`, or undefined. */
export function column(t: ParquetTable, name: string): ParquetColumn | undefined {
  return t.columns.find((c) => c.name === name);
}

/** `_id (string), title (string), score (float)` */
export function describeColumns(t: ParquetTable): string {
  return t.columns.length === 0 ? 'none' : t.columns.map((c) => `${c.name} (${c.kind === 'nested' || c.kind === 'other' ? c.type : c.kind})`).join(', ');
}

/** Reads `columns` of every row, one row group at a time (objects keyed by column name). */
export async function* readRowGroups(t: ParquetTable, columns: string[]): AsyncGenerator<RowBatch> {
  let start = 0;
  for (const group of t.metadata.row_groups) {
    const n = Number(group.num_rows);
    let rows: ParquetRow[];
    try {
      rows = await parquetReadObjects({ file: t.buffer, metadata: t.metadata, columns, rowStart: start, rowEnd: start + n, compressors, rowFormat: 'object' });
    } catch (e) {
      throw new UsageError(`cannot decode rows ${start + 1}-${start + n} (${reason(e)}).`, {
        file: t.file,
        hint: 'The file is damaged or uses an encoding this reader does not support; fetch it again, or rewrite it (pyarrow, Snappy or ZSTD compression).',
      });
    }
    yield { firstRow: start, rows };
    start += n;
  }
}
