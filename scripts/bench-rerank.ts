/**
 * Reranker throughput: the harness (`Reranker.score`, tokenisation included) against raw onnxruntime-node
 * `InferenceSession.run` on the same pre-tokenised, same-shape batches with the same session options, for
 * the MiniLM-L6 cross-encoder stand-in (exact architecture, random weights: its cost is the real model's).
 *
 *   npm run build && npm run bench:rerank [-- --threads 2 --reps 7 --pairs 32 --seq 128,256 --batch 1,4,16,32]
 *
 * Texts are crafted from single-token vocabulary words so that every (query, document) pair tokenises to
 * exactly `seq` tokens: the two sides then run identical tensor shapes and differ only by what the harness
 * adds (tokenisation, tensor building, the transformers.js call path, score conversion). For each sequence
 * length and batch size the same `pairs` documents are run `reps` times, harness and raw alternating batch
 * by batch (and which goes first alternating too) so both see the same machine load; the table shows
 * medians of pairs per second and the median of the per-rep ratios harness / raw. Target: ratio ≥ 0.9 at
 * every batch size. Because shared machines are noisy, the harness's own work (tokenising and packing the
 * batch) is also timed alone, and the ratio it implies is printed beside the measured one. The last line
 * is one JSON object.
 *
 * The model comes from `--models-dir` / `$RBENCH_MODELS` / the cache's models folder; when it is not
 * there it is built (a few seconds) into a temporary folder that is removed afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { ensureBuiltModel } from '../src/models/build/index.js';
import { resolveLocalModel } from '../src/models/local.js';
import { InputEncoder, type Encoded } from '../src/models/transformers/encode.js';
import { createTransformersReranker } from '../src/models/transformers/reranker.js';
import { ortSessionOptions } from '../src/models/transformers/runtime.js';
import { modelsDir as defaultModelsDir } from '../src/paths.js';

const MODEL = 'minilm-standin';
const QUERY_WORDS = 8;

interface Args {
  threads: number;
  reps: number;
  pairs: number;
  seqs: number[];
  batches: number[];
  modelsDir: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { threads: os.availableParallelism(), reps: 7, pairs: 32, seqs: [128, 256], batches: [1, 4, 16, 32], modelsDir: undefined };
  const ints = (v: string, flag: string): number[] => {
    const out = v.split(',').map(Number);
    if (out.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${flag} takes positive integers, got "${v}"`);
    return out;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === '--threads') args.threads = ints(value, flag)[0];
    else if (flag === '--reps') args.reps = ints(value, flag)[0];
    else if (flag === '--pairs') args.pairs = ints(value, flag)[0];
    else if (flag === '--seq') args.seqs = ints(value, flag);
    else if (flag === '--batch') args.batches = ints(value, flag);
    else if (flag === '--models-dir') args.modelsDir = value;
    else throw new Error(`unknown flag ${flag} (flags: --threads --reps --pairs --seq --batch --models-dir)`);
  }
  return args;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Vocabulary words that are one token on their own (lowercase letters, not a `##` piece), in vocabulary order. */
function singleTokenWords(encoder: InputEncoder, vocab: Map<string, number>, need: number): string[] {
  const words: string[] = [];
  for (const w of vocab.keys()) {
    if (!/^[a-z]{3,}$/.test(w)) continue;
    const t = encoder.tokens(w);
    if (t.length === 1 && t[0] === w) words.push(w);
    if (words.length >= need) break;
  }
  if (words.length < need) throw new Error(`only ${words.length} single-token words in the vocabulary, need ${need}`);
  return words;
}

/** A query and `n` documents whose pairs each tokenise to exactly `seq` tokens (checked). */
function craftTexts(encoder: InputEncoder, words: string[], seq: number, n: number): { query: string; docs: string[]; encoded: Encoded[] } {
  const query = words.slice(0, QUERY_WORDS).join(' ');
  const docWords = seq - encoder.specialsPair - QUERY_WORDS;
  const docs: string[] = [];
  for (let d = 0; d < n; d++) {
    const ws: string[] = [];
    for (let k = 0; k < docWords; k++) ws.push(words[QUERY_WORDS + ((d * 7919 + k * 31) % (words.length - QUERY_WORDS))]);
    docs.push(ws.join(' '));
  }
  const qTokens = encoder.tokens(query);
  const encoded = docs.map((doc) => encoder.encodePair(qTokens, doc, 100_000, 'only_second'));
  for (const e of encoded) if (e.ids.length !== seq) throw new Error(`crafted pair has ${e.ids.length} tokens, expected ${seq}`);
  return { query, docs, encoded };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let modelsDir = path.resolve(args.modelsDir ?? process.env.RBENCH_MODELS ?? defaultModelsDir());
  let tempDir: string | undefined;
  try {
    await resolveLocalModel(MODEL, modelsDir);
  } catch {
    tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-bench-rerank-'));
    modelsDir = tempDir;
    process.stderr.write(`${MODEL} not in the models folder: building it into ${tempDir}\n`);
    ensureBuiltModel(MODEL, modelsDir);
  }
  try {
    await run(args, modelsDir);
  } finally {
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

interface Row {
  seq: number;
  batch: number;
  pairs: number;
  harnessPairsPerSec: number;
  rawPairsPerSec: number;
  ratio: number;
  /** Tokenising and packing alone (the harness's encoder), ms per pair, median. */
  overheadMsPerPair: number;
  /** The ratio that overhead alone implies, raw / (raw + overhead): a noise-free check of `ratio`. */
  overheadRatio: number;
}

async function run(args: Args, modelsDir: string): Promise<void> {
  const folder = path.resolve((await resolveLocalModel(MODEL, modelsDir)).dir);
  const reranker = await createTransformersReranker({ model: MODEL, threads: args.threads, maxLength: Math.max(...args.seqs) }, { modelsDir, threads: args.threads });
  const raw = await ort.InferenceSession.create(path.join(folder, 'onnx', 'model.onnx'), ortSessionOptions(args.threads));
  const tokenizer = await AutoTokenizer.from_pretrained(folder, { local_files_only: true });
  const encoder = new InputEncoder(tokenizer);
  const words = singleTokenWords(encoder, tokenizer.get_vocab(), 2000);
  const wantsTypeIds = raw.inputNames.includes('token_type_ids');

  const rows: Row[] = [];
  process.stderr.write(`model ${MODEL} (${folder}), ${args.threads} intra-op threads, ${args.reps} reps\n`);
  for (const seq of args.seqs) {
    for (const batch of args.batches) {
      const n = Math.ceil(Math.max(args.pairs, batch) / batch) * batch;
      const { query, docs, encoded } = craftTexts(encoder, words, seq, n);
      // Raw side: the same pairs, pre-tokenised and packed into ONNX tensors once.
      const feeds: Array<Record<string, ort.Tensor>> = [];
      for (let s = 0; s < n; s += batch) {
        const b = encoder.pad(encoded.slice(s, s + batch));
        const dims = [b.rows, b.length];
        const feed: Record<string, ort.Tensor> = {
          input_ids: new ort.Tensor('int64', b.inputIds, dims),
          attention_mask: new ort.Tensor('int64', b.attentionMask, dims),
        };
        if (wantsTypeIds) feed.token_type_ids = new ort.Tensor('int64', b.tokenTypeIds, dims);
        feeds.push(feed);
      }
      const chunks = feeds.map((feed, c) => ({ feed, docs: docs.slice(c * batch, (c + 1) * batch) }));
      /** One batch through the harness (score() on that batch's documents, tokenisation included). */
      const harnessBatch = async (c: number): Promise<number> => {
        const t0 = performance.now();
        const scores = await reranker.score(query, chunks[c].docs, { batchSize: batch });
        const ms = performance.now() - t0;
        if (scores.length !== chunks[c].docs.length || !Number.isFinite(scores[0])) throw new Error('harness returned bad scores');
        return ms;
      };
      /** The same batch, pre-tokenised, straight through onnxruntime-node. */
      const rawBatch = async (c: number): Promise<number> => {
        const t0 = performance.now();
        const out = await raw.run(chunks[c].feed);
        const ms = performance.now() - t0;
        if (!Number.isFinite((out[raw.outputNames[0]].data as Float32Array)[0])) throw new Error('raw run returned bad logits');
        return ms;
      };
      /** What the harness adds per pair, timed alone: tokenising and packing the int64 batch. */
      const overhead = (): number => {
        const t0 = performance.now();
        const qTokens = encoder.tokens(query);
        for (const chunk of chunks) encoder.pad(chunk.docs.map((d) => encoder.encodePair(qTokens, d, seq, 'only_second')));
        return (performance.now() - t0) / n;
      };
      // Warm-up, then reps in which harness and raw alternate batch by batch (who goes first alternates
      // too), so both sides see the same machine load; per rep, pairs/s = pairs / summed time.
      await harnessBatch(0);
      await rawBatch(0);
      const h: number[] = [];
      const r: number[] = [];
      const ratios: number[] = [];
      const tok: number[] = [];
      for (let rep = 0; rep < args.reps; rep++) {
        let hm = 0;
        let rm = 0;
        for (let c = 0; c < chunks.length; c++) {
          if ((rep + c) % 2 === 0) {
            hm += await harnessBatch(c);
            rm += await rawBatch(c);
          } else {
            rm += await rawBatch(c);
            hm += await harnessBatch(c);
          }
        }
        h.push((n * 1000) / hm);
        r.push((n * 1000) / rm);
        ratios.push(rm / hm);
        tok.push(overhead());
      }
      const rawPairsPerSec = median(r);
      const overheadMsPerPair = median(tok);
      const row: Row = {
        seq,
        batch,
        pairs: n,
        harnessPairsPerSec: median(h),
        rawPairsPerSec,
        ratio: median(ratios),
        overheadMsPerPair,
        overheadRatio: 1 / (1 + (overheadMsPerPair * rawPairsPerSec) / 1000),
      };
      rows.push(row);
      process.stderr.write(`seq ${seq} batch ${batch}: harness ${row.harnessPairsPerSec.toFixed(1)} p/s, raw ${row.rawPairsPerSec.toFixed(1)} p/s, ratio ${row.ratio.toFixed(3)}\n`);
    }
  }
  await reranker.dispose();
  await raw.release();

  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  console.log(`Reranker throughput, ${MODEL} (MiniLM-L6 cross-encoder shape), fp32, ${args.threads} intra-op threads, medians of ${args.reps} interleaved reps`);
  console.log(line(['seq', 'batch', 'harness pairs/s', 'raw ORT pairs/s', 'ratio', 'tokenize+pack ms/pair', 'ratio implied by that']));
  console.log(line(['---', '---', '---', '---', '---', '---', '---']));
  for (const row of rows) {
    console.log(
      line([String(row.seq), String(row.batch), row.harnessPairsPerSec.toFixed(1), row.rawPairsPerSec.toFixed(1), row.ratio.toFixed(3), row.overheadMsPerPair.toFixed(3), row.overheadRatio.toFixed(3)]),
    );
  }
  const minRatio = Math.min(...rows.map((row) => row.ratio));
  console.log(`minimum ratio ${minRatio.toFixed(3)} (target ≥ 0.9)`);
  console.log(
    JSON.stringify({
      bench: 'rerank',
      model: MODEL,
      dtype: 'fp32',
      threads: args.threads,
      reps: args.reps,
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      rows,
      minRatio,
      target: 0.9,
      pass: minRatio >= 0.9,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
