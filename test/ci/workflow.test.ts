/**
 * The example CI workflow (configs/ci/github-actions.yml), tested by its commands, not by GitHub: the `run:`
 * steps of the `gate` job run here, in order, as GitHub's runner runs them (`bash --noprofile --norc -eo
 * pipefail`, the workflow's `env`, `$GITHUB_STEP_SUMMARY` a file), in a fresh folder laid out like the
 * repository of a team that installed rbench (a package.json, `node_modules/rbench` and
 * `node_modules/.bin/rbench` linked to this checkout, and its configs/), against the committed baseline
 * configs/ci/baseline/results.json.
 *
 * Left out: the `uses:` steps (checkout, setup-node, cache, upload-artifact: GitHub's own actions) and
 * `npm ci` (this checkout is installed already). `$RBENCH_MODELS` points at the test models folder so the
 * GloVe models are not converted again; npm runs offline, so `npx rbench` can only be this package's bin.
 *
 * The shard and merge jobs are checked for their shape, then run the same way: each shard's `run:` steps with
 * its matrix value, then the merge job's (merge and gate) against the committed baseline.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WORKFLOW = path.join(ROOT, 'configs', 'ci', 'github-actions.yml');
const MODELS = process.env.RBENCH_TEST_MODELS ?? path.join(os.tmpdir(), 'rbench-test-models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-workflow-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const step = z.looseObject({ name: z.string().optional(), uses: z.string().optional(), run: z.string().optional(), if: z.string().optional(), with: z.record(z.string(), z.unknown()).optional() });
const job = z.looseObject({ 'runs-on': z.string(), needs: z.union([z.string(), z.array(z.string())]).optional(), strategy: z.looseObject({ matrix: z.record(z.string(), z.unknown()) }).optional(), steps: z.array(step) });
const workflow = z.looseObject({ name: z.string(), on: z.unknown(), env: z.record(z.string(), z.string()).optional(), jobs: z.record(z.string(), job) });
type Step = z.output<typeof step>;

const wf = workflow.parse(parse(fs.readFileSync(WORKFLOW, 'utf8')));

/** The steps the test runs: every `run:` step but the install. */
function runnable(steps: Step[]): Step[] {
  return steps.filter((s) => s.run !== undefined && s.run.trim() !== 'npm ci');
}

/** A folder laid out like a team's repository with rbench installed, and the environment GitHub's runner gives. */
function teamRepo(dir: string): NodeJS.ProcessEnv {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'team-project', private: true, dependencies: { rbench: `file:${ROOT}` } }, null, 2)}\n`);
  fs.mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'rbench'));
  fs.symlinkSync(path.join(ROOT, 'bin', 'rbench.js'), path.join(dir, 'node_modules', '.bin', 'rbench'));
  fs.symlinkSync(path.join(ROOT, 'configs'), path.join(dir, 'configs'));
  const summary = path.join(dir, 'step-summary.md');
  fs.writeFileSync(summary, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...wf.env,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summary,
    RBENCH_MODELS: MODELS,
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
  };
  delete env.RBENCH_CACHE;
  return env;
}

/** Runs steps as GitHub's runner does (bash -eo pipefail; after a failure only `if: always()` steps); returns the logs. */
function runSteps(steps: Step[], cwd: string, env: NodeJS.ProcessEnv, matrix: Record<string, string> = {}): string {
  let failed = false;
  const logs: string[] = [];
  for (const s of steps) {
    if (failed && s.if !== 'always()') continue;
    const script = s.run!.replace(/\$\{\{ *matrix\.(\w+) *\}\}/g, (_, k: string) => matrix[k]);
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env, encoding: 'utf8', timeout: 300_000 });
    logs.push(`$ ${script.trim()}\n${r.stdout}${r.stderr}`);
    expect(r.status, logs.join('\n')).toBe(0);
    failed ||= r.status !== 0;
  }
  return logs.join('\n');
}

describe('configs/ci/github-actions.yml', () => {
  it('the gate job: checkout, Node 20, the caches, npm ci, the sweep gated against the committed baseline, the summary, the upload', () => {
    const gate = wf.jobs.gate;
    const uses = gate.steps.map((s) => s.uses?.split('@')[0]).filter((u) => u !== undefined);
    expect(uses).toEqual(['actions/checkout', 'actions/setup-node', 'actions/cache', 'actions/upload-artifact']);
    expect(gate.steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe(20);
    const cache = gate.steps.find((s) => s.uses?.startsWith('actions/cache'))!.with!;
    expect(String(cache.path).split('\n').filter((l) => l.trim())).toEqual(['~/.cache', '.rbench-cache']);
    expect(cache.key).toContain("hashFiles('package-lock.json', 'configs/ci/sweep.yaml')");
    expect(gate.steps.some((s) => s.run?.trim() === 'npm ci')).toBe(true);
    expect(gate.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))).toMatchObject({ if: 'always()', with: { path: 'reports/' } });
    expect(runnable(gate.steps).some((s) => s.run!.includes('--baseline configs/ci/baseline/results.json'))).toBe(true);
    expect(runnable(gate.steps).some((s) => s.if === 'always()' && s.run!.includes('"$GITHUB_STEP_SUMMARY"'))).toBe(true);
  });

  it('the shards job runs 3 deterministic parts and the merge job gates their merge', () => {
    const shards = wf.jobs.shards;
    expect(shards.strategy?.matrix.shard).toEqual([1, 2, 3]);
    expect(runnable(shards.steps).map((s) => s.run!.trim())).toEqual(['npx rbench run configs/ci/sweep.yaml --shard ${{ matrix.shard }}/3 --out shards/${{ matrix.shard }} --quiet']);
    const merge = wf.jobs.merge;
    expect(merge.needs).toBe('shards');
    const runs = runnable(merge.steps).map((s) => s.run!.trim());
    expect(runs[0]).toBe('npx rbench merge shards/* --out merged');
    expect(runs[1]).toBe('npx rbench gate --baseline configs/ci/baseline/results.json --current merged/results.json --rules configs/ci/gate.yaml');
  });

  it("the gate job's commands pass here against the committed baseline, and write gate.md (to the step summary) and gate.junit.xml", () => {
    const env = teamRepo(tmp);
    const summary = env.GITHUB_STEP_SUMMARY!;
    const steps = runnable(wf.jobs.gate.steps);
    expect(steps.length).toBeGreaterThanOrEqual(2);
    const all = runSteps(steps, tmp, env);
    // Quality: the same code on the same data gives the baseline's numbers exactly. Latency: compared when this
    // machine is the baseline's kind (it was made on one), SKIPPED with the reason otherwise.
    expect(all).toMatch(/^gate: 60 checks, 0 FAIL, \d+ OKish, \d+ OK, (0|12) SKIPPED$/m);
    expect(all.split('\n').filter((l) => /^ {2}OK +\S+ +(ndcg@10|mrr@10|recall@10|map) /.test(l))).toHaveLength(48);
    const md = fs.readFileSync(path.join(tmp, 'reports', 'ci', 'gate.md'), 'utf8');
    expect(md).toMatch(/^## rbench gate: passed$/m);
    expect(fs.readFileSync(summary, 'utf8')).toBe(md);
    const xml = fs.readFileSync(path.join(tmp, 'reports', 'ci', 'gate.junit.xml'), 'utf8');
    expect(xml).toMatch(/<testsuite name="rbench gate: tech-qa" tests="60" failures="0" errors="0" skipped="(0|12)"/);
    // The report the upload step would upload.
    expect(fs.existsSync(path.join(tmp, 'reports', 'ci', 'results.json'))).toBe(true);
  });

  it('the shard jobs and the merge job pass here: three parts, merged, gated against the committed baseline', () => {
    const repo = path.join(tmp, 'sharded');
    const env = teamRepo(repo);
    for (const shard of ['1', '2', '3']) runSteps(runnable(wf.jobs.shards.steps), repo, env, { shard });
    // The download step puts each shard's artifact in shards/<n>, where the shard jobs wrote them.
    const all = runSteps(runnable(wf.jobs.merge.steps), repo, env);
    expect(all).toMatch(/^rbench: merged 3 shards of ci: \d+ configurations$/m);
    expect(all).toMatch(/^gate: 60 checks, 0 FAIL, /m);
    expect(fs.readFileSync(path.join(repo, 'merged', 'gate.md'), 'utf8')).toMatch(/^## rbench gate: passed$/m);
  });
});
