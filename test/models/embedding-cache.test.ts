/**
 * The durable embedding cache wrapper over a real Store: hits are served, misses embedded once, and a damaged
 * row (a vector of the wrong length) is never returned as a vector.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CachedEmbedder, identityKey } from '../../src/models/embedding-cache.js';
import type { Embedder } from '../../src/models/types.js';
import { Store } from '../../src/store/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-embcache-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A 3-dimensional "model": (length, vowels, spaces) of the text; counts its calls. */
function countingEmbedder(): Embedder & { calls: string[][] } {
  const calls: string[][] = [];
  const embed = async (texts: string[]) => {
    calls.push(texts);
    return texts.map((t) => Float32Array.from([t.length, (t.match(/[aeiou]/g) ?? []).length, (t.match(/ /g) ?? []).length]));
  };
  return {
    calls,
    identity: { name: 'count', backend: 'test', source: 'count', weights: 'built' },
    dimension: async () => 3,
    embedQueries: embed,
    embedDocuments: embed,
    dispose: async () => {},
  };
}

describe('CachedEmbedder', () => {
  it('embeds each text once and serves it from the store afterwards', async () => {
    const store = new Store(path.join(tmp, 'a'));
    const inner = countingEmbedder();
    const cached = new CachedEmbedder(inner, store, 2);
    expect(await cached.embedDocuments(['a cat', 'dog'])).toEqual([Float32Array.from([5, 2, 1]), Float32Array.from([3, 1, 0])]);
    expect(await cached.embedDocuments(['dog', 'a cat', 'eel'])).toEqual([Float32Array.from([3, 1, 0]), Float32Array.from([5, 2, 1]), Float32Array.from([3, 2, 0])]);
    expect(inner.calls).toEqual([['a cat', 'dog'], ['eel']]);
    expect(cached.stats).toEqual({ hits: 2, misses: 3 });
    store.close();
  });

  it('treats a cached vector of the wrong length (a damaged row) as a miss and embeds it again', async () => {
    const store = new Store(path.join(tmp, 'b'));
    const inner = countingEmbedder();
    const cached = new CachedEmbedder(inner, store, 8);
    await cached.embedDocuments(['one', 'two two']);
    // Damage one row: two floats instead of three.
    store.putEmbeddings(`${identityKey(inner.identity)}:passage`, ['two two'], [Float32Array.from([1, 2])]);
    const again = await cached.embedDocuments(['one', 'two two']);
    expect(again).toEqual([Float32Array.from([3, 2, 0]), Float32Array.from([7, 2, 1])]);
    expect(inner.calls).toEqual([['one', 'two two'], ['two two']]);
    store.close();
  });
});
