/**
 * `rbench compare` as users run it: a real `node bin/rbench.js compare …` process, checked against the
 * golden cases of test/fixtures/golden-stats (copied from ../shared/golden-stats: values from numpy,
 * scipy 1.10 and exact enumeration, computed independently of rbench). Each case's `command` runs from its
 * folder, as written.
 *
 * Golden field → ours: `pRandomization` → `pRandomization` (also when the golden is Monte Carlo and ours is
 * exact: see below), `pAdjustedHolm` → `pAdjustedRandomization` (and `pAdjusted`, the default test being
 * randomization and the default correction Holm), `pAdjustedHolmTTest` → `pAdjustedTTest`.
 *
 * Tolerances (golden README): means and deltas 1e-9; t-test p, exact randomization p and their Holm
 * adjustments 1e-6; Monte Carlo p (and Holm adjustments within a family holding one) and bootstrap bounds
 * 0.01. Where the golden is Monte Carlo over n > 20 queries but at most 20 differences are non-zero, our
 * test is exact (zeros dropped): its p then sits within the golden's Monte Carlo error.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'rbench.js');
const GOLDEN = path.join(ROOT, 'test', 'fixtures', 'golden-stats');

interface GoldenComparison {
  baseline: string;
  run: string;
  metric: string;
  delta: number;
  pRandomization: number;
  pRandomizationExact: boolean;
  pTTest: number;
  wins: number;
  losses: number;
  ties: number;
  pAdjustedHolm: number;
  pAdjustedHolmTTest: number;
}

interface Golden {
  queries: number;
  baseline: string;
  runs: { name: string; metrics: Record<string, { mean: number; ci95: [number, number] }> }[];
  comparisons: GoldenComparison[];
  command: string;
}

interface Ours {
  queries: number;
  baseline: string;
  test: string;
  correction: string;
  alpha: number;
  seed: number;
  bootstrap: number;
  permutations: number;
  metrics: string[];
  runs: { name: string; metrics: Record<string, { mean: number; ci95: [number, number] }> }[];
  comparisons: {
    baseline: string;
    run: string;
    metric: string;
    delta: number;
    ci95: [number, number];
    pRandomization: number;
    pRandomizationExact: boolean;
    pTTest: number | null;
    pAdjusted: number | null;
    pAdjustedRandomization: number;
    pAdjustedTTest: number | null;
    significant: boolean;
    wins: number;
    losses: number;
    ties: number;
  }[];
}

function rbench(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CASES = readdirSync(GOLDEN)
  .filter((d) => d.startsWith('case'))
  .sort();

function golden(name: string): Golden {
  return JSON.parse(readFileSync(path.join(GOLDEN, name, 'expected.json'), 'utf8')) as Golden;
}

/** The golden command's arguments after `rbench` (the commands hold no quoted arguments). */
function commandArgs(g: Golden): string[] {
  const words = g.command.trim().split(/\s+/);
  expect(words[0]).toBe('rbench');
  return words.slice(1);
}

function runJson(name: string, ...extra: string[]): Ours {
  const r = rbench(path.join(GOLDEN, name), ...commandArgs(golden(name)), ...extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Ours;
}

const within = (actual: number | null, expected: number, tol: number, what: string): void => {
  expect(actual, what).not.toBeNull();
  expect(Math.abs((actual ?? NaN) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
};

describe('rbench compare: the golden cases through the CLI', () => {
  it('has the eight cases', () => {
    expect(CASES).toHaveLength(8);
  });

  for (const name of CASES) {
    it(`${name}: means, deltas, p-values, Holm adjustments, wins/losses/ties and intervals match`, () => {
      const g = golden(name);
      const o = runJson(name);
      // The contract's fields are all there (ours is a superset).
      for (const k of ['queries', 'baseline', 'test', 'correction', 'alpha', 'runs', 'comparisons']) expect(o).toHaveProperty(k);
      expect([o.queries, o.baseline, o.test, o.correction, o.alpha]).toEqual([g.queries, g.baseline, 'randomization', 'holm', 0.05]);

      expect(o.runs.map((r) => r.name)).toEqual(g.runs.map((r) => r.name));
      g.runs.forEach((gr, i) => {
        for (const [metric, gm] of Object.entries(gr.metrics)) {
          const om = o.runs[i].metrics[metric];
          within(om.mean, gm.mean, 1e-9, `${gr.name} ${metric} mean`);
          within(om.ci95[0], gm.ci95[0], 0.01, `${gr.name} ${metric} ci95 low`);
          within(om.ci95[1], gm.ci95[1], 0.01, `${gr.name} ${metric} ci95 high`);
        }
      });

      expect(o.comparisons.map((c) => [c.baseline, c.run, c.metric])).toEqual(g.comparisons.map((c) => [c.baseline, c.run, c.metric]));
      g.comparisons.forEach((gc, i) => {
        const oc = o.comparisons[i];
        const what = `${gc.run} vs ${gc.baseline}, ${gc.metric}`;
        for (const k of ['delta', 'ci95', 'pRandomization', 'pTTest', 'pAdjusted', 'significant', 'wins', 'losses', 'ties']) expect(oc).toHaveProperty(k);
        within(oc.delta, gc.delta, 1e-9, `${what}: delta`);
        expect(oc.ci95[0]).toBeLessThanOrEqual(oc.delta + 1e-12);
        expect(oc.ci95[1]).toBeGreaterThanOrEqual(oc.delta - 1e-12);
        within(oc.pTTest, gc.pTTest, 1e-6, `${what}: pTTest`);
        within(oc.pAdjustedTTest, gc.pAdjustedHolmTTest, 1e-6, `${what}: Holm-adjusted t-test p`);
        if (gc.pRandomizationExact) {
          expect(oc.pRandomizationExact, what).toBe(true);
          within(oc.pRandomization, gc.pRandomization, 1e-6, `${what}: exact randomization p`);
        } else {
          within(oc.pRandomization, gc.pRandomization, 0.01, `${what}: Monte Carlo randomization p`);
        }
        const familyExact = g.comparisons.filter((c) => c.metric === gc.metric).every((c) => c.pRandomizationExact);
        within(oc.pAdjustedRandomization, gc.pAdjustedHolm, familyExact ? 1e-6 : 0.01, `${what}: Holm-adjusted randomization p`);
        expect(oc.pAdjusted).toBe(oc.pAdjustedRandomization);
        expect(oc.significant).toBe(oc.pAdjustedRandomization <= 0.05);
        expect([oc.wins, oc.losses, oc.ties], what).toEqual([gc.wins, gc.losses, gc.ties]);
      });
    });
  }

  // The golden intervals come from 400,000 resamples. At the default 10,000, a bound of a metric with few
  // possible values over few queries (P@10 over 8 queries moves in steps of 0.0125) can land one step from
  // the reference for some seeds: that is Monte Carlo error, not method. At the golden's own resample count
  // and another seed, the bounds agree to well within the tolerance.
  for (const name of ['case00-plain', 'case05-plain']) {
    it(`${name}: bootstrap bounds match at the golden's resample count with another seed`, () => {
      const g = golden(name);
      const o = runJson(name, '--bootstrap', '400000', '--seed', '7');
      g.runs.forEach((gr, i) => {
        for (const [metric, gm] of Object.entries(gr.metrics)) {
          within(o.runs[i].metrics[metric].ci95[0], gm.ci95[0], 0.005, `${gr.name} ${metric} low`);
          within(o.runs[i].metrics[metric].ci95[1], gm.ci95[1], 0.005, `${gr.name} ${metric} high`);
        }
      });
    });
  }
});

describe('rbench compare: options', () => {
  it('reproduces its output exactly for a seed (Monte Carlo and bootstrap), and a new seed changes it', () => {
    const name = 'case06-plain-mc';
    const args = [...commandArgs(golden(name)), '--permutations', '20000', '--bootstrap', '2000'];
    const a = rbench(path.join(GOLDEN, name), ...args);
    const b = rbench(path.join(GOLDEN, name), ...args);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const o = JSON.parse(a.stdout) as Ours;
    expect(o.comparisons.some((c) => !c.pRandomizationExact)).toBe(true);
    const c = rbench(path.join(GOLDEN, name), ...args, '--seed', '43');
    expect(c.code).toBe(0);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('--test t adjusts the t-test p (Holm values of the golden case)', () => {
    const g = golden('case00-plain');
    const o = runJson('case00-plain', '--test', 't', '--bootstrap', '100');
    expect(o.test).toBe('t');
    g.comparisons.forEach((gc, i) => {
      within(o.comparisons[i].pAdjusted, gc.pAdjustedHolmTTest, 1e-6, `${gc.run} ${gc.metric}`);
      expect(o.comparisons[i].significant).toBe(gc.pAdjustedHolmTTest <= 0.05);
    });
  });

  it('--correction none, bonferroni and bh adjust over each metric family', () => {
    const g = golden('case00-plain');
    const none = runJson('case00-plain', '--correction', 'none', '--bootstrap', '100');
    const bonf = runJson('case00-plain', '--correction', 'bonferroni', '--bootstrap', '100');
    const bh = runJson('case00-plain', '--correction', 'bh', '--bootstrap', '100');
    g.comparisons.forEach((gc, i) => {
      within(none.comparisons[i].pAdjusted, gc.pRandomization, 1e-6, 'none');
      within(bonf.comparisons[i].pAdjusted, Math.min(1, 3 * gc.pRandomization), 1e-6, 'bonferroni');
    });
    // ndcg@10: p = 0.0546875, 0.3125, 0.001953125 → BH: 0.001953125·3/1, 0.0546875·3/2, 0.3125·3/3.
    expect(bh.comparisons.slice(0, 3).map((c) => c.pAdjusted)).toEqual([0.08203125, 0.3125, 0.005859375]);
  });

  it('--baseline by name or position: the differences change sign, the two-sided p-values do not', () => {
    const g = golden('case00-plain');
    for (const spec of ['runb', '2']) {
      const o = runJson('case00-plain', '--baseline', spec, '--bootstrap', '100');
      expect(o.baseline).toBe('runb');
      const back = o.comparisons.filter((c) => c.run === 'runa');
      expect(back.map((c) => c.metric)).toEqual(['ndcg@10', 'P@10', 'recall@20', 'mrr@10']);
      for (const c of back) {
        const gc = g.comparisons.find((x) => x.run === 'runb' && x.metric === c.metric);
        if (!gc) throw new Error(`no golden comparison for ${c.metric}`);
        within(c.delta, -gc.delta, 1e-9, `${c.metric} delta`);
        within(c.pRandomization, gc.pRandomization, 1e-6, `${c.metric} randomization`);
        within(c.pTTest, gc.pTTest, 1e-6, `${c.metric} t`);
        expect([c.wins, c.losses, c.ties]).toEqual([gc.losses, gc.wins, gc.ties]);
      }
    }
  });

  it('--format table and markdown show means, deltas, p, adjusted p, the significance marker and W/L/T', () => {
    const dir = path.join(GOLDEN, 'case00-plain');
    const args = [...commandArgs(golden('case00-plain')).filter((a) => a !== 'json' && a !== '--format')];
    const table = rbench(dir, ...args);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toBe("12 queries; baseline runa; paired randomization test, Holm correction over each metric's 3 comparisons; alpha 0.05.");
    const ndcg = lines.indexOf('ndcg@10');
    expect(ndcg).toBeGreaterThan(0);
    expect(lines[ndcg + 1].split(/\s+/)).toEqual(['run', 'mean', '95%', 'CI', 'delta', '95%', 'CI', 'p', 'p', 'adj', 'W/L/T']);
    expect(lines[ndcg + 2]).toMatch(/^runa +0\.0373 +\[0\.0000, 0\.07\d\d\] +baseline$/);
    // rund vs runa: golden delta 0.2857, p 0.001953125, Holm 0.005859375, 10 wins, 0 losses, 2 ties.
    expect(lines[ndcg + 5]).toMatch(/^rund +0\.3231 +\[0\.\d{4}, 0\.\d{4}\] +\+0\.2857 +\[\+0\.\d{4}, \+0\.\d{4}\] +0\.0020 +0\.0059 +\* +10\/0\/2$/);
    expect(lines[ndcg + 3]).toMatch(/ 0\.0547 +0\.1094 +6\/2\/4$/);

    const md = rbench(dir, ...args, '--format', 'markdown');
    expect(md.code).toBe(0);
    const rows = md.stdout.split('\n').filter((l) => l.startsWith('|'));
    expect(rows[0]).toBe('| metric | run | mean [95% CI] | Δ vs runa [95% CI] | p | p adj. (Holm) | W/L/T |');
    expect(rows[1]).toBe('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    expect(rows).toHaveLength(2 + 4 * 4);
    expect(rows[2]).toMatch(/^\| ndcg@10 \| runa \(baseline\) \| 0\.0373 \[0\.0000, 0\.07\d\d\] \|  \|  \|  \|  \|$/);
    expect(rows[5]).toMatch(/^\| ndcg@10 \| rund \| 0\.3231 \[[^\]]+\] \| \*\*\+0\.2857 \[[^\]]+\]\*\* \| 0\.0020 \| \*\*0\.0059\*\* \| 10\/0\/2 \|$/);
  });

  it('says on stderr which judged queries a run lacks (scored 0), keeping stdout parseable', () => {
    const r = rbench(path.join(GOLDEN, 'case02-missing'), ...commandArgs(golden('case02-missing')));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^rbench: note: runb\.trec: 6 judged queries have no run lines \("q\d+", "q\d+", "q\d+", …\); scored 0\.\n$/);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
  });
});

describe('rbench compare: refusals (exit 2, one paragraph naming the file)', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rbench-compare-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const case00 = path.join(GOLDEN, 'case00-plain');
  const qrels = path.join(case00, 'qrels.txt');
  const runa = path.join(case00, 'runa.trec');

  function refused(args: string[], ...parts: (string | RegExp)[]): void {
    const r = rbench(tmp, 'compare', ...args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith('rbench: ')).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    for (const p of parts) expect(r.stderr).toMatch(p);
  }

  it('refuses a single run', () => {
    refused(['--qrels', qrels, runa], /at least two runs, got 1/, runa);
  });

  it('refuses two runs with the same name, naming both files', () => {
    const other = path.join(tmp, 'copy');
    mkdirSync(other, { recursive: true });
    copyFileSync(runa, path.join(other, 'runa.trec'));
    refused(['--qrels', qrels, runa, path.join(other, 'runa.trec')], 'both named "runa"', runa, path.join(other, 'runa.trec'));
  });

  it('refuses a run that has none of the judged queries, naming it', () => {
    const stray = path.join(tmp, 'stray.trec');
    writeFileSync(stray, 'x1 Q0 d1 1 2.0 t\nx2 Q0 d2 1 1.0 t\n');
    refused(['--qrels', qrels, runa, stray], `${stray}: no query of the run has judgments`);
  });

  it('refuses a missing run file, an unknown baseline, an unknown metric and a bad alpha', () => {
    const missing = path.join(tmp, 'missing.trec');
    refused(['--qrels', qrels, runa, missing], missing);
    refused(['--qrels', qrels, runa, path.join(case00, 'runb.trec'), '--baseline', 'bm25'], 'the baseline "bm25"', '"runa", "runb"');
    refused(['--qrels', qrels, runa, path.join(case00, 'runb.trec'), '--metrics', 'ndcg@x'], 'unknown metric "ndcg@x"');
    refused(['--qrels', qrels, runa, path.join(case00, 'runb.trec'), '--alpha', '1.5'], '--alpha');
    refused(['--qrels', qrels, runa, path.join(case00, 'runb.trec'), '--test', 'wilcoxon'], 'wilcoxon');
  });
});
