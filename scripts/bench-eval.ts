/**
 * `npm run bench:eval`: how fast `rbench eval` scores a TREC run, against the floor of any evaluator
 * written in JavaScript: a fresh node process that only reads the same two files and splits them into
 * lines and fields (`readFileSync(f, 'utf8').split('\n')`, then each line on whitespace). Target: ratio
 * (eval / naive) ≤ 1.0, i.e. the whole evaluation, process start-up and module loading included, costs
 * less than reading the files naively (trec_eval in C is about at that floor).
 *
 * The data is generated deterministically into a temporary folder: 500 queries × 1,000 documents
 * (scores with 6 decimals, as Anserini writes them, with some ties) and matching graded qrels (about
 * 40 judgments per query, most of them among the retrieved documents). The two commands run
 * interleaved, ROUNDS times after one warm-up round; medians are reported. A third command, the same
 * evaluation through `evalMain` (the yargs-free entry), shows what the CLI framework adds at start-up.
 * Ends with one JSON line.
 *
 * Usage: npm run build && npm run bench:eval [-- --rounds 7 --queries 500 --docs 1000 --keep DIR]
 * (`--keep DIR` writes the generated files to DIR and keeps them, for profiling.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/paths.js';
import { mulberry32 } from '../src/random.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const ROUNDS = arg('rounds', 7);
const QUERIES = arg('queries', 500);
const DOCS = arg('docs', 1000);


function generate(dir: string): { qrels: string; run: string; runLines: number; qrelsLines: number } {
  const rand = mulberry32(20251125);
  const run: string[] = [];
  const qrels: string[] = [];
  for (let q = 0; q < QUERIES; q++) {
    const qid = String(301 + q);
    const docs = new Set<number>();
    while (docs.size < DOCS) docs.add(Math.floor(rand() * 5_000_000));
    const ids = [...docs].map((d) => `D${String(d).padStart(7, '0')}`);
    let score = 25 + rand() * 5;
    const lines: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (rand() > 0.05) score -= rand() * 0.05; // about 5% ties with the previous document
      lines.push(`${qid} Q0 ${ids[i]} ${i + 1} ${score.toFixed(6)} bench`);
    }
    run.push(lines.join('\n'));
    // ~40 judgments: 30 among the retrieved documents (skewed to the top), 10 unretrieved.
    const judged = new Set<string>();
    while (judged.size < 30) judged.add(ids[Math.floor(rand() ** 2 * ids.length)]);
    while (judged.size < 40) judged.add(`D${String(5_000_000 + Math.floor(rand() * 1_000_000)).padStart(7, '0')}`);
    for (const id of judged) qrels.push(`${qid} 0 ${id} ${Math.floor(rand() * 4)}`);
  }
  const qrelsPath = path.join(dir, 'qrels.txt');
  const runPath = path.join(dir, 'run.trec');
  writeFileSync(qrelsPath, `${qrels.join('\n')}\n`);
  writeFileSync(runPath, `${run.join('\n')}\n`);
  return { qrels: qrelsPath, run: runPath, runLines: QUERIES * DOCS, qrelsLines: qrels.length };
}

const NAIVE = `import { readFileSync } from 'node:fs';
let fields = 0;
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, 'utf8').split('\\n')) fields += line.trim().split(/\\s+/).length;
}
process.stdout.write(String(fields) + '\\n');
`;

/**
 * (c) The same command through `evalMain` (src/cli/commands/eval.ts), the entry that skips yargs: the
 * difference to (a) is what the CLI framework costs at start-up.
 */
function fastEntryScript(): string {
  const entry = pathToFileURL(path.join(packageRoot(), 'dist', 'src', 'cli', 'commands', 'eval.js')).href;
  return `const { evalMain } = await import(${JSON.stringify(entry)});
const code = await evalMain(process.argv.slice(2));
if (code === undefined) throw new Error('evalMain did not take these arguments');
process.exitCode = code;
`;
}

function timed(args: string[]): { ms: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function main(): void {
  const keepAt = process.argv.indexOf('--keep');
  const keep = keepAt >= 0 ? path.resolve(process.argv[keepAt + 1]) : undefined;
  if (keep) mkdirSync(keep, { recursive: true });
  const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'rbench-bench-eval-'));
  try {
    const data = generate(dir);
    const naiveScript = path.join(dir, 'naive.mjs');
    writeFileSync(naiveScript, NAIVE);
    const fastScript = path.join(dir, 'fast-entry.mjs');
    writeFileSync(fastScript, fastEntryScript());
    const bin = path.join(packageRoot(), 'bin', 'rbench.js');
    const evalArgs = [bin, 'eval', '--qrels', data.qrels, '--run', data.run, '--format', 'json'];
    const naiveArgs = [naiveScript, data.qrels, data.run];
    const fastArgs = [fastScript, '--qrels', data.qrels, '--run', data.run, '--format', 'json'];

    const check = JSON.parse(timed(evalArgs).stdout) as { queries: number; metrics: Record<string, number> };
    if (check.queries !== QUERIES) throw new Error(`expected ${QUERIES} evaluated queries, got ${check.queries}`);
    if (timed(fastArgs).stdout !== timed(evalArgs).stdout) throw new Error('evalMain and the CLI disagree');
    timed(naiveArgs);

    const evalMs: number[] = [];
    const naiveMs: number[] = [];
    const fastMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      evalMs.push(timed(evalArgs).ms);
      naiveMs.push(timed(naiveArgs).ms);
      fastMs.push(timed(fastArgs).ms);
    }
    const startup = median(Array.from({ length: 5 }, () => timed(['-e', '0']).ms));
    const e = median(evalMs);
    const n = median(naiveMs);
    const f = median(fastMs);
    const runBytes = statSync(data.run).size;
    console.log(`run: ${QUERIES} queries x ${DOCS} docs = ${data.runLines} lines, ${(runBytes / 1e6).toFixed(1)} MB; qrels: ${data.qrelsLines} lines`);
    console.log(`rbench eval (whole process, default metrics): median ${e.toFixed(1)} ms  [${evalMs.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`naive read + split (fresh node process):     median ${n.toFixed(1)} ms  [${naiveMs.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`same command via evalMain (no yargs):        median ${f.toFixed(1)} ms  [${fastMs.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`empty node process:                          median ${startup.toFixed(1)} ms`);
    console.log(`ratio eval / naive: ${(e / n).toFixed(3)} (target <= 1.0); without yargs (evalMain / naive): ${(f / n).toFixed(3)}`);
    console.log(
      JSON.stringify({
        bench: 'eval',
        evalMs: Number(e.toFixed(2)),
        naiveMs: Number(n.toFixed(2)),
        ratio: Number((e / n).toFixed(4)),
        evalMainMs: Number(f.toFixed(2)),
        evalMainRatio: Number((f / n).toFixed(4)),
        nodeStartupMs: Number(startup.toFixed(2)),
        queries: QUERIES,
        docsPerQuery: DOCS,
        runBytes,
        rounds: ROUNDS,
        node: process.version,
        cpu: os.cpus()[0]?.model ?? 'unknown',
      }),
    );
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main();
