/**
 * Matching two results files configuration by configuration: what `rbench compare A B` and `rbench gate`
 * compare, and what they refuse.
 *
 * - **Refused** (UsageError, exit 2, naming the difference): different metric conventions (the
 *   `metrics`, `queries` and `relevance` entries of `conventions`: how every number was computed); a
 *   dataset of the same label with a different sha256 or split (another corpus, other queries or other
 *   judgments); a configuration scored on other queries. With `intersect`, datasets computed on different
 *   data are left out and only the queries both sides scored are compared, and what was left out is said;
 *   different conventions are refused even then (there is no common part).
 * - **Matched by identity**: rows by `id` (dataset label, retriever name, depth, reranker label, batch size);
 *   quality by `qualityId` (batch sizes share their quality); latency by row `id`. Rows present on one side
 *   only are listed, never compared.
 * - **Definition changes** under the same id (a retriever parameter, another reranker model; the thread
 *   count aside) are reported per configuration, not refused: comparing a configuration before and after a
 *   change is what a regression gate is for.
 * - Metrics: those both files report (or the ones asked for, each of which both must have).
 */
import { canonicalJson } from '../canonical.js';
import { compareCodePoints } from '../data/order.js';
import { UsageError } from '../errors.js';
import type { LoadedResults, ResultsRow } from './results-file.js';

/** The `conventions` entries that decide the metric values: files that differ here are not comparable. */
export const METRIC_CONVENTIONS = ['metrics', 'queries', 'relevance'] as const;

/** One quality configuration on both sides, with the queries they are compared on. */
export interface QualityPair {
  dataset: string;
  /** The shared qualityId. */
  id: string;
  baseline: ResultsRow;
  current: ResultsRow;
  /** Query ids both sides scored, in code point order. */
  queries: string[];
  /** What differs in the configuration's definition (`retriever.weight: 0.2 → 0.9`). */
  changed: string[];
}

/** One row (a batch size of a configuration) on both sides: what latency is compared on. */
export interface RowPair {
  dataset: string;
  id: string;
  qualityId: string;
  baseline: ResultsRow;
  current: ResultsRow;
  changed: string[];
}

export interface LeftOut {
  /** Datasets not compared, and why. */
  datasets: { name: string; reason: string }[];
  /** Row ids of compared datasets present on one side only. */
  baselineOnly: string[];
  currentOnly: string[];
  /** Queries left out (with `intersect`), per dataset: counts, with up to three examples. */
  queries: { dataset: string; baselineOnly: number; currentOnly: number; common: number; examples: string[] }[];
  /** Quality configurations with quality on one side only (an architecture stand-in on the other). */
  qualityOneSide: string[];
  /** Metrics one file reports and the other does not. */
  metrics: { baselineOnly: string[]; currentOnly: string[] };
}

export interface Matched {
  /** Datasets compared, in the baseline's order. */
  datasets: { name: string; sha256: string; split: string | undefined }[];
  /** Metrics compared (in the baseline's order). */
  metrics: string[];
  quality: QualityPair[];
  rows: RowPair[];
  leftOut: LeftOut;
  /** Conventions other than the metric ones that differ (said, not refused). */
  conventionNotes: string[];
}

export interface MatchOptions {
  /** Compare the common part instead of refusing different data (`--intersect`). */
  intersect: boolean;
  /** Metrics asked for (default: every metric both files report). */
  metrics?: readonly string[];
  /** What to suggest when refusing (compare offers --intersect; the gate does not). */
  refusalHint: string;
}

const shortHash = (h: string): string => h.slice(0, 12);

function examples(ids: readonly string[]): string {
  return `${ids.slice(0, 3).map((q) => JSON.stringify(q)).join(', ')}${ids.length > 3 ? ', …' : ''}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function shortJson(v: unknown): string {
  if (v === undefined) return '(none)';
  const s = JSON.stringify(v);
  return s.length > 48 ? `${s.slice(0, 45)}…` : s;
}

/** Leaf-by-leaf differences of two JSON values, as `path: a → b` (arrays compared whole). */
export function jsonDifferences(a: unknown, b: unknown, prefix = ''): string[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => jsonDifferences(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  if (canonicalJson(a) === canonicalJson(b)) return [];
  return [`${prefix || '(value)'}: ${shortJson(a)} → ${shortJson(b)}`];
}

/** What defines a row's configuration besides its id: the retriever record and the reranker's identity (threads aside). */
function definition(r: ResultsRow): Record<string, unknown> {
  let reranker: unknown = r.reranker;
  if (r.reranker && isPlainObject(r.reranker.settings)) {
    const { threads: _threads, ...settings } = r.reranker.settings;
    reranker = { ...r.reranker, settings };
  }
  return { retriever: r.retriever, reranker };
}

function metricNames(rows: readonly ResultsRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) for (const m of Object.keys(r.metrics ?? {})) if (!out.includes(m)) out.push(m);
  return out;
}

/**
 * Matches the baseline's configurations with the current's (see the module comment). Throws UsageError
 * naming every difference that makes the two incomparable.
 */
export function matchResults(baseline: LoadedResults, current: LoadedResults, opts: MatchOptions): Matched {
  const a = baseline.data;
  const b = current.data;
  const refuse = (what: string, hint = opts.refusalHint): never => {
    throw new UsageError(`${baseline.file} and ${current.file} cannot be compared: ${what}.`, { hint });
  };

  const conventionProblems: string[] = [];
  for (const key of METRIC_CONVENTIONS) {
    if (a.conventions[key] !== b.conventions[key]) conventionProblems.push(`the metric conventions differ (\`conventions.${key}\`: ${JSON.stringify(a.conventions[key] ?? null)} in the baseline, ${JSON.stringify(b.conventions[key] ?? null)} in the current)`);
  }
  if (conventionProblems.length > 0) refuse(conventionProblems.join('; '), 'Scores computed under different conventions (trec_eval -c or not, relevance level, -J) are different numbers; compare results of runs with the same `evaluation` settings.');
  const conventionNotes: string[] = [];
  for (const key of new Set([...Object.keys(a.conventions), ...Object.keys(b.conventions)])) {
    if ((METRIC_CONVENTIONS as readonly string[]).includes(key)) continue;
    if (a.conventions[key] !== b.conventions[key]) conventionNotes.push(`conventions.${key} differs: ${JSON.stringify(a.conventions[key] ?? null)} in the baseline, ${JSON.stringify(b.conventions[key] ?? null)} in the current.`);
  }

  const leftOut: LeftOut = { datasets: [], baselineOnly: [], currentOnly: [], queries: [], qualityOneSide: [], metrics: { baselineOnly: [], currentOnly: [] } };
  const datasets: Matched['datasets'] = [];
  const dataProblems: string[] = [];
  for (const d of a.datasets) {
    const other = b.datasets.find((x) => x.name === d.name);
    if (!other) {
      leftOut.datasets.push({ name: d.name, reason: 'in the baseline only' });
      continue;
    }
    const diffs: string[] = [];
    if (d.sha256 !== other.sha256) diffs.push(`sha256 ${shortHash(d.sha256)}… in the baseline, ${shortHash(other.sha256)}… in the current: another corpus, other queries or other judgments`);
    if ((d.split ?? null) !== (other.split ?? null)) diffs.push(`split ${String(d.split)} in the baseline, ${String(other.split)} in the current`);
    if (diffs.length === 0) datasets.push({ name: d.name, sha256: d.sha256, split: d.split });
    else if (opts.intersect) leftOut.datasets.push({ name: d.name, reason: `computed on different data (${diffs.join('; ')})` });
    else dataProblems.push(`dataset ${d.name}: ${diffs.join('; ')}`);
  }
  for (const d of b.datasets) if (!a.datasets.some((x) => x.name === d.name)) leftOut.datasets.push({ name: d.name, reason: 'in the current only' });
  if (dataProblems.length > 0) refuse(`they were computed on different datasets (${dataProblems.join('; ')})`);
  if (datasets.length === 0) refuse(`they share no dataset (${leftOut.datasets.map((d) => `${d.name}: ${d.reason}`).join('; ')})`, 'Compare results of the same datasets.');

  const compared = new Set(datasets.map((d) => d.name));
  const aRows = a.results.filter((r) => compared.has(r.dataset));
  const bRows = b.results.filter((r) => compared.has(r.dataset));
  const bById = new Map(bRows.map((r) => [r.id, r]));
  const aIds = new Set(aRows.map((r) => r.id));
  leftOut.baselineOnly = aRows.filter((r) => !bById.has(r.id)).map((r) => r.id);
  leftOut.currentOnly = bRows.filter((r) => !aIds.has(r.id)).map((r) => r.id);

  // Metrics: those of the quality rows of both files.
  const aMetrics = metricNames(aRows);
  const bMetrics = metricNames(bRows);
  let metrics = aMetrics.filter((m) => bMetrics.includes(m));
  leftOut.metrics = { baselineOnly: aMetrics.filter((m) => !bMetrics.includes(m)), currentOnly: bMetrics.filter((m) => !aMetrics.includes(m)) };
  if (opts.metrics !== undefined) {
    const missing = opts.metrics.filter((m) => !metrics.includes(m));
    if (missing.length > 0) {
      throw new UsageError(`${missing.map((m) => JSON.stringify(m)).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not reported by both results files.`, {
        hint: `Metrics both report: ${metrics.join(', ') || '(none)'}.`,
      });
    }
    metrics = [...opts.metrics];
  }

  const rows: RowPair[] = [];
  const quality: QualityPair[] = [];
  const seenQuality = new Set<string>();
  const queryProblems: string[] = [];
  for (const ra of aRows) {
    const rb = bById.get(ra.id);
    if (!rb) continue;
    const changed = jsonDifferences(definition(ra), definition(rb));
    rows.push({ dataset: ra.dataset, id: ra.id, qualityId: ra.qualityId, baseline: ra, current: rb, changed });
    if (seenQuality.has(ra.qualityId)) continue;
    seenQuality.add(ra.qualityId);
    const qa = ra.perQuery && ra.metrics ? ra.perQuery : null;
    const qb = rb.perQuery && rb.metrics ? rb.perQuery : null;
    if (!qa && !qb) continue;
    if (!qa || !qb) {
      leftOut.qualityOneSide.push(ra.qualityId);
      continue;
    }
    const aq = Object.keys(qa).sort(compareCodePoints);
    const bSet = new Set(Object.keys(qb));
    const aSet = new Set(aq);
    const common = aq.filter((q) => bSet.has(q));
    const onlyA = aq.filter((q) => !bSet.has(q));
    const onlyB = Object.keys(qb).filter((q) => !aSet.has(q)).sort(compareCodePoints);
    if (onlyA.length > 0 || onlyB.length > 0) {
      const what = [
        onlyA.length > 0 ? `${onlyA.length} ${onlyA.length === 1 ? 'query' : 'queries'} scored in the baseline only (${examples(onlyA)})` : '',
        onlyB.length > 0 ? `${onlyB.length} ${onlyB.length === 1 ? 'query' : 'queries'} scored in the current only (${examples(onlyB)})` : '',
      ].filter((s) => s !== '');
      if (!opts.intersect) {
        if (!queryProblems.some((p) => p.startsWith(`dataset ${ra.dataset}:`))) queryProblems.push(`dataset ${ra.dataset}: the query sets differ, ${what.join(' and ')}, first in ${ra.qualityId}`);
        continue;
      }
      if (!leftOut.queries.some((x) => x.dataset === ra.dataset)) leftOut.queries.push({ dataset: ra.dataset, baselineOnly: onlyA.length, currentOnly: onlyB.length, common: common.length, examples: [...onlyA, ...onlyB].slice(0, 3) });
      if (common.length === 0) {
        leftOut.qualityOneSide.push(ra.qualityId);
        continue;
      }
    }
    quality.push({ dataset: ra.dataset, id: ra.qualityId, baseline: ra, current: rb, queries: common, changed });
  }
  if (queryProblems.length > 0) refuse(`they were scored on different query sets (${queryProblems.join('; ')})`);
  return { datasets, metrics, quality, rows, leftOut, conventionNotes };
}

/** What `matchResults` left out or noticed, as sentences for the output's notes. */
export function matchNotes(m: Matched): string[] {
  const notes: string[] = [];
  const list = (ids: readonly string[]): string => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? `, … (${ids.length} in all)` : ''}`;
  for (const d of m.leftOut.datasets) notes.push(`dataset ${d.name} left out: ${d.reason}.`);
  for (const q of m.leftOut.queries) {
    notes.push(`dataset ${q.dataset}: compared on the ${q.common} queries both scored; left out ${q.baselineOnly} of the baseline and ${q.currentOnly} of the current (${examples(q.examples)}).`);
  }
  if (m.leftOut.baselineOnly.length > 0) notes.push(`${m.leftOut.baselineOnly.length} configuration${m.leftOut.baselineOnly.length === 1 ? '' : 's'} in the baseline only, not compared: ${list(m.leftOut.baselineOnly)}.`);
  if (m.leftOut.currentOnly.length > 0) notes.push(`${m.leftOut.currentOnly.length} configuration${m.leftOut.currentOnly.length === 1 ? '' : 's'} in the current only, not compared: ${list(m.leftOut.currentOnly)}.`);
  if (m.leftOut.qualityOneSide.length > 0) notes.push(`quality compared on one side only (no quality or no common queries on the other), not compared: ${list(m.leftOut.qualityOneSide)}.`);
  if (m.leftOut.metrics.baselineOnly.length > 0) notes.push(`metrics in the baseline only, not compared: ${m.leftOut.metrics.baselineOnly.join(', ')}.`);
  if (m.leftOut.metrics.currentOnly.length > 0) notes.push(`metrics in the current only, not compared: ${m.leftOut.metrics.currentOnly.join(', ')}.`);
  const said = new Set<string>();
  for (const r of m.rows) {
    if (r.changed.length === 0 || said.has(r.qualityId)) continue;
    said.add(r.qualityId);
    notes.push(`${r.qualityId}: the configuration changed under the same id (${r.changed.join('; ')}).`);
  }
  notes.push(...m.conventionNotes);
  return notes;
}
