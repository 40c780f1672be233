import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CachedEmbedder } from '../../src/models/embedding-cache.js';
import type { Embedder, ModelIdentity } from '../../src/models/types.js';
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

  it('survives concurrent writers in separate processes', async () => {
    const dir = tmp();
    new Store(dir).close();
    // Each child writes 200 transactions; children run at the same time against one database.
    const script = (n: number) => `
      const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(path.join(dir, 'rbench.sqlite'))}, { timeout: 60000 });
      db.pragma('journal_mode = WAL');
      const put = db.prepare('INSERT OR REPLACE INTO units (key, value, created) VALUES (?, ?, ?)');
      for (let i = 0; i < 200; i++) db.transaction(() => put.run('w${n}:' + i, Buffer.from(JSON.stringify(i)), 'now'))();
      db.close();`;
    await Promise.all(
      [1, 2, 3].map(
        (n) =>
          new Promise<void>((resolve, reject) => {
            const p = spawn(process.execPath, ['-e', script(n)], { stdio: 'inherit' });
            p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${n} exited ${code}`))));
          }),
      ),
    );
    const s = new Store(dir);
    for (const n of [1, 2, 3]) for (const i of [0, 99, 199]) expect(s.getUnit(`w${n}:${i}`)).toBe(i);
    expect(s.db.pragma('integrity_check', { simple: true })).toBe('ok');
    s.close();
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
