/**
 * The embedding APIs spoken by `createHttpEmbedder` (CONVENTIONS.md section 4): OpenAI-compatible
 * `/v1/embeddings` (results carry an `index`, placed by it) and TEI `/embed` (a bare array in input order,
 * the only mapping that API offers, so its length is checked).
 */
import { placeByIndex } from './batching.js';
import { describeJson, ProtocolError } from './client.js';

export const EMBED_APIS = ['openai', 'tei'] as const;
export type EmbedApi = (typeof EMBED_APIS)[number];

export interface EmbedRequest {
  texts: string[];
  model: string | undefined;
  /** TEI: ask the server to L2-normalise. */
  normalize: boolean;
}

export interface EmbedApiDef {
  label: string;
  route: string;
  body(r: EmbedRequest): Record<string, unknown>;
  /** One vector per text, in text order; throws `ProtocolError` on any inconsistency. */
  read(json: unknown, n: number): Float32Array[];
}

/** A non-empty array of finite numbers, as a Float32Array. */
function toVector(v: unknown, where: string): Float32Array {
  if (!Array.isArray(v) || v.length === 0) throw new ProtocolError(`${where} is ${describeJson(v)}, not a non-empty array of numbers`);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new ProtocolError(`${where}[${i}] is ${JSON.stringify(x)}, not a finite number`);
    out[i] = x;
  }
  return out;
}

function sameDimension(vectors: Float32Array[]): Float32Array[] {
  const d = vectors[0]?.length;
  const k = vectors.findIndex((v) => v.length !== d);
  if (k >= 0) throw new ProtocolError(`vectors of different dimensions in one answer (${d} and ${vectors[k].length})`);
  return vectors;
}

export const EMBED_API_DEFS: Record<EmbedApi, EmbedApiDef> = {
  openai: {
    label: 'OpenAI embeddings',
    route: '/v1/embeddings',
    body: (r) => {
      const body: Record<string, unknown> = { input: r.texts, encoding_format: 'float' };
      if (r.model !== undefined) body.model = r.model;
      return body;
    },
    read: (json, n) => {
      const data = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>).data : undefined;
      if (!Array.isArray(data)) throw new ProtocolError(`expected an object with a \`data\` array, got ${describeJson(json)}`);
      const entries = data.map((item, k) => {
        if (item === null || typeof item !== 'object') throw new ProtocolError(`data[${k}] is ${describeJson(item)}, not an object`);
        const e = item as Record<string, unknown>;
        return { index: e.index, value: toVector(e.embedding, `data[${k}].embedding`) };
      });
      return sameDimension(placeByIndex(entries, n, 'embedding'));
    },
  },
  tei: {
    label: 'TEI embed',
    route: '/embed',
    body: (r) => ({ inputs: r.texts, normalize: r.normalize, truncate: true }),
    read: (json, n) => {
      if (!Array.isArray(json)) throw new ProtocolError(`expected an array of vectors, got ${describeJson(json)}`);
      if (json.length !== n) throw new ProtocolError(`${json.length} vectors for the ${n} texts sent`);
      return sameDimension(json.map((v, k) => toVector(v, `vector ${k}`)));
    },
  },
};
