import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CachedEmbedder } from '../../src/models/embedding-cache.js';
import type { Embedder, ModelIdentity } from '../../src/models/types.js';
import { packageRoot } from '../../src/paths.js';
import { Store } from '../../src/store/store.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A model double that counts what it is asked to embed (the cache is what is under test here). */
class CountingEmbedder implements Embedder {
  calls: string[] = [];
  constructor(readonly identity: ModelIdentity) {}
  async dimension() {
    return 3;
  }
  private vec(t: string, role: number) {
    return Float32Array.from([t.length, t.charCodeAt(0) || 0, role]);
  }
  async embedQueries(texts: string[]) {
    this.calls.push(...texts.map((t) => `q:${t}`));
    return texts.map((t) => this.vec(t, 1));
  }
  async embedDocuments(texts: string[]) {
    this.calls.push(...texts.map((t) => `d:${t}`));
    return texts.map((t) => this.vec(t, 2));
  }
  async dispose() {}
}

const ID: ModelIdentity = { name: 'm', backend: 'test', source: 'm', weights: 'built', sha256: 'abc' };

describe('Store', () => {
  it('keeps embeddings, scores and units across reopen, bit for bit', () => {
    const dir = tmp();
    const s1 = new Store(dir);
    const v = Float32Array.from([0.1, -2.5e-8, 3.4028234663852886e38]);
    s1.putEmbeddings('model', ['hello'], [v]);
    s1.putScores('rr', 'query', ['d1', 'd2'], [0.30000000000000004, Number.NaN]);
    s1.putUnit('run:x', { a: [1, 2] });
    s1.close();
    const s2 = new Store(dir);
    expect(s2.getEmbeddings('model', ['hello', 'other'])).toEqual([v, undefined]);
    const sc = s2.getScores('rr', 'query', ['d1', 'd2']);
    expect(sc[0]).toBe(0.30000000000000004);
    expect(Number.isNaN(sc[1])).toBe(true); // a failed (NaN) score is never stored as a value
    expect(s2.getUnit('run:x')).toEqual({ a: [1, 2] });
    s2.close();
  });

  it('two Stores on one folder see each other\'s commits at once', () => {
    const dir = tmp();
    const a = new Store(dir);
    const b = new Store(dir);
    a.putUnit('u', { from: 'a' });
    a.putScores('rr', 'q', ['d1'], [0.25]);
    expect(b.getUnit('u')).toEqual({ from: 'a' });
    expect(Array.from(b.getScores('rr', 'q', ['d1', 'd2']))).toEqual([0.25, Number.NaN]);
    b.putUnit('u', { from: 'b' }); // the last writer wins
    expect(a.getUnit('u')).toEqual({ from: 'b' });
    a.close();
    b.close();
  });

  it('survives concurrent writers in separate processes, each a Store on the same new folder', async () => {
    const dir = tmp();
    const storeJs = pathToFileURL(path.join(packageRoot(), 'dist', 'src', 'store', 'store.js')).href;
    // Writer n commits 500 rounds of a score, a unit and an embedding, reading the other writers' units as
    // it goes. The three writers and this process's reader open the new folder at about the same time: one
    // of them creates the database while the others open it.
    const script = (n: number) => `
      import { Store } from ${JSON.stringify(storeJs)};
      const s = new Store(${JSON.stringify(dir)});
      let seen = 0;
      for (let i = 0; i < 500; i++) {
        s.putScores('rr', 'q${n}', ['d' + i], [${n} + i / 1000]);
        s.putUnit('w${n}:' + i, { n: ${n}, i });
        s.putEmbeddings('m', ['w${n} text ' + i], [Float32Array.from([${n}, i, -i])]);
        for (const other of [1, 2, 3]) if (s.getUnit('w' + other + ':' + i) !== undefined) seen++;
      }
      s.close();
      process.stdout.write(String(seen));`;
    const writers = Promise.all(
      [1, 2, 3].map(
        (n) =>
          new Promise<string>((resolve, reject) => {
            let out = '';
            let err = '';
            const p = spawn(process.execPath, ['--input-type=module', '-e', script(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
            p.stdout.on('data', (c: Buffer) => (out += c.toString()));
            p.stderr.on('data', (c: Buffer) => (err += c.toString()));
            p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`writer ${n} exited ${code}: ${err}`))));
          }),
      ),
    );
    // Held open while the children write; it must see their commits without reopening.
    const watcher = new Store(dir);
    const outputs = await writers;
    // Each writer read at least its own 500 units back.
    for (const o of outputs) expect(Number(o)).toBeGreaterThanOrEqual(500);
    for (const store of [watcher, new Store(dir)]) {
      for (const n of [1, 2, 3]) {
        for (const i of [0, 249, 499]) {
          expect(store.getUnit(`w${n}:${i}`)).toEqual({ n, i });
          expect(Array.from(store.getScores('rr', `q${n}`, [`d${i}`]))).toEqual([n + i / 1000]);
          expect(store.getEmbeddings('m', [`w${n} text ${i}`])).toEqual([Float32Array.from([n, i, -i])]);
        }
      }
      expect(store.countEmbeddings('m')).toBe(1500);
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
      store.close();
    }
  });
});

describe('CachedEmbedder', () => {
  it('embeds each text once: a second run over the same texts embeds nothing', async () => {
    const dir = tmp();
    const inner = new CountingEmbedder(ID);
    const store = new Store(dir);
    const cached = new CachedEmbedder(inner, store, 2);
    const docs = ['alpha', 'beta', 'gamma', 'alpha'];
    const first = await cached.embedDocuments(docs);
    expect(inner.calls.filter((c) => c.startsWith('d:'))).toHaveLength(4); // duplicates inside one call both miss
    inner.calls = [];
    const second = await new CachedEmbedder(inner, store, 2).embedDocuments(docs);
    expect(inner.calls).toEqual([]);
    expect(second).toEqual(first);
    // Query and passage embeddings are different roles (prefixes differ for some models).
    await cached.embedQueries(['alpha']);
    expect(inner.calls).toEqual(['q:alpha']);
    store.close();
  });

  it('keys vectors by model identity: another model or setting misses', async () => {
    const dir = tmp();
    const store = new Store(dir);
    const a = new CountingEmbedder(ID);
    await new CachedEmbedder(a, store).embedDocuments(['x']);
    const b = new CountingEmbedder({ ...ID, settings: { pooling: 'cls' } });
    await new CachedEmbedder(b, store).embedDocuments(['x']);
    expect(b.calls).toEqual(['d:x']);
    store.close();
  });
});
