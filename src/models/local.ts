/**
 * Local model resolution: the one place that turns what a config or command names (an alias, a Hub id or a
 * folder path) into a model folder on disk, with a content hash of its files for result identities.
 *
 * Lookup order: an alias (aliases.ts) → its id under `<modelsDir>/`; an explicit path (absolute, `./`, `../`,
 * `~/`) → that folder; a name → `<modelsDir>/<name>/`, else a folder of that name relative to the working
 * directory. A missing model is a UsageError naming the model, the folders looked in and the command that
 * fixes it (`rbench models fetch <hub id>` or `rbench models build <alias>`).
 *
 * The hash covers the files that determine the scores: `config.json`, the tokenizer files and every ONNX file
 * (with its external data) under `onnx/` (or only those of one dtype when asked). Hashing a 2 GB model on every
 * run would be too slow, so per-file hashes are kept in a sidecar (`.rbench-hashes.json` in the model folder)
 * keyed by size and mtime, and recomputed only for files that changed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findAlias, type ModelAlias } from './aliases.js';

export interface LocalModel {
  /** Absolute folder. */
  dir: string;
  /** Hub-style id when the model was named by alias or id; undefined for a plain folder path. */
  id?: string;
  /** Alias name when the model was named by alias (or its id is an alias's id). */
  alias?: string;
  /** Files covered by the hash, relative to `dir` with `/` separators, sorted. */
  files: string[];
  /** sha256 (hex) over the covered files' paths and contents. */
  sha256: string;
}

export interface ResolveOptions {
  /** Hash only the ONNX file of this dtype (`fp32`: onnx/model.onnx, `q8`: onnx/model_quantized.onnx); default: every ONNX file. */
  dtype?: 'fp32' | 'q8';
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'sentencepiece.bpe.model', 'merges.txt', 'vocab.json'];
const DTYPE_ONNX = { fp32: 'model.onnx', q8: 'model_quantized.onnx' } as const;
export const HASH_SIDECAR = '.rbench-hashes.json';

/** The folder a Hub id or built model id lives in under `modelsDir`. */
export function localModelDir(id: string, modelsDir: string): string {
  return path.join(modelsDir, ...id.split('/'));
}

/** The command that makes a model available offline. */
export function fixCommand(name: string): string {
  const alias = findAlias(name);
  if (alias?.perCorpus) return `rbench models build glove --dataset <name|path>`;
  if (alias?.built) return `rbench models build ${alias.alias}`;
  return `rbench models fetch ${alias?.id ?? name}`;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function isExplicitPath(p: string): boolean {
  return path.isAbsolute(p) || p.startsWith('./') || p.startsWith('../') || p.startsWith('~/') || p === '.' || p === '..' || p.startsWith('.\\') || p.startsWith('..\\');
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Files of `dir` that the hash covers (relative, `/`-separated, sorted). */
export function modelFiles(dir: string, opts: ResolveOptions = {}): string[] {
  const files: string[] = [];
  if (fs.existsSync(path.join(dir, 'config.json'))) files.push('config.json');
  for (const t of TOKENIZER_FILES) if (fs.existsSync(path.join(dir, t))) files.push(t);
  const onnxDir = path.join(dir, 'onnx');
  if (isDir(onnxDir)) {
    const names = fs.readdirSync(onnxDir).sort();
    const onnx = opts.dtype ? names.filter((n) => n === DTYPE_ONNX[opts.dtype as 'fp32' | 'q8']) : names.filter((n) => n.endsWith('.onnx'));
    for (const n of onnx) {
      files.push(`onnx/${n}`);
      // External data: <name>_data, <name>_data_1, ... (transformers.js' chunk naming).
      for (const d of names) if (d === `${n}_data` || d.startsWith(`${n}_data_`)) files.push(`onnx/${d}`);
    }
  }
  return files.sort();
}

interface SidecarEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}
interface Sidecar {
  version: 1;
  files: Record<string, SidecarEntry>;
}

function readSidecar(dir: string): Sidecar {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, HASH_SIDECAR), 'utf8')) as Sidecar;
    if (s.version === 1 && s.files && typeof s.files === 'object') return s;
  } catch {
    /* absent or unreadable: start afresh */
  }
  return { version: 1, files: {} };
}

function writeSidecar(dir: string, s: Sidecar): void {
  const tmp = path.join(dir, `${HASH_SIDECAR}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(s, null, 1)}\n`);
    fs.renameSync(tmp, path.join(dir, HASH_SIDECAR));
  } catch {
    // A read-only model folder: the hash is simply recomputed next time.
    fs.rmSync(tmp, { force: true });
  }
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Content hash of a model folder: sha256 over `<relative path>\0<file sha256>\n` for the covered files in
 * sorted order. Per-file hashes are reused from the sidecar when size and mtime match.
 */
export async function modelHash(dir: string, files: readonly string[]): Promise<string> {
  const side = readSidecar(dir);
  let changed = false;
  const h = createHash('sha256');
  for (const rel of files) {
    const abs = path.join(dir, ...rel.split('/'));
    const st = fs.statSync(abs);
    let entry = side.files[rel];
    if (!entry || entry.size !== st.size || entry.mtimeMs !== st.mtimeMs) {
      entry = { size: st.size, mtimeMs: st.mtimeMs, sha256: await sha256File(abs) };
      side.files[rel] = entry;
      changed = true;
    }
    h.update(`${rel}\0${entry.sha256}\n`);
  }
  for (const k of Object.keys(side.files)) {
    if (!fs.existsSync(path.join(dir, ...k.split('/')))) {
      delete side.files[k];
      changed = true;
    }
  }
  if (changed) writeSidecar(dir, side);
  return h.digest('hex');
}

function missing(name: string, looked: string[], alias: ModelAlias | undefined, reason = 'is not available offline'): UsageError {
  const where = looked.map((l) => `"${l}"`).join(' and ');
  const fix = alias || !isExplicitPath(name) ? ` Run \`${fixCommand(name)}\` to make it available${alias?.built ? '' : ' (it needs network access to the Hugging Face Hub or an $HF_ENDPOINT mirror)'}, or name a local model folder.` : ' Check the path.';
  return new UsageError(`model "${name}" ${reason}: looked in ${where}.${fix}`);
}

function checkComplete(name: string, dir: string, alias: ModelAlias | undefined): void {
  const onnxDir = path.join(dir, 'onnx');
  const hasOnnx = isDir(onnxDir) && fs.readdirSync(onnxDir).some((n) => n.endsWith('.onnx'));
  const lacks = [!fs.existsSync(path.join(dir, 'config.json')) ? 'config.json' : '', !hasOnnx ? 'onnx/*.onnx' : ''].filter(Boolean);
  if (lacks.length > 0) throw missing(name, [dir], alias, `is incomplete (no ${lacks.join(', no ')})`);
}

/**
 * Resolves an alias, a Hub id (under `<modelsDir>/<id>/`) or a folder path to a local model folder and its
 * content hash. Throws a UsageError naming the fix when the model is not there.
 */
export async function resolveLocalModel(nameOrIdOrPath: string, modelsDir: string, opts: ResolveOptions = {}): Promise<LocalModel> {
  const name = nameOrIdOrPath.trim();
  if (name === '') throw new UsageError('empty model name.', { hint: 'Name an alias (see `rbench models list`), a Hub id or a model folder.' });
  const alias = findAlias(name);
  let dir: string;
  let id: string | undefined;
  if (alias) {
    id = alias.id;
    dir = localModelDir(alias.id, modelsDir);
    if (!isDir(dir)) throw missing(name, [dir], alias);
  } else if (isExplicitPath(name)) {
    dir = path.resolve(expandHome(name));
    if (!isDir(dir)) throw missing(name, [dir], undefined, 'is not a folder');
  } else {
    const underModels = localModelDir(name, modelsDir);
    const relative = path.resolve(name);
    if (isDir(underModels)) {
      dir = underModels;
      id = name;
    } else if (isDir(relative)) {
      dir = relative;
    } else {
      throw missing(name, [underModels, relative], undefined);
    }
  }
  dir = path.resolve(dir);
  checkComplete(name, dir, alias);
  const files = modelFiles(dir, opts);
  if (opts.dtype && !files.some((f) => f.startsWith('onnx/'))) {
    throw new UsageError(`model "${name}" has no onnx/${DTYPE_ONNX[opts.dtype]} in "${dir}" (dtype ${opts.dtype}).`, {
      hint: `Fetch that variant with \`rbench models fetch ${id ?? name} --dtype ${opts.dtype}\` or choose another dtype.`,
    });
  }
  const sha256 = await modelHash(dir, files);
  const aliasName = alias?.alias ?? (id ? findAlias(id)?.alias : undefined);
  return { dir, ...(id ? { id } : {}), ...(aliasName ? { alias: aliasName } : {}), files, sha256 };
}

/** Whether a model (alias or id) is present under `modelsDir` (config.json and an ONNX file). */
export function isModelPresent(nameOrId: string, modelsDir: string): boolean {
  const id = findAlias(nameOrId)?.id ?? nameOrId;
  const dir = localModelDir(id, modelsDir);
  const onnxDir = path.join(dir, 'onnx');
  return fs.existsSync(path.join(dir, 'config.json')) && isDir(onnxDir) && fs.readdirSync(onnxDir).some((n) => n.endsWith('.onnx'));
}
