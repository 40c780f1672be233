/**
 * `rbench models list|build|fetch`: model aliases, the models rbench builds, and Hub downloads for offline use.
 *
 * - `list [--format table|json]`: every alias with its kind, id, weights (pretrained / random / built), whether it
 *   is present in the models folder, and its size.
 * - `build [names...] [--force]`: builds the tiny test models and the architecture stand-ins (default: all six);
 *   `build glove --dataset <name|path>` builds the two GloVe models of one corpus (as `rbench run` would).
 * - `fetch <alias|hub-id> [--revision main] [--dtype fp32|q8] [--endpoint URL] [--force]`: downloads a Hub model
 *   for offline use (`$HF_ENDPOINT`, `$HF_TOKEN`).
 *
 * Models live in `$RBENCH_MODELS`, else `<cache>/models` (`--cache`, `$RBENCH_CACHE`, `.rbench-cache`).
 * Progress goes to stderr, results to stdout; bad input is a UsageError (exit 2).
 */
import type { Argv } from 'yargs';
import { defineCommand } from '../command.js';

interface ModelsArgs {
  action: 'list' | 'build' | 'fetch';
  names?: string[];
  force?: boolean;
  revision: string;
  dtype: 'fp32' | 'q8';
  endpoint?: string;
  dataset?: string;
  split?: string;
  cache?: string;
  format: 'table' | 'json';
  quiet?: boolean;
}

export const modelsCommand = defineCommand({
  command: 'models <action> [names..]',
  describe: 'list model aliases, build the offline models, fetch Hub models for offline use',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['list', 'build', 'fetch'] as const, describe: 'what to do', demandOption: true })
      .positional('names', { type: 'string', array: true, describe: 'build: model aliases (default: tiny models and stand-ins; `glove` with --dataset); fetch: one alias or Hub id' })
      .option('force', { type: 'boolean', describe: 'build: rebuild even if up to date; fetch: download again' })
      .option('revision', { type: 'string', default: 'main', describe: 'fetch: branch, tag or commit' })
      .option('dtype', { choices: ['fp32', 'q8'] as const, default: 'fp32' as const, describe: 'fetch: ONNX weights (onnx/model.onnx or onnx/model_quantized.onnx)' })
      .option('endpoint', { type: 'string', describe: 'fetch: Hub or mirror URL (default $HF_ENDPOINT or https://huggingface.co)' })
      .option('dataset', { type: 'string', describe: 'build glove: dataset name or folder whose corpus the GloVe models are built for' })
      .option('split', { type: 'string', default: 'test', describe: 'build glove: judgment split of the dataset (only to load it)' })
      .option('cache', { type: 'string', describe: 'cache folder (models in <cache>/models unless $RBENCH_MODELS); default $RBENCH_CACHE or .rbench-cache' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const, describe: 'list: output format' })
      .option('quiet', { type: 'boolean', describe: 'no progress on stderr' })
      .example('rbench models list', '')
      .example('rbench models build', 'tiny test models and the three stand-ins (bge-large-standin writes 2.2 GB)')
      .example('rbench models build minilm-standin --force', '')
      .example('rbench models build glove --dataset scifact', 'GloVe embedder and reranker for one corpus')
      .example('rbench models fetch minilm', 'Xenova/ms-marco-MiniLM-L-6-v2 from the Hub')
      .example('HF_ENDPOINT=https://hf-mirror.example rbench models fetch Xenova/bge-reranker-base --dtype q8', ''),
  handler: async (argv) => runModels(argv),
});

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

function progress(a: ModelsArgs): (line: string) => void {
  return a.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
}

/** Text table: left-aligned, numbers right-aligned. */
function table(rows: Array<Array<string | number>>): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows.map((r) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

function mb(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

async function runModels(a: ModelsArgs): Promise<number> {
  const { modelsDir } = await import('../../paths.js');
  const dir = modelsDir(a.cache);
  switch (a.action) {
    case 'list':
      return list(a, dir);
    case 'build':
      return build(a, dir);
    case 'fetch':
      return fetchCmd(a, dir);
  }
}

async function folderSize(p: string): Promise<number> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  let n = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const q = path.join(d, e.name);
      if (e.isDirectory()) walk(q);
      else if (e.isFile()) n += fs.statSync(q).size;
    }
  };
  walk(p);
  return n;
}

async function list(a: ModelsArgs, dir: string): Promise<number> {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { MODEL_ALIASES } = await import('../../models/aliases.js');
  const { isModelPresent, localModelDir } = await import('../../models/local.js');
  const rows = [];
  for (const m of MODEL_ALIASES) {
    let present = false;
    let bytes = 0;
    let note = '';
    if (m.perCorpus) {
      // Per-corpus models live in `<id>-<corpus>` folders.
      const parent = path.dirname(localModelDir(m.id, dir));
      const prefix = `${path.basename(m.id)}-`;
      const built = fs.existsSync(parent) ? fs.readdirSync(parent).filter((n) => n.startsWith(prefix) && isModelPresent(`${path.posix.dirname(m.id)}/${n}`, dir)) : [];
      present = built.length > 0;
      for (const n of built) bytes += await folderSize(path.join(parent, n));
      note = `per corpus: ${built.length} built`;
    } else {
      present = isModelPresent(m.id, dir);
      if (present) bytes = await folderSize(localModelDir(m.id, dir));
    }
    rows.push({ alias: m.alias, kind: m.kind, id: m.id, weights: m.weights, present, bytes, source: m.built ? 'build' : 'fetch', note, description: m.description });
  }
  if (a.format === 'json') {
    out(JSON.stringify({ modelsDir: dir, models: rows }, null, 2));
    return 0;
  }
  out(`models folder: ${dir}`);
  out(
    table([
      ['alias', 'kind', 'id', 'weights', 'local', 'size', 'how to get it'],
      ...rows.map((r) => [r.alias, r.kind, r.id, r.weights, r.present ? 'yes' : 'no', r.present ? mb(r.bytes) : '', (r.source === 'build' ? (r.note ? 'models build glove --dataset D' : `models build ${r.alias}`) : `models fetch ${r.alias}`) + (r.note ? ` (${r.note})` : '')]),
    ]),
  );
  out('Weights "random" are architecture stand-ins: their cost is real, their scores are not quality.');
  return 0;
}

async function build(a: ModelsArgs, dir: string): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  const names = a.names && a.names.length > 0 ? a.names : undefined;
  const log = progress(a);
  if (names?.includes('glove') || a.dataset !== undefined) {
    if (!names || names.length !== 1 || names[0] !== 'glove') {
      throw new UsageError('`--dataset` goes with `rbench models build glove --dataset <name|path>` alone.', { hint: 'Build the other models in a separate command.' });
    }
    if (!a.dataset) throw new UsageError('`rbench models build glove` needs `--dataset <name|path>`: the corpus whose GloVe models to build.');
    return buildGlove(a, dir, log);
  }
  const { buildModels, STAND_INS, TINY_MODELS } = await import('../../models/build/index.js');
  const results = buildModels(names ?? [...TINY_MODELS, ...STAND_INS], { modelsDir: dir, force: a.force, log });
  out(
    table([
      ['alias', 'status', 'parameters', 'size', 'seconds', 'folder'],
      ...results.map((r) => [r.alias, r.status, r.parameters, mb(r.bytes), r.status === 'built' ? Number(r.seconds.toFixed(1)) : '', r.dir]),
    ]),
  );
  return 0;
}

/**
 * `rbench models build glove --dataset <name|path>`: the GloVe embedder and reranker of one corpus, built by
 * src/models/glove/build.ts under the same corpus id `rbench run` uses (so a run finds them ready).
 */
async function buildGlove(a: ModelsArgs, dir: string, log: (line: string) => void): Promise<number> {
  const fs = await import('node:fs');
  const { loadDataset } = await import('../../data/datasets.js');
  const { buildGloveModels } = await import('../../models/glove/build.js');
  const target = a.dataset as string;
  const isPath = target.includes('/') || target.startsWith('.') || fs.existsSync(target);
  const dataset = await loadDataset(isPath ? { path: target, split: a.split } : { name: target, split: a.split }, { cacheDir: a.cache });
  const corpusId = (dataset.sha256 ?? '').slice(0, 12) || dataset.name;
  log(`${dataset.name}: building GloVe models for ${dataset.corpus.length} documents (corpus id ${corpusId})`);
  const r = await buildGloveModels({ corpus: dataset.corpus, corpusId, modelsDir: dir, force: a.force, log });
  out(
    table([
      ['model', 'id', 'status', 'folder'],
      ['embedder', r.embedderId, r.built ? 'built' : 'up to date', r.embedderDir],
      ['reranker', r.rerankerId, r.built ? 'built' : 'up to date', r.rerankerDir],
    ]),
  );
  return 0;
}

async function fetchCmd(a: ModelsArgs, dir: string): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  if (!a.names || a.names.length !== 1) {
    throw new UsageError('`rbench models fetch` takes one model: an alias (see `rbench models list`) or a Hugging Face id.', { hint: 'For example `rbench models fetch minilm`.' });
  }
  const { fetchModel } = await import('../../models/fetch.js');
  const r = await fetchModel(a.names[0], { modelsDir: dir, revision: a.revision, dtype: a.dtype, endpoint: a.endpoint, force: a.force, log: progress(a) });
  out(
    table([
      ['file', 'bytes', 'status', 'sha256'],
      ...r.files.map((f) => [f.path, f.bytes, f.status, f.sha256]),
      ...r.skipped.map((f) => [f, '', 'not in repository', '']),
    ]),
  );
  out(`${r.id}${r.commit ? ` @ ${r.commit}` : ''} → ${r.dir}`);
  return 0;
}
