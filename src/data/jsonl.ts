/**
 * JSON Lines reading for BEIR's `corpus.jsonl` and `queries.jsonl` (plain or gzip): one JSON object per
 * line. Blank lines carry nothing in JSON Lines and are skipped (counted as an info). A line that is not
 * JSON, not an object, lacks `_id` or has a non-string `text` is a line-level defect (see Diagnostics).
 */
import { excerpt, type Diagnostics } from './diagnostics.js';
import type { LineReader } from './io.js';
import { checkId, describeValue } from './records.js';
import type { Doc, Query } from './types.js';

export interface JsonlRecord {
  value: Record<string, unknown>;
  line: number;
}

/** Id fields other tools use; named in the message when `_id` is missing but one of them is there. */
const OTHER_ID_FIELDS = ['id', 'doc_id', 'docid', 'corpus-id', 'corpus_id', 'query_id', 'qid', 'query-id'];

/** The JSON objects of a JSONL file with their line numbers. */
export async function* readJsonlObjects(lines: LineReader, diag: Diagnostics): AsyncGenerator<JsonlRecord> {
  const file = lines.file;
  for await (const { text, line, invalidUtf8 } of lines) {
    if (text.trim() === '') {
      diag.info('blank-line', file, 'blank lines (skipped; they carry nothing in JSON Lines)', `line ${line}`);
      continue;
    }
    if (invalidUtf8) {
      diag.defect('invalid-utf8', file, line, 'this line is not valid UTF-8.', 'Convert the file to UTF-8 (e.g. `iconv -f latin1 -t utf-8`).', 'lines that are not valid UTF-8 (skipped)');
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      // V8 quotes the start of the text in its message: escaped and cut like every quoted input.
      const reason = excerpt(e instanceof Error ? e.message : String(e));
      diag.defect(
        'invalid-json',
        file,
        line,
        `invalid JSON (${reason}).`,
        'Each line must hold one complete JSON object (JSON Lines); look for a truncated, merged or hand-edited line.',
        'lines that are not valid JSON (skipped)',
      );
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      diag.defect('not-an-object', file, line, `the line holds ${describeValue(value)}, not a JSON object.`, 'Each line must be an object such as {"_id": "d1", "title": "", "text": "..."}.', 'lines that are not JSON objects (skipped)');
      continue;
    }
    yield { value: value as Record<string, unknown>, line };
  }
}

function idOf(rec: JsonlRecord, role: 'document' | 'query', file: string, diag: Diagnostics): string | undefined {
  const raw = rec.value._id;
  if (raw === undefined) {
    const other = OTHER_ID_FIELDS.find((f) => f in rec.value);
    diag.defect(
      'missing-id',
      file,
      rec.line,
      `the ${role} has no \`_id\`${other ? ` (it has \`${other}\`)` : ''}.`,
      other ? `BEIR files name the id \`_id\`: rename \`${other}\` to \`_id\`.` : 'Every BEIR record needs a string `_id`.',
      `${role} lines without \`_id\` (skipped)`,
    );
    return undefined;
  }
  return checkId(raw, role, { file, line: rec.line, field: '_id' }, diag);
}

function stringField(rec: JsonlRecord, field: string, role: string, required: boolean, file: string, diag: Diagnostics): string | undefined {
  const raw = rec.value[field];
  if (typeof raw === 'string') return raw;
  if (!required && (raw === undefined || raw === null)) return '';
  diag.defect(
    `bad-${field}`,
    file,
    rec.line,
    raw === undefined ? `the ${role} has no \`${field}\`.` : `the ${role}'s \`${field}\` is ${describeValue(raw)}, not a string.`,
    required ? `Give every ${role} a string \`${field}\` (use "" for none).` : `\`${field}\` must be a string when present.`,
    `${role} lines whose \`${field}\` is missing or not a string (skipped)`,
  );
  return undefined;
}

function metadataOf(rec: JsonlRecord, file: string, diag: Diagnostics): Record<string, unknown> | undefined {
  const m = rec.value.metadata;
  if (m === undefined || m === null) return undefined;
  if (typeof m === 'object' && !Array.isArray(m)) return m as Record<string, unknown>;
  diag.warn('bad-metadata', file, 'records whose `metadata` is not an object (ignored)', `line ${rec.line}`);
  return undefined;
}

/** A BEIR corpus record (`_id`, `title`, `text`, optional `metadata`), or undefined after a defect. */
export function toDoc(rec: JsonlRecord, file: string, diag: Diagnostics, keepMetadata = true): Doc | undefined {
  const id = idOf(rec, 'document', file, diag);
  if (id === undefined) return undefined;
  const title = stringField(rec, 'title', 'document', false, file, diag);
  if (title === undefined) return undefined;
  const text = stringField(rec, 'text', 'document', true, file, diag);
  if (text === undefined) return undefined;
  const doc: Doc = { id, title, text };
  if (keepMetadata) {
    const metadata = metadataOf(rec, file, diag);
    if (metadata) doc.metadata = metadata;
  }
  return doc;
}

/** A BEIR query record (`_id`, `text`, optional `metadata`), or undefined after a defect. */
export function toQuery(rec: JsonlRecord, file: string, diag: Diagnostics, keepMetadata = true): Query | undefined {
  const id = idOf(rec, 'query', file, diag);
  if (id === undefined) return undefined;
  const text = stringField(rec, 'text', 'query', true, file, diag);
  if (text === undefined) return undefined;
  const query: Query = { id, text };
  if (keepMetadata) {
    const metadata = metadataOf(rec, file, diag);
    if (metadata) query.metadata = metadata;
  }
  return query;
}
