/**
 * Pieces of the shared HTTP client that are plain functions: Retry-After parsing, error-body summaries,
 * endpoint resolution, public URLs, signal linking, index placement.
 */
import { describe, expect, it } from 'vitest';
import { placeByIndex } from '../../src/models/http/batching.js';
import { linkSignals, parseRetryAfter, ProtocolError, summarizeErrorBody } from '../../src/models/http/client.js';
import { endpointFor, publicUrl } from '../../src/models/http/spec.js';

describe('parseRetryAfter (RFC 9110 §10.2.3: delay-seconds or HTTP-date)', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  it.each([
    ['0', 0],
    ['1', 1000],
    [' 120 ', 120_000],
    ['Wed, 25 Nov 2026 12:00:30 GMT', 30_000],
    ['Wed, 25 Nov 2026 11:59:00 GMT', 0],
  ])('%j → %d ms', (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it('is undefined when absent or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('summarizeErrorBody', () => {
  it.each([
    ['{"error":"batch size 40 > maximum allowed batch size 32","error_type":"Validation"}', 'batch size 40 > maximum allowed batch size 32 (Validation)'],
    ['{"error":{"message":"Invalid model","type":"invalid_request_error"}}', 'Invalid model'],
    ['{"message":"invalid api token"}', 'invalid api token'],
    ['{"detail":[{"loc":["body","query"],"msg":"field required"}]}', '[{"loc":["body","query"],"msg":"field required"}]'],
    ['<html>\n  <body>502 Bad Gateway</body>\n</html>', '<html> <body>502 Bad Gateway</body> </html>'],
    ['', ''],
  ])('%s', (body, summary) => {
    expect(summarizeErrorBody(body)).toBe(summary);
  });

  it('trims long bodies', () => {
    const s = summarizeErrorBody('x'.repeat(5000));
    expect(s.length).toBe(301);
    expect(s.endsWith('…')).toBe(true);
  });
});

describe('endpointFor', () => {
  it.each([
    ['http://h:8080', '/rerank', 'http://h:8080/rerank'],
    ['http://h:8080/', '/rerank', 'http://h:8080/rerank'],
    ['http://h:8080/rerank', '/rerank', 'http://h:8080/rerank'],
    ['https://api.cohere.com', '/v2/rerank', 'https://api.cohere.com/v2/rerank'],
    ['https://api.cohere.com/v2', '/v2/rerank', 'https://api.cohere.com/v2/rerank'],
    ['https://api.jina.ai/v1/rerank', '/v1/rerank', 'https://api.jina.ai/v1/rerank'],
    ['https://gw.example.com/openai/v1', '/v1/embeddings', 'https://gw.example.com/openai/v1/embeddings'],
    ['http://127.0.0.1:8000/v1', '/chat/completions', 'http://127.0.0.1:8000/v1/chat/completions'],
    ['http://h/v1/chat/completions', '/chat/completions', 'http://h/v1/chat/completions'],
    ['http://h/tei?key=1', '/rerank', 'http://h/tei/rerank?key=1'],
  ])('%s + %s → %s', (base, route, want) => {
    expect(endpointFor(new URL(base), route).href).toBe(want);
  });

  it('publicUrl drops credentials, query and fragment', () => {
    expect(publicUrl(new URL('https://u:p@h.example.com/v1/rerank?api_key=secret#x'))).toBe('https://h.example.com/v1/rerank');
  });
});

describe('linkSignals', () => {
  it('aborts with the source reason, and stops following the sources once released', () => {
    const a = new AbortController();
    const b = new AbortController();
    const first = linkSignals([a.signal, undefined, b.signal]);
    const second = linkSignals([a.signal]);
    second.release();
    b.abort(new Error('b went'));
    expect(first.signal.aborted).toBe(true);
    expect((first.signal.reason as Error).message).toBe('b went');
    a.abort(new Error('a went'));
    expect(second.signal.aborted).toBe(false);
  });

  it('is aborted at once when a source already is', () => {
    const a = new AbortController();
    a.abort('gone');
    expect(linkSignals([a.signal]).signal.reason).toBe('gone');
  });
});

describe('placeByIndex', () => {
  it('puts values where their index says, whatever the order', () => {
    expect(placeByIndex([{ index: 2, value: 'c' }, { index: 0, value: 'a' }, { index: 1, value: 'b' }], 3, 'score')).toEqual(['a', 'b', 'c']);
  });

  it.each([
    [[{ index: 0, value: 1 }], /no score for 1 of the 2 texts sent \(missing index 1\)/],
    [[{ index: 0, value: 1 }, { index: 0, value: 2 }], /index 0 appears twice/],
    [[{ index: 0, value: 1 }, { index: 2, value: 2 }], /index 2, outside 0\.\.1/],
    [[{ index: 0, value: 1 }, { index: -1, value: 2 }], /index -1, outside/],
    [[{ index: 0, value: 1 }, { index: 1.5, value: 2 }], /index 1\.5, not an integer/],
    [[{ index: 0, value: 1 }, { index: '1', value: 2 }], /index "1", not an integer/],
    [[{ index: 0, value: 1 }, { index: 1, value: 2 }, { index: 2, value: 3 }], /index 2, outside 0\.\.1/],
  ])('refuses %j for 2 texts', (results, message) => {
    expect(() => placeByIndex(results, 2, 'score')).toThrow(ProtocolError);
    expect(() => placeByIndex(results, 2, 'score')).toThrow(message);
  });
});
