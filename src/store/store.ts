/**
 * The durable cache: one SQLite database (better-sqlite3) in the cache folder, shared by every run that
 * points at that folder. It holds embeddings, reranker scores and finished units of work, each committed
 * in its own transaction as soon as it is computed, so a run killed at any moment (kill -9) loses at most
 * the batch in flight. WAL mode lets concurrent runs read while one writes; `busy_timeout` makes writers
 * wait for each other instead of failing. (WAL with synchronous=NORMAL survives process crashes; only an
 * operating-system crash can lose the last commits, which are then recomputed.)
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

export function sha256(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

const SCHEMA_VERSION = 1;

export class Store {
  readonly db: Database.Database;
  readonly file: string;
  private readonly stmts: ReturnType<Store['prepare']>;

  /** A throw-away store in a new temporary folder, deleted by `close()` (for --no-cache and benchmarks). */
  static temporary(): Store {
    return new Store(fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-nocache-')), true);
  }

  constructor(
    readonly dir: string,
    private readonly temporaryDir = false,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'rbench.sqlite');
    try {
      this.db = new Database(this.file, { timeout: 60_000 });
    } catch (e) {
      throw new UsageError(`cannot open the cache database ${this.file}: ${(e as Error).message}.`, { hint: 'Check the folder is writable, or point --cache / $RBENCH_CACHE elsewhere.' });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, text BLOB NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, text)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS scores (model TEXT NOT NULL, query BLOB NOT NULL, doc BLOB NOT NULL, score REAL NOT NULL, PRIMARY KEY (model, query, doc)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS units (key TEXT PRIMARY KEY, value BLOB NOT NULL, created TEXT NOT NULL) WITHOUT ROWID;
    `);
    const v = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schemaVersion') as { value: string } | undefined;
    if (!v) this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schemaVersion', String(SCHEMA_VERSION));
    else if (Number(v.value) !== SCHEMA_VERSION) {
      throw new UsageError(`the cache ${this.file} has schema version ${v.value}; this rbench uses ${SCHEMA_VERSION}.`, { hint: 'Use another --cache folder or delete this one.' });
    }
    this.stmts = this.prepare();
  }

  private prepare() {
    return {
      getEmb: this.db.prepare('SELECT vec FROM embeddings WHERE model = ? AND text = ?').pluck(),
      putEmb: this.db.prepare('INSERT OR REPLACE INTO embeddings (model, text, vec) VALUES (?, ?, ?)'),
      getScore: this.db.prepare('SELECT score FROM scores WHERE model = ? AND query = ? AND doc = ?').pluck(),
      putScore: this.db.prepare('INSERT OR REPLACE INTO scores (model, query, doc, score) VALUES (?, ?, ?, ?)'),
      getUnit: this.db.prepare('SELECT value FROM units WHERE key = ?').pluck(),
      putUnit: this.db.prepare('INSERT OR REPLACE INTO units (key, value, created) VALUES (?, ?, ?)'),
      countEmb: this.db.prepare('SELECT count(*) FROM embeddings WHERE model = ?').pluck(),
    };
  }

  /** Cached embeddings for texts (by sha256 of the text); missing entries are undefined. */
  getEmbeddings(model: string, texts: readonly string[]): (Float32Array | undefined)[] {
    return texts.map((t) => {
      const buf = this.stmts.getEmb.get(model, sha256(t)) as Buffer | undefined;
      if (!buf) return undefined;
      // Copy out of SQLite's buffer into an aligned Float32Array.
      const out = new Float32Array(buf.byteLength / 4);
      new Uint8Array(out.buffer).set(buf);
      return out;
    });
  }

  /** Commits a batch of embeddings in one transaction. */
  putEmbeddings(model: string, texts: readonly string[], vectors: readonly Float32Array[]): void {
    this.db.transaction(() => {
      texts.forEach((t, i) => {
        const v = vectors[i];
        this.stmts.putEmb.run(model, sha256(t), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      });
    })();
  }

  countEmbeddings(model: string): number {
    return this.stmts.countEmb.get(model) as number;
  }

  /** Cached reranker scores for (query, docs); NaN where missing. */
  getScores(model: string, query: string, docs: readonly string[]): Float64Array {
    const q = sha256(query);
    const out = new Float64Array(docs.length);
    docs.forEach((d, i) => {
      const s = this.stmts.getScore.get(model, q, sha256(d)) as number | undefined | null;
      out[i] = s === undefined || s === null ? Number.NaN : s;
    });
    return out;
  }

  /** Commits scores for (query, docs) in one transaction. NaN scores (failures) are not stored. */
  putScores(model: string, query: string, docs: readonly string[], scores: ArrayLike<number>): void {
    const q = sha256(query);
    this.db.transaction(() => {
      docs.forEach((d, i) => {
        const s = scores[i];
        if (!Number.isNaN(s)) this.stmts.putScore.run(model, q, sha256(d), s);
      });
    })();
  }

  getUnit<T>(key: string): T | undefined {
    const buf = this.stmts.getUnit.get(key) as Buffer | undefined;
    return buf === undefined ? undefined : (JSON.parse(buf.toString('utf8')) as T);
  }

  putUnit(key: string, value: unknown): void {
    this.stmts.putUnit.run(key, Buffer.from(JSON.stringify(value), 'utf8'), new Date().toISOString());
  }

  close(): void {
    if (this.db.open) this.db.close();
    if (this.temporaryDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
