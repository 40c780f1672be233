/**
 * `rbench gate`: a regression gate between a baseline results file and the current one. Each check gets a
 * verdict as Pyserini's reproduction checks print them:
 *
 * - **OK**: identical (quality: every query's value within 1e-12; latency: the same samples);
 * - **OKish**: within tolerance, an improvement, or a drop that is not significant;
 * - **FAIL**: a regression (exit 1);
 * - **SKIPPED**: cannot be checked, with the reason (latency timed on other hardware, or not timed).
 *
 * **Quality**, per gated quality configuration and metric (`compare-results.ts`: paired over every query
 * both scored). With drop = baseline mean − current mean and the metric's rule (`rules.ts`):
 * identical → OK; drop ≤ maxDrop (improvements included) → OKish; drop > hardMaxDrop → FAIL; otherwise FAIL
 * only when the paired randomization test gives p ≤ alpha after Holm's correction across every quality
 * check of the gate (all gated configurations × metrics × datasets: the gate is one decision, and this
 * keeps the chance that any check FAILs by chance at or below alpha), else OKish (not significant). Bounds are compared with a slack of 1e-12,
 * so that a drop of exactly maxDrop is within it whatever the rounding of the two means.
 *
 * **Latency**, per gated row (`latency.ts`): the ratio of the median total time per query, current over
 * baseline, with a 95 % bootstrap interval from the raw samples. Only on the same hardware (else SKIPPED,
 * unless `forceLatency`). FAIL when the interval's lower bound is above 1 + maxSlowdown and the median grew
 * by at least minSlowdownMs; OK when the samples are identical; OKish otherwise.
 *
 * **Presence**: a gated configuration of the baseline missing from the current results, or with quality in
 * the baseline and none in the current, FAILs: a gate must not pass because what it checks disappeared.
 *
 * Datasets (sha256, split), query sets and metric conventions must match, or the gate refuses (exit 2):
 * `match.ts`. A configuration whose definition changed under the same id is compared (that is what a gate
 * is for) and the change is said beside its checks.
 */
import picomatch from 'picomatch';
import { UsageError } from '../errors.js';
import { deriveSeed } from '../stats/seed.js';
import { comparePairs, fileInfo, type FileInfo, type ResultsComparison } from './compare-results.js';
import { hardwareDifferences, medianRatio, timedSamples } from './latency.js';
import { matchNotes, matchResults, type QualityPair } from './match.js';
import type { LoadedResults, ResultsRow } from './results-file.js';
import { metricRule, rulesError, type GateRules, type MetricRule } from './rules.js';

export const VERDICTS = ['OK', 'OKish', 'FAIL', 'SKIPPED'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** "Identical" for quality: every per-query difference at most this. */
export const IDENTICAL = 1e-12;

/** The latency statistic the gate compares. */
export const LATENCY_CHECK = 'latency p50';

export interface GateCheck {
  dataset: string;
  /** The quality id (quality checks) or row id (latency and presence checks). */
  configuration: string;
  /** The metric, `latency p50`, or `present`. */
  check: string;
  kind: 'quality' | 'latency' | 'presence';
  verdict: Verdict;
  /** Quality: the means; latency: the medians in ms. */
  baseline: number | null;
  current: number | null;
  /** Quality: current − baseline; latency: current/baseline. */
  delta: number | null;
  /** 95 % interval of `delta`. */
  ci95: [number, number] | null;
  /** Holm-adjusted randomization p (quality). */
  pAdjusted: number | null;
  /** Why this verdict, in one sentence. */
  reason: string;
  /** What changed in the configuration's definition under its id. */
  changed: string[];
}

export interface GateReport {
  baseline: FileInfo;
  current: FileInfo;
  rules: {
    file: string | null;
    defaults: MetricRule;
    metrics: Record<string, MetricRule | false>;
    latency: GateRules['latency'];
    include: string[] | null;
    exclude: string[];
    statistics: GateRules['statistics'];
  };
  /** What differs between the two environments' hardware fields (empty: the same). */
  hardware: string[];
  forceLatency: boolean;
  checks: GateCheck[];
  counts: Record<Verdict, number>;
  notes: string[];
  /** 1 when any check FAILs. */
  exitCode: 0 | 1;
}

export interface GateOptions {
  /** Compare latency even when the hardware differs. */
  forceLatency?: boolean;
}

const f4 = (x: number): string => x.toFixed(4);
const pText = (p: number): string => (p < 0.0001 ? '<0.0001' : f4(p));
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

/** The row-id filter of the rules: a row is gated when its id or quality id matches include and neither matches exclude. */
function gatedFilter(rules: GateRules): (r: ResultsRow) => boolean {
  const inc = rules.include === null ? () => true : picomatch(rules.include);
  const exc = rules.exclude.length === 0 ? () => false : picomatch(rules.exclude);
  return (r) => (inc(r.id) || inc(r.qualityId)) && !exc(r.id) && !exc(r.qualityId);
}

/** The verdict of one quality comparison under its rule (see the module comment). */
export function qualityVerdict(c: ResultsComparison, rule: MetricRule): { verdict: Verdict; reason: string } {
  if (c.maxAbsDifference <= IDENTICAL) return { verdict: 'OK', reason: `identical on all ${c.queries} queries (within ${IDENTICAL})` };
  const drop = -c.delta;
  const slack = 1e-12;
  const p = c.pAdjustedRandomization;
  if (drop <= 0) return { verdict: 'OKish', reason: drop < 0 ? `improved by ${f4(-drop)}` : 'same mean, different per-query values' };
  if (drop <= rule.maxDrop + slack) return { verdict: 'OKish', reason: `drop ${f4(drop)} within maxDrop ${rule.maxDrop}` };
  if (drop > rule.hardMaxDrop + slack) return { verdict: 'FAIL', reason: `drop ${f4(drop)} exceeds hardMaxDrop ${rule.hardMaxDrop} (Holm-adjusted p ${pText(p)})` };
  if (p <= rule.alpha) return { verdict: 'FAIL', reason: `drop ${f4(drop)} exceeds maxDrop ${rule.maxDrop} and is significant (Holm-adjusted p ${pText(p)} <= alpha ${rule.alpha})` };
  return { verdict: 'OKish', reason: `drop ${f4(drop)} exceeds maxDrop ${rule.maxDrop} but is not significant (Holm-adjusted p ${pText(p)} > alpha ${rule.alpha})` };
}

function sameSamples(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Runs the gate (see the module comment). Throws UsageError for input that cannot be gated. */
export function runGate(baseline: LoadedResults, current: LoadedResults, rules: GateRules, opts: GateOptions = {}): GateReport {
  const matched = matchResults(baseline, current, {
    intersect: false,
    refusalHint: 'A gate compares the same configurations on the same data: make the baseline with the same datasets, splits and evaluation settings (re-run the baseline config and commit its results.json).',
  });
  const notes = matchNotes(matched);

  // Metrics named in the rules must be reported by both files.
  const unknown = Object.keys(rules.metrics).filter((m) => !matched.metrics.includes(m));
  if (unknown.length > 0 && rules.file !== null) {
    throw rulesError(
      rules.file,
      unknown.map((m) => ({ line: rules.metricLines[m], key: `metrics.${m}`, message: `metric ${JSON.stringify(m)} is not reported by both results files; they both report ${matched.metrics.join(', ') || 'no metric'}.` })),
    );
  }
  const metrics = matched.metrics.filter((m) => metricRule(rules, m) !== false);
  const notGated = matched.metrics.filter((m) => metricRule(rules, m) === false);
  if (notGated.length > 0) notes.push(`not gated (rules): ${notGated.join(', ')}.`);

  const gated = gatedFilter(rules);
  const baselineRows = baseline.data.results.filter(gated);
  if (baselineRows.length === 0) {
    throw new UsageError(`no configuration of the baseline ${baseline.file} matches the rules' configuration patterns, so there is nothing to gate.`, {
      file: rules.file ?? undefined,
      hint: `Patterns match row ids such as ${JSON.stringify(baseline.data.results[0]?.id ?? 'tech-qa/bm25/k10/none')} (picomatch globs: * stays within one / part, ** crosses them).`,
    });
  }
  for (const pattern of [...(rules.include ?? []), ...rules.exclude]) {
    const m = picomatch(pattern);
    if (!baseline.data.results.some((r) => m(r.id) || m(r.qualityId))) notes.push(`the pattern ${JSON.stringify(pattern)} matches no configuration of the baseline.`);
  }

  const gatedQuality = new Set(baselineRows.map((r) => r.qualityId));
  const pairs: QualityPair[] = matched.quality.filter((q) => gatedQuality.has(q.id));
  // One family for every quality check of the gate: the gate is one pass/fail decision, so Holm over all its
  // tests keeps the chance of any false FAIL at or below alpha, whatever the dependence between metrics.
  const comparisons = metrics.length > 0 ? comparePairs(pairs, metrics, { test: 'randomization', correction: 'holm', alpha: rules.defaults.alpha, ...rules.statistics }, () => 'gate') : [];

  const hardware = hardwareDifferences(baseline.data.environment, current.data.environment);
  const forceLatency = opts.forceLatency === true;
  if (rules.latency && hardware.length > 0) notes.push(`timed on different hardware (${hardware.join('; ')}): latency ${forceLatency ? 'compared anyway (--force-latency)' : 'not compared (SKIPPED)'}.`);

  const currentById = new Map(current.data.results.map((r) => [r.id, r]));
  const rowPairs = new Map(matched.rows.map((r) => [r.id, r]));
  const checks: GateCheck[] = [];
  const doneQuality = new Set<string>();
  for (const row of baselineRows) {
    const other = currentById.get(row.id);
    if (!other) {
      checks.push({ dataset: row.dataset, configuration: row.id, check: 'present', kind: 'presence', verdict: 'FAIL', baseline: null, current: null, delta: null, ci95: null, pAdjusted: null, reason: 'in the baseline but missing from the current results (exclude it in the rules, or update the baseline, if it was removed on purpose)', changed: [] });
      continue;
    }
    const changed = rowPairs.get(row.id)?.changed ?? [];
    if (!doneQuality.has(row.qualityId)) {
      doneQuality.add(row.qualityId);
      if (row.metrics && !other.metrics && metrics.length > 0) {
        checks.push({ dataset: row.dataset, configuration: row.qualityId, check: 'quality', kind: 'presence', verdict: 'FAIL', baseline: null, current: null, delta: null, ci95: null, pAdjusted: null, reason: 'quality in the baseline but none in the current results (now an architecture stand-in?)', changed });
      }
      for (const c of comparisons.filter((x) => x.configuration === row.qualityId)) {
        const rule = metricRule(rules, c.metric);
        if (rule === false) continue;
        const v = qualityVerdict(c, rule);
        checks.push({ dataset: c.dataset, configuration: c.configuration, check: c.metric, kind: 'quality', verdict: v.verdict, baseline: c.baseline.mean, current: c.current.mean, delta: c.delta, ci95: c.ci95, pAdjusted: c.pAdjustedRandomization, reason: v.reason, changed });
      }
    }
    if (rules.latency) checks.push(latencyCheck(row, other, rules, hardware, forceLatency, changed));
  }

  const counts: Record<Verdict, number> = { OK: 0, OKish: 0, FAIL: 0, SKIPPED: 0 };
  for (const c of checks) counts[c.verdict]++;
  return {
    baseline: fileInfo(baseline),
    current: fileInfo(current),
    rules: { file: rules.file, defaults: rules.defaults, metrics: rules.metrics, latency: rules.latency, include: rules.include, exclude: rules.exclude, statistics: rules.statistics },
    hardware,
    forceLatency,
    checks,
    counts,
    notes,
    exitCode: counts.FAIL > 0 ? 1 : 0,
  };
}

function latencyCheck(row: ResultsRow, other: ResultsRow, rules: GateRules, hardware: string[], force: boolean, changed: string[]): GateCheck {
  const rule = rules.latency!;
  const base: GateCheck = { dataset: row.dataset, configuration: row.id, check: LATENCY_CHECK, kind: 'latency', verdict: 'SKIPPED', baseline: row.latencyMs?.total.p50 ?? null, current: other.latencyMs?.total.p50 ?? null, delta: null, ci95: null, pAdjusted: null, reason: '', changed };
  const a = timedSamples(row);
  const b = timedSamples(other);
  if (!a || !b) {
    const side = !a && !b ? 'either results file' : !a ? 'the baseline' : 'the current results';
    return { ...base, reason: `no timing samples in ${side} (not timed, or written before samples were kept)` };
  }
  if (hardware.length > 0 && !force) return { ...base, reason: `timed on different hardware (${hardware.join('; ')}); --force-latency compares anyway` };
  const r = medianRatio(a, b, { resamples: rules.statistics.bootstrap, seed: deriveSeed(rules.statistics.seed, 'latency', row.id) });
  const out = { ...base, baseline: r.baselineMedian, current: r.currentMedian, delta: r.ratio, ci95: r.ci95 };
  if (sameSamples(a, b)) return { ...out, verdict: 'OK', reason: 'identical timing samples' };
  if (!(r.baselineMedian > 0)) return { ...out, verdict: 'SKIPPED', reason: 'the baseline median is 0 ms: no ratio' };
  const limit = 1 + rule.maxSlowdown;
  const grew = r.currentMedian - r.baselineMedian;
  if (r.ci95[0] > limit && grew >= rule.minSlowdownMs) {
    return { ...out, verdict: 'FAIL', reason: `slower than x${limit.toFixed(2)} with 95% confidence (the interval starts at x${r.ci95[0].toFixed(2)}), +${ms(grew)} ms per query` };
  }
  if (r.ci95[0] > limit) return { ...out, verdict: 'OKish', reason: `slower than x${limit.toFixed(2)} but by only +${ms(grew)} ms per query (below minSlowdownMs ${rule.minSlowdownMs})` };
  return { ...out, verdict: 'OKish', reason: `not surely slower than x${limit.toFixed(2)} (the interval must lie above it to fail)` };
}
