/**
 * The rerank APIs spoken by `createHttpReranker` (CONVENTIONS.md section 4): request body and response
 * reading for each. Every reader maps results to documents by their `index` field (TEI and Cohere sort
 * results by score) through `placeByIndex`, and, when a result echoes its document's text, checks that the
 * text is the one sent at that index.
 */
import { finiteNumber, placeByIndex } from './batching.js';
import { describeJson, ProtocolError } from './client.js';

export const RERANK_APIS = ['tei', 'cohere-v1', 'cohere-v2', 'jina'] as const;
export type RerankApi = (typeof RERANK_APIS)[number];

export interface RerankRequest {
  query: string;
  texts: string[];
  /** Model name sent to APIs that take one. */
  model: string | undefined;
  /** TEI only: ask for logits instead of sigmoid scores. */
  rawScores: boolean;
}

export interface RerankApiDef {
  label: string;
  route: string;
  body(r: RerankRequest): Record<string, unknown>;
  /** Scores in the order of `texts`; throws `ProtocolError` on any inconsistency. */
  read(json: unknown, texts: readonly string[]): number[];
}

/** The text a result echoes back (`text`, `document: "…"` or `document: {text}`), if any. */
function echoedText(entry: Record<string, unknown>): string | undefined {
  if (typeof entry.text === 'string') return entry.text;
  const d = entry.document;
  if (typeof d === 'string') return d;
  if (d !== null && typeof d === 'object' && typeof (d as Record<string, unknown>).text === 'string') return (d as Record<string, unknown>).text as string;
  return undefined;
}

/** Reads `[{index, <scoreField>, text?|document?}]` into scores in text order. */
function readResults(list: unknown, scoreField: string, texts: readonly string[], where: string): number[] {
  if (!Array.isArray(list)) throw new ProtocolError(`expected ${where} to be an array of results, got ${describeJson(list)}`);
  const entries = list.map((item, k) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new ProtocolError(`result ${k} is ${describeJson(item)}, not an object with index and ${scoreField}`);
    }
    const e = item as Record<string, unknown>;
    return { index: e.index, value: finiteNumber(e[scoreField], `${where}[${k}].${scoreField}`), echo: echoedText(e) };
  });
  const scores = placeByIndex(entries, texts.length, 'score');
  for (const e of entries) {
    const i = e.index as number;
    if (e.echo !== undefined && e.echo !== texts[i]) {
      throw new ProtocolError(`the result for index ${i} echoes a different document text than the one sent at that index`);
    }
  }
  return scores;
}

function resultsField(json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ProtocolError(`expected an object with \`results\`, got ${describeJson(json)}`);
  }
  const results = (json as Record<string, unknown>).results;
  if (results === undefined) throw new ProtocolError(`expected an object with \`results\`, got ${describeJson(json)}`);
  return results;
}

/** Cohere-style body; `top_n` = all documents so that nothing is dropped. */
function cohereBody(r: RerankRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { query: r.query, documents: r.texts, top_n: r.texts.length };
  if (r.model !== undefined) body.model = r.model;
  return body;
}

export const RERANK_API_DEFS: Record<RerankApi, RerankApiDef> = {
  tei: {
    label: 'TEI rerank',
    route: '/rerank',
    body: (r) => ({ query: r.query, texts: r.texts, raw_scores: r.rawScores, truncate: true }),
    read: (json, texts) => readResults(json, 'score', texts, 'the answer'),
  },
  'cohere-v1': {
    label: 'Cohere v1 rerank',
    route: '/v1/rerank',
    body: cohereBody,
    read: (json, texts) => readResults(resultsField(json), 'relevance_score', texts, '`results`'),
  },
  'cohere-v2': {
    label: 'Cohere v2 rerank',
    route: '/v2/rerank',
    body: cohereBody,
    read: (json, texts) => readResults(resultsField(json), 'relevance_score', texts, '`results`'),
  },
  jina: {
    label: 'Jina rerank',
    route: '/v1/rerank',
    body: cohereBody,
    read: (json, texts) => readResults(resultsField(json), 'relevance_score', texts, '`results`'),
  },
};
