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
import { ensureWritableDir } from '../paths.js';

export function sha256(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

const SCHEMA_VERSION = 1;

/** SQLite's answers for a file that is not a database, or a damaged one. */
function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

export interface StoreOptions {
  /** Delete the folder on close (a throw-away store). */
  temporary?: boolean;
  /**
   * A database file that SQLite cannot read is moved aside (`rbench.sqlite.damaged-<time>`, with its -wal and
   * -shm files) and a new one is started; this callback says so. Without it, such a file is an error (exit 2)
   * that names the file and how to recover.
   */
  onMovedAside?: (message: string) => void;
}

export class Store {
  readonly db: Database.Database;
  readonly file: string;
  private readonly stmts: ReturnType<Store['prepare']>;
  private readonly temporaryDir: boolean;

  /** A throw-away store in a new temporary folder, deleted by `close()` (for --no-cache and benchmarks). */
  static temporary(): Store {
    return new Store(fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-nocache-')), { temporary: true });
  }

  /** The store of a cache folder; a damaged database file is moved aside, and `notice` says so. */
  static open(dir: string, notice: (message: string) => void): Store {
    return new Store(dir, { onMovedAside: notice });
  }

  constructor(
    readonly dir: string,
    opts: StoreOptions = {},
  ) {
    this.temporaryDir = opts.temporary ?? false;
    ensureWritableDir(dir, 'cache folder');
    this.file = path.join(dir, 'rbench.sqlite');
    let db: Database.Database;
    try {
      db = this.openDatabase();
    } catch (e) {
      if (!isCorruption(e)) throw e;
      if (!opts.onMovedAside) throw this.damaged(e);
      const aside = `${this.file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(this.file + suffix)) fs.renameSync(this.file + suffix, aside + suffix);
      opts.onMovedAside(`rbench: the cache database ${this.file} could not be read (${(e as Error).message}); moved it to ${aside} and started a new one. Earlier cached work will be recomputed.`);
      db = this.openDatabase();
    }
    this.db = db;
    this.stmts = this.prepare();
  }

  /** Opens the database file and checks it is one of ours (any SQLite error from a damaged file propagates). */
  private openDatabase(): Database.Database {
    let db: Database.Database;
    try {
      db = new Database(this.file, { timeout: 60_000 });
    } catch (e) {
      if (isCorruption(e)) throw e;
      throw new UsageError(`cannot open the cache database ${this.file}: ${(e as Error).message}.`, { hint: 'Check the folder is writable, or point --cache / $RBENCH_CACHE elsewhere.' });
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, text BLOB NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (model, text)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS scores (model TEXT NOT NULL, query BLOB NOT NULL, doc BLOB NOT NULL, score REAL NOT NULL, PRIMARY KEY (model, query, doc)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS units (key TEXT PRIMARY KEY, value BLOB NOT NULL, created TEXT NOT NULL) WITHOUT ROWID;
      `);
      const v = db.prepare('SELECT value FROM meta WHERE key = ?').get('schemaVersion') as { value: string } | undefined;
      if (!v) db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schemaVersion', String(SCHEMA_VERSION));
      else if (Number(v.value) !== SCHEMA_VERSION) {
        throw new UsageError(`the cache ${this.file} has schema version ${v.value}; this rbench uses ${SCHEMA_VERSION}.`, { hint: 'Use another --cache folder or delete this one.' });
      }
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  /** The error for a database SQLite finds damaged while a run uses it. */
  private damaged(e: unknown): UsageError {
    return new UsageError(`the cache database ${this.file} is damaged (${(e as Error).message}).`, {
      hint: `Move it away (mv ${this.file} ${this.file}.bad) and run again, or run with --no-cache; its cached work will be recomputed.`,
      cause: e,
    });
  }

  /** Runs a statement, turning SQLite's corruption errors into a usage error that says how to recover. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isCorruption(e)) throw this.damaged(e);
      throw e;
    }
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
      const buf = this.guard(() => this.stmts.getEmb.get(model, sha256(t))) as unknown;
      // A row that is not a whole number of float32s (a damaged row) is a miss, never a vector.
      if (!Buffer.isBuffer(buf) || buf.byteLength === 0 || buf.byteLength % 4 !== 0) return undefined;
      // Copy out of SQLite's buffer into an aligned Float32Array.
      const out = new Float32Array(buf.byteLength / 4);
      new Uint8Array(out.buffer).set(buf);
      return out;
    });
  }

  /** Commits a batch of embeddings in one transaction. */
  putEmbeddings(model: string, texts: readonly string[], vectors: readonly Float32Array[]): void {
    this.guard(() =>
      this.db.transaction(() => {
        texts.forEach((t, i) => {
          const v = vectors[i];
          this.stmts.putEmb.run(model, sha256(t), Buffer.from(v.buffer, v.byteOffset, v.byteLength));
        });
      })(),
    );
  }

  countEmbeddings(model: string): number {
    return this.guard(() => this.stmts.countEmb.get(model)) as number;
  }

  /** Cached reranker scores for (query, docs); NaN where missing. */
  getScores(model: string, query: string, docs: readonly string[]): Float64Array {
    const q = sha256(query);
    const out = new Float64Array(docs.length);
    docs.forEach((d, i) => {
      const s = this.guard(() => this.stmts.getScore.get(model, q, sha256(d))) as unknown;
      // Anything but a finite number (a damaged row) is a miss: the pair is scored again.
      out[i] = typeof s === 'number' && Number.isFinite(s) ? s : Number.NaN;
    });
    return out;
  }

  /** Commits scores for (query, docs) in one transaction. NaN scores (failures) are not stored. */
  putScores(model: string, query: string, docs: readonly string[], scores: ArrayLike<number>): void {
    const q = sha256(query);
    this.guard(() =>
      this.db.transaction(() => {
        docs.forEach((d, i) => {
          const s = scores[i];
          if (!Number.isNaN(s)) this.stmts.putScore.run(model, q, sha256(d), s);
        });
      })(),
    );
  }

  /** A finished unit of work; a row that does not parse (a damaged row) is a miss and is recomputed. */
  getUnit<T>(key: string): T | undefined {
    const buf = this.guard(() => this.stmts.getUnit.get(key)) as unknown;
    if (!Buffer.isBuffer(buf)) return undefined;
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      return undefined;
    }
  }

  putUnit(key: string, value: unknown): void {
    this.guard(() => this.stmts.putUnit.run(key, Buffer.from(JSON.stringify(value), 'utf8'), new Date().toISOString()));
  }

  close(): void {
    if (this.db.open) this.db.close();
    if (this.temporaryDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
