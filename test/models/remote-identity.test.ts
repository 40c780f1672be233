/**
 * What a remote server says about its model, and what that means for caching: reading TEI's `/info`
 * answer, where `/info` is, which identities pin their weights, and how `server` enters the cache key.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/models/http/client.js';
import { infoUrl, readTeiInfo } from '../../src/models/http/server-info.js';
import { identityKey } from '../../src/models/embedding-cache.js';
import { needsScoreCanary } from '../../src/models/identity.js';
import type { ModelIdentity } from '../../src/models/types.js';

const SHA = '2cfc18c9415c912f9d8155881c133215df768a70';

describe('readTeiInfo', () => {
  it('reads the fields that identify the weights from a TEI 1.x answer, and the client batch limit', () => {
    // The shape TEI's router serialises (`Info` in router/src/lib.rs), as served for an embedding model.
    const answer = {
      model_id: 'BAAI/bge-base-en-v1.5',
      model_sha: SHA,
      model_dtype: 'float16',
      model_type: { embedding: { pooling: 'cls' } },
      max_concurrent_requests: 512,
      max_input_length: 512,
      max_batch_tokens: 16384,
      max_batch_requests: null,
      max_client_batch_size: 64,
      auto_truncate: false,
      tokenization_workers: 8,
      version: '1.5.0',
      sha: 'a0a4ab8a7a34ae5e3a6e05ec3b1b8d3e48c23ab7',
      docker_label: 'sha-a0a4ab8',
    };
    expect(readTeiInfo(answer)).toEqual({
      identity: { model_id: 'BAAI/bge-base-en-v1.5', model_sha: SHA, model_dtype: 'float16', pooling: 'cls', max_input_length: '512', version: '1.5.0' },
      maxClientBatchSize: 64,
    });
  });

  it('leaves out what the server did not give (no revision, a reranker has no pooling)', () => {
    const got = readTeiInfo({ model_id: '/data/my-reranker', model_sha: null, model_dtype: 'float32', model_type: { reranker: { id2label: { '0': 'LABEL_0' } } } });
    expect(got).toEqual({ identity: { model_id: '/data/my-reranker', model_dtype: 'float32' }, maxClientBatchSize: undefined });
  });

  it.each([[[]], [null], ['ok'], [{ model_sha: SHA }], [{ model_id: '' }], [{ model_id: 7 }]])('%j is not a TEI /info answer', (json) => {
    expect(() => readTeiInfo(json)).toThrow(ProtocolError);
  });
});

describe('infoUrl', () => {
  it.each([
    ['http://h:8080/rerank', '/rerank', 'http://h:8080/info'],
    ['http://h/tei/embed', '/embed', 'http://h/tei/info'],
    ['http://h/tei/rerank?key=1', '/rerank', 'http://h/tei/info?key=1'],
  ])('%s (%s) → %s', (endpoint, route, want) => {
    expect(infoUrl(new URL(endpoint), route).href).toBe(want);
  });
});

const remote = (server: ModelIdentity['server']): ModelIdentity => ({
  name: 'bge',
  backend: 'http',
  source: 'http://h:8080/rerank',
  weights: 'remote',
  settings: { api: 'tei', model: 'bge', rawScores: true },
  server,
});

describe('needsScoreCanary', () => {
  it.each([
    ['a server that said nothing', null, true],
    ['no revision', { model_id: 'BAAI/bge-reranker-base' }, true],
    ['a branch, which moves', { model_id: 'BAAI/bge-reranker-base', model_sha: 'main' }, true],
    ['a local folder: TEI ignores the revision', { model_id: '/data/bge', model_sha: SHA }, true],
    ['a Hub id at a commit', { model_id: 'BAAI/bge-reranker-base', model_sha: SHA }, false],
  ] as const)('%s → %s', (_what, server, want) => {
    expect(needsScoreCanary(remote(server))).toBe(want);
  });

  it('local models are identified by their files: never', () => {
    expect(needsScoreCanary({ name: 'minilm', backend: 'transformers', source: 'Xenova/ms-marco-MiniLM-L-6-v2', weights: 'pretrained', sha256: 'ab'.repeat(32) })).toBe(false);
  });
});

describe('identityKey and the server description', () => {
  it('changes with every field the server described', () => {
    const base = { model_id: 'BAAI/bge-reranker-base', model_sha: SHA, model_dtype: 'float16', version: '1.5.0' };
    const keys = [
      base,
      { ...base, model_sha: 'fedcba9876543210fedcba9876543210fedcba98' },
      { ...base, model_id: 'BAAI/bge-reranker-large' },
      { ...base, model_dtype: 'float32' },
      { ...base, version: '1.6.0' },
    ].map((s) => identityKey(remote(s)));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a server that said nothing adds nothing: the key is the one such a model had before servers were asked', () => {
    const { server: _server, ...before } = remote(null);
    expect(identityKey(remote(null))).toBe(identityKey(before));
    expect(identityKey(remote({ model_id: 'x' }))).not.toBe(identityKey(before));
  });
});
