/**
 * Throughput of the architecture stand-ins (pairs per second), to set beside MACHINE-NOTES' figures for the
 * real models: raw `InferenceSession.run` on fixed-length inputs (the notes' "raw" rows) and, for the MiniLM
 * stand-in, transformers.js tokenize + run on text pairs padded to the same length.
 *
 *   npm run build && npm run bench:standins -- [--models-dir D] [--models a,b]
 *       [--seq 128,256] [--batch 1,16] [--threads 2] [--min-seconds 4]
 *
 * One session is alive at a time (idle onnxruntime thread pools spin and slow the measured session on two
 * cores); a session's configurations are measured in interleaved rounds (one timed batch of each per round) and
 * reported as medians, because timings on small shared machines drift by tens of percent over a minute. The
 * last line is one JSON object with every figure. The stand-ins must be built first (`rbench models build`).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { modelsDir as defaultModelsDir } from '../src/paths.js';
import { builtModelDir } from '../src/models/build/build.js';
import { findBuiltSpec, STAND_INS } from '../src/models/build/specs.js';

export interface ThroughputOptions {
  modelsDir: string;
  models?: readonly string[];
  seqLengths?: readonly number[];
  batchSizes?: readonly number[];
  threads?: number;
  /** Stop adding rounds once every configuration has this much timed work (default 4 s) and 3 rounds. */
  minSeconds?: number;
  log?: (line: string) => void;
}

export interface ThroughputRow {
  model: string;
  path: 'raw' | 'transformers.js';
  seq: number;
  batch: number;
  /** Median over rounds of batch / seconds. */
  pairsPerSec: number;
  rounds: number;
}

interface Config {
  model: string;
  path: ThroughputRow['path'];
  seq: number;
  batch: number;
  run: () => Promise<void>;
  samples: number[];
  seconds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Deterministic token ids in [1000, vocab) (no specials), so every run feeds the same inputs. */
function syntheticIds(n: number, vocab: number, seed: number): BigInt64Array {
  const out = new BigInt64Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = BigInt(1000 + ((x >>> 0) % (vocab - 1000)));
  }
  return out;
}

const SENTENCES = [
  'Muscle cramps are often caused by dehydration and electrolyte imbalance during intense exercise,',
  'and researchers have long debated whether stretching before a workout prevents them at all.',
  'The stock market fell sharply on Tuesday after the central bank raised interest rates again,',
  'while photosynthesis converts light energy into chemical energy in plants, algae and some bacteria.',
];

/** One session's configurations: measured together, with no other session alive. */
interface Group {
  open: () => Promise<{ configs: Config[]; close: () => Promise<void> }>;
}

export async function measureThroughput(opts: ThroughputOptions): Promise<ThroughputRow[]> {
  const ort = await import('onnxruntime-node');
  const log = opts.log ?? (() => {});
  const threads = opts.threads ?? 2;
  const seqs = opts.seqLengths ?? [128, 256];
  const batches = opts.batchSizes ?? [1, 16];
  const models = opts.models ?? STAND_INS;
  const groups: Group[] = [];

  for (const alias of models) {
    const spec = findBuiltSpec(alias);
    if (!spec) throw new Error(`unknown stand-in ${alias}`);
    const file = path.join(builtModelDir(spec, opts.modelsDir), 'onnx', 'model.onnx');
    groups.push({
      open: async () => {
        log(`loading ${alias} (${file})`);
        const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1 });
        const configs: Config[] = [];
        for (const seq of seqs) {
          for (const batch of batches) {
            const n = batch * seq;
            const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
              input_ids: new ort.Tensor('int64', syntheticIds(n, spec.arch.vocabSize, seq * 31 + batch), [batch, seq]),
              attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [batch, seq]),
            };
            if (spec.arch.family === 'bert') {
              feeds.token_type_ids = new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => (i % seq < seq / 4 ? 0n : 1n)), [batch, seq]);
            }
            configs.push({ model: alias, path: 'raw', seq, batch, samples: [], seconds: 0, run: async () => void (await session.run(feeds)) });
          }
        }
        return { configs, close: () => session.release() };
      },
    });
    if (alias === 'minilm-standin') {
      groups.push({
        open: async () => {
          log(`loading ${alias} through transformers.js`);
          const tf = await import('@huggingface/transformers');
          tf.env.allowRemoteModels = false;
          tf.env.useFSCache = false;
          tf.env.localModelPath = `${opts.modelsDir}/`;
          const tok = await tf.AutoTokenizer.from_pretrained(spec.id);
          const model = await tf.AutoModelForSequenceClassification.from_pretrained(spec.id, { dtype: 'fp32', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } });
          const doc = Array.from({ length: 40 }, (_, i) => SENTENCES[i % SENTENCES.length]).join(' ');
          const configs: Config[] = [];
          for (const seq of seqs) {
            for (const batch of batches) {
              const queries = Array.from({ length: batch }, (_, i) => `what causes muscle cramps ${i}`);
              const docs = Array.from({ length: batch }, (_, i) => `${i} ${doc}`);
              configs.push({
                model: alias,
                path: 'transformers.js',
                seq,
                batch,
                samples: [],
                seconds: 0,
                run: async () => {
                  const enc = tok(queries, { text_pair: docs, padding: 'max_length', truncation: true, max_length: seq });
                  await model(enc);
                },
              });
            }
          }
          return { configs, close: () => model.dispose().then(() => undefined) };
        },
      });
    }
  }

  // One session alive at a time: idle ORT thread pools spin and would slow the measured one (MACHINE-NOTES).
  const minSeconds = opts.minSeconds ?? 4;
  const rows: ThroughputRow[] = [];
  for (const group of groups) {
    const { configs, close } = await group.open();
    for (const c of configs) await c.run(); // warm-up
    for (let round = 1; ; round++) {
      for (const c of configs) {
        if (round > 3 && c.seconds >= minSeconds) continue;
        const t0 = performance.now();
        await c.run();
        const s = (performance.now() - t0) / 1000;
        c.seconds += s;
        c.samples.push(c.batch / s);
      }
      if (round >= 3 && configs.every((c) => c.seconds >= minSeconds)) break;
    }
    await close();
    for (const c of configs) {
      const row: ThroughputRow = { model: c.model, path: c.path, seq: c.seq, batch: c.batch, pairsPerSec: median(c.samples), rounds: c.samples.length };
      log(`${row.model} ${row.path} seq ${row.seq} batch ${row.batch}: ${row.pairsPerSec.toFixed(2)} pairs/s`);
      rows.push(row);
    }
  }
  return rows;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const nums = (s: string | undefined): number[] | undefined => s?.split(',').map(Number);

async function main(): Promise<void> {
  const dir = arg('models-dir') ?? defaultModelsDir();
  const rows = await measureThroughput({
    modelsDir: path.resolve(dir),
    models: arg('models')?.split(','),
    seqLengths: nums(arg('seq')),
    batchSizes: nums(arg('batch')),
    threads: nums(arg('threads'))?.[0],
    minSeconds: nums(arg('min-seconds'))?.[0],
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write('model              path             seq  batch  pairs/s  rounds\n');
  for (const r of rows) {
    process.stdout.write(`${r.model.padEnd(18)} ${r.path.padEnd(16)} ${String(r.seq).padStart(3)}  ${String(r.batch).padStart(5)}  ${r.pairsPerSec.toFixed(2).padStart(7)}  ${String(r.rounds).padStart(6)}\n`);
  }
  process.stdout.write(`${JSON.stringify({ threads: nums(arg('threads'))?.[0] ?? 2, rows })}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
