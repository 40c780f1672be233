/**
 * `summary.md`, written next to the report: the headline of a run for a pull-request comment or a commit.
 * Per dataset the decision (recommended and best configuration per latency budget, with mean, 95 % interval,
 * Δ against the baseline with its adjusted p, latency), the one-sentence reasons, the selection estimate
 * beside the naive best, the architecture stand-ins' cost; then one static chart.
 *
 * The chart is a separate file, `summary.svg`, referenced as `![...](summary.svg)`: GitHub renders a relative
 * SVG image in a committed Markdown file, but strips inline `<svg>` from Markdown (comments included), and a
 * pull-request comment cannot reference a file of the branch: there, drag summary.svg into the comment.
 *
 * Every dataset, model and configuration name is user text: `escapeMarkdown` makes it inert (no HTML, no
 * table cell break, no code span, link or emphasis). The file is kept under `SUMMARY_LIMIT` characters: datasets
 * that would not fit are named, with a pointer to the report.
 */
import type { TopLevelSpec } from 'vega-lite';
import { fmtDate, fmtDuration, fmtInt } from './html.js';
import type { ReportResults } from './input.js';
import { budgetLabel, CORRECTION_NAMES, fastestCost, mergedDecisions, pipelineOf } from './select.js';
import { summarySpec, type SummaryPoint } from './specs.js';
import type { DatasetView } from './view.js';

/** Well under GitHub's 65,536-character limit for a comment body. */
export const SUMMARY_LIMIT = 48_000;

/**
 * Text for a Markdown paragraph or table cell, shown literally: HTML metacharacters and `|` and backticks
 * as character references (which also work inside table cells, where a backslash before `|` is not
 * enough in every renderer), Markdown punctuation that could start emphasis, links or strikethrough
 * backslash-escaped, line breaks as spaces.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\&<>|`*_[\]~]/g, (c) => {
      switch (c) {
        case '&':
          return '&amp;';
        case '<':
          return '&lt;';
        case '>':
          return '&gt;';
        case '|':
          return '&#124;';
        case '`':
          return '&#96;';
        default:
          return `\\${c}`;
      }
    });
}

const md = escapeMarkdown;
const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);
/** Quality to 3 decimals (full precision in results.json). */
const f3 = (x: number | null | undefined): string => (finite(x) ? x.toFixed(3) : '—');
const signed = (x: number | null | undefined): string => (finite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}` : '—');
const pv = (p: number | null | undefined): string => (finite(p) ? (p < 0.001 ? '< 0.001' : p.toFixed(3)) : 'n/a');
const ci = (c: readonly [number, number] | undefined): string => (c && finite(c[0]) && finite(c[1]) ? ` [${c[0].toFixed(3)}, ${c[1].toFixed(3)}]` : '');
const ms = (x: number | null | undefined): string => {
  if (!finite(x)) return '—';
  const v = Number(x.toPrecision(3));
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v);
};
const marker = (v: { delta: number; significant: boolean } | undefined): string => (v && v.significant && v.delta !== 0 ? (v.delta > 0 ? ' ▲' : ' ▼') : '');

function decisionMarkdown(view: DatasetView, results: ReportResults): string {
  const metric = view.decisionMetric!;
  const stat = view.latencyStat;
  const s = results.statistics;
  const base = view.qualityConfigs.find((q) => q.id === view.baseline);
  const p = (id: string) => md(pipelineOf(id, view.name));
  const lines: string[] = [];
  lines.push(
    `Decision on ${md(metric.label)}, total ${stat} latency per query at the fastest batch size${view.baseline ? `; baseline ${p(view.baseline)}` : ''}. ` +
      `Means with 95 % bootstrap intervals; Δ vs the baseline with its p-value (paired randomization test${
        s ? (s.correction === 'none' ? ', unadjusted' : `, adjusted by ${CORRECTION_NAMES[s.correction]} over the dataset's configurations`) : ''
      }); ▲/▼ significantly better/worse${s ? ` (p ≤ α = ${s.alpha})` : ''}. ` +
      `Recommended: the cheapest configuration within the budget whose ${md(metric.label)} is not significantly below the best there.`,
  );
  lines.push('');
  lines.push(`| budget | recommended | ${md(metric.label)} [95 % CI] | Δ vs baseline (adj. p) | ${stat} ms | best within the budget | ${md(metric.label)} [95 % CI] | Δ vs baseline (adj. p) | ${stat} ms |`);
  lines.push('| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |');
  const vs = (id: string, v: { delta: number; pAdjusted: number; significant: boolean } | undefined) =>
    id === view.baseline ? 'baseline' : v ? `${signed(v.delta)}${marker(v)} (${pv(v.pAdjusted)})` : '—';
  const batch = (b: number | null) => (b === null ? '' : ` (b${b})`);
  for (const { budgets, decision: d } of mergedDecisions(view.decisions)) {
    const r = d.recommended;
    const b = d.best;
    if (!r || !b) {
      lines.push(`| ${budgets} | nothing with quality fits${d.standIns.length > 0 ? ' (only stand-ins: cost only)' : ''} | | | | | | | |`);
      continue;
    }
    const same = r.id === b.id;
    lines.push(
      `| ${budgets} | **${p(r.id)}**${batch(r.batchSize)} | ${f3(r.mean)}${ci(r.ci95)} | ${vs(r.id, r.vsBaseline)} | ${ms(r.latencyMs)} | ${
        same ? 'the same' : `${p(b.id)}${batch(b.batchSize)}`
      } | ${same ? '' : `${f3(b.mean)}${ci(b.ci95)}`} | ${same ? '' : vs(b.id, b.vsBaseline)} | ${same ? '' : ms(b.latencyMs)} |`,
    );
  }
  if (base) {
    const cost = fastestCost(base, stat);
    lines.push(`| baseline | ${p(base.id)}${cost ? batch(cost.batchSize) : ''} | ${f3(base.head.metrics[metric.key])}${ci(base.head.ci95?.[metric.key])} | | ${ms(cost?.[stat])} | | | | |`);
  }
  lines.push('');
  for (const d of view.decisions) lines.push(`- ${budgetLabel(d.budgetMs)}: ${md(d.reason)}`);
  const sel = view.selection.find((x) => x.metric === metric.key);
  if (sel) {
    const how = sel.method === 'split' ? `chosen on the ${md(sel.selectedOn ?? 'other')} split` : `${sel.folds ?? 'k'}-fold cross-validated selection estimate`;
    lines.push('');
    lines.push(
      `Selection (the winner's curse): naive best ${md(metric.label)} ${f3(sel.naiveBest.mean)} (${p(sel.naiveBest.id)}); ${how} ${f3(sel.estimate)}: the best of ${fmtInt(view.qualityConfigs.length)} configurations on these ${fmtInt(sel.queries)} queries overstates it by ${f3(sel.gap)}.`,
    );
  }
  const standIns = view.decisions.find((d) => d.budgetMs === null)?.standIns ?? [];
  if (standIns.length > 0) {
    lines.push('');
    lines.push(`Architecture stand-ins (random weights: cost only, quality unknown offline): ${standIns.map((x) => `${p(x.id)} ${ms(x.latencyMs)} ms ${stat}${batch(x.batchSize)}`).join('; ')}.`);
  }
  return lines.join('\n');
}

/** A dataset without decisions: its best configuration. */
function bestMarkdown(view: DatasetView): string {
  const primary = view.metrics[0];
  const best = view.qualityConfigs[0];
  if (!primary || !best) return `No configuration has quality figures${view.standIns.length > 0 ? ' (only architecture stand-ins, which measure cost)' : ''}.`;
  const cost = fastestCost(best, view.latencyStat);
  return `No decisions in this results file. Best ${md(primary.label)}: ${f3(best.head.metrics[primary.key])}${ci(best.head.ci95?.[primary.key])} with ${md(pipelineOf(best.id, view.name))}${
    cost ? `, ${ms(cost[view.latencyStat])} ms ${view.latencyStat} per query${cost.batchSize !== null ? ` (b${cost.batchSize})` : ''}` : ''
  }.`;
}

/** The chart of summary.svg: every dataset that decides (not a `selectOn` split), on its decision metric. */
export function summaryChart(views: readonly DatasetView[]): { spec: TopLevelSpec; alt: string } | undefined {
  const used = views.filter((v) => v.selectionFor === undefined && v.quality.length > 0);
  if (used.length === 0) return undefined;
  const metric = used[0].decisionMetric ?? used[0].metrics[0];
  const points: SummaryPoint[] = [];
  for (const v of used) {
    const recommended = new Set(v.decisions.flatMap((d) => (d.recommended ? [d.recommended.id] : [])));
    const best = v.decisions.find((d) => d.budgetMs === null)?.best?.id;
    // The chart's y is each dataset's primary metric; with decisions on another metric, plot that one.
    const key = (v.decisionMetric ?? v.metrics[0]).key;
    const index = v.metrics.findIndex((m) => m.key === key);
    for (const q of v.quality) {
      const value = index >= 0 ? q.metrics[index] : q.quality;
      const ciPair = v.qualityConfigs.find((c) => c.id === q.id)?.head.ci95?.[key];
      const roles = [q.id === v.baseline ? 'baseline' : '', recommended.has(q.id) ? 'recommended' : '', q.id === best ? 'best' : ''].filter(Boolean);
      const kind = roles.includes('recommended') ? 'recommended' : roles.includes('best') ? 'best' : roles.includes('baseline') ? 'baseline' : 'other';
      points.push({
        dataset: v.name,
        pipeline: pipelineOf(q.id, v.name),
        latency: q.latency,
        quality: value,
        ciLow: ciPair?.[0] ?? Number.NaN,
        ciHigh: ciPair?.[1] ?? Number.NaN,
        frontier: q.frontier,
        kind,
        label: roles.length === 0 ? '' : `${pipelineOf(q.id, v.name)} (${roles.join(', ')})`,
      });
    }
  }
  const stat = used[0].latencyStat;
  return {
    spec: summarySpec(points, metric?.label ?? 'quality', stat),
    alt: `${metric?.label ?? 'quality'} vs total ${stat} latency per query${used.length > 1 ? `, one panel per dataset (${used.map((v) => v.name).join(', ')})` : ` on ${used[0].name}`}; baseline, recommended and best configurations labelled`,
  };
}

/**
 * The Markdown of summary.md. `chart` is the file name of the SVG written beside it (null: no chart, as
 * when no configuration has both quality and latency).
 */
export function summaryMarkdown(results: ReportResults, views: readonly DatasetView[], chart: { file: string; alt: string } | null): string {
  const description = (results.config as { description?: unknown } | null)?.description;
  const e = results.environment;
  const head: string[] = [`# rbench: ${md(results.experiment)}`, ''];
  if (typeof description === 'string') head.push(md(description), '');
  head.push(
    `${fmtInt(results.results.length)} configurations over ${results.datasets.length} dataset${results.datasets.length === 1 ? '' : 's'} · run ${fmtDate(results.createdAt)} · took ${fmtDuration(results.durationSec)} · rbench ${md(e.rbench)}${
      e.gitCommit ? ` at ${md(e.gitCommit.slice(0, 12))}${e.gitDirty ? ' (uncommitted changes)' : ''}` : ''
    } · ${md(e.cpu)}, ${e.cores} cores. The full report is index.html (self-contained, opens offline); every number is in results.json.`,
  );
  const tail: string[] = [];
  if (chart) tail.push('', `![${md(chart.alt)}](${chart.file})`);
  tail.push('');
  let body = '';
  const decided = views.filter((v) => v.selectionFor === undefined);
  const left: string[] = [];
  for (const v of decided) {
    const section = `\n\n## ${md(v.name)}\n\n${v.decisions.length > 0 && v.decisionMetric ? decisionMarkdown(v, results) : bestMarkdown(v)}`;
    const size = head.join('\n').length + body.length + section.length + tail.join('\n').length;
    if (left.length > 0 || size > SUMMARY_LIMIT - 200) left.push(v.name);
    else body += section;
  }
  if (left.length > 0) {
    const named = left.slice(0, 20).map(md).join(', ');
    body += `\n\n${fmtInt(left.length)} more dataset${left.length === 1 ? '' : 's'} in index.html (kept out to stay short): ${named}${left.length > 20 ? ', ...' : ''}.`;
  }
  return `${head.join('\n')}${body}\n${tail.join('\n')}`;
}
