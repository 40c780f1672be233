/**
 * Streaming access to a corpus in any supported format, for indexing corpora too big to hold in memory:
 * `readCorpus(path)` takes a BEIR folder, a `corpus.jsonl[.gz]` file or a CSV/TSV file (`.csv`, `.tsv`,
 * optionally `.gz`), and yields documents one at a time. Repeated ids keep their first occurrence.
 */
import type { Diagnostics, DiagnosticsMode } from './diagnostics.js';
import type { FileDigest } from './io.js';
import type { Doc, ReadWarning } from './types.js';
import { readJsonlCorpus } from './beir.js';
import { isCsvPath, readCsvCorpus, type CsvCorpusColumns } from './csv.js';

/** What one pass over a corpus found; available once the pass has ended. */
export interface CorpusSummary {
  file: string;
  /** Documents yielded (repeated ids and defective lines are not). */
  docs: number;
  digest: FileDigest;
  warnings: ReadWarning[];
}

/** A corpus streamed document by document. Each iteration reads the file anew. */
export interface CorpusReader extends AsyncIterable<Doc> {
  readonly file: string;
  /** Set after a complete pass: counts, file digest and the warnings of that pass. */
  summary(): CorpusSummary | undefined;
}

export interface ReadOptions {
  /** `strict` (default) throws at the first defective line; `collect` counts defects and skips the lines. */
  mode?: DiagnosticsMode;
  /** Collects the warnings; a new one per pass when absent. */
  diagnostics?: Diagnostics;
  /** Keep each record's `metadata` object (default true; false saves memory on big corpora). */
  keepMetadata?: boolean;
}

export interface ReadCorpusOptions extends ReadOptions {
  /** For CSV/TSV corpora: column names (defaults `_id`, `text`, `title` when present). */
  columns?: CsvCorpusColumns;
  /** For CSV/TSV corpora: `auto` (default by extension: `.tsv` tab, `.csv` comma) or the character. */
  delimiter?: string;
}

/** Streams the documents of a BEIR folder, a JSONL corpus file or a CSV/TSV corpus file. */
export function readCorpus(path: string, opts: ReadCorpusOptions = {}): CorpusReader {
  if (isCsvPath(path)) return readCsvCorpus(path, opts.columns ?? {}, opts);
  return readJsonlCorpus(path, opts);
}
