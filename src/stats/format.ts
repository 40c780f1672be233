/**
 * `rbench compare` output: JSON (the contract: the `CompareReport` as is, full-precision doubles, NaN as
 * null), an aligned plain-text table for people, or a GitHub markdown table for pull requests. The text
 * forms show 4 decimals, p-values below 0.0001 as `<0.0001`, and mark significant comparisons with `*`
 * (adjusted p ≤ α; bold in markdown).
 */
import type { CompareFormat } from './choices.js';
import { CORRECTIONS } from './corrections.js';
import { PAIRED_TESTS, type CompareReport, type Comparison } from './compare.js';

/** The report as JSON, one object (see `CompareReport`). */
export function formatCompareJson(report: CompareReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const fixed = (x: number): string => x.toFixed(4);
const signed = (x: number): string => (x > 0 ? `+${fixed(x)}` : x < 0 ? fixed(x) : fixed(0));
const interval = (ci: [number, number], show: (x: number) => string): string => `[${show(ci[0])}, ${show(ci[1])}]`;

function pValue(p: number | null): string {
  if (p === null) return 'n/a';
  return p < 0.0001 ? '<0.0001' : fixed(p);
}

/** The chosen test's unadjusted p. */
function chosenP(report: CompareReport, c: Comparison): number | null {
  return report.test === 'randomization' ? c.pRandomization : c.pTTest;
}

/** The lines that say how the numbers were computed. */
function preamble(report: CompareReport): string[] {
  const lines = [
    `${report.queries} queries; baseline ${report.baseline}; ${PAIRED_TESTS[report.test].label}, ${CORRECTIONS[report.correction].label} correction over each metric's ${report.runs.length - 1} comparison${report.runs.length === 2 ? '' : 's'}; alpha ${report.alpha}.`,
    `95% percentile bootstrap intervals (${report.bootstrap.toLocaleString('en-US')} resamples); seed ${report.seed}.`,
  ];
  if (report.test === 'randomization') lines.push(exactnessLine(report.comparisons, report.permutations));
  return lines;
}

/** How the randomization p-values were computed: exact for how many comparisons, Monte Carlo for the rest. */
export function exactnessLine(comparisons: readonly { pRandomizationExact: boolean }[], permutations: number): string {
  const exact = comparisons.filter((c) => c.pRandomizationExact).length;
  const n = comparisons.length;
  return exact === n
    ? 'Randomization p-values exact (every sign pattern enumerated).'
    : `Randomization p-values exact for ${exact} of ${n} comparisons; the others from ${permutations.toLocaleString('en-US')} random sign patterns.`;
}

/** Columns aligned with two spaces: the first left-aligned, the others right-aligned. */
export function align(rows: string[][]): string[] {
  const cols = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
}

/**
 * Plain text: the preamble, then per metric one row per run: mean [95 % CI], and for the runs other than
 * the baseline delta [95 % CI], p, adjusted p, `*` when significant, wins/losses/ties.
 */
export function formatCompareTable(report: CompareReport): string {
  const out = [...preamble(report), '* significant: adjusted p <= alpha.', ''];
  for (const metric of report.metrics) {
    const rows: string[][] = [['run', 'mean', '95% CI', 'delta', '95% CI', 'p', 'p adj', '', 'W/L/T']];
    for (const run of report.runs) {
      const s = run.metrics[metric];
      const c = report.comparisons.find((x) => x.metric === metric && x.run === run.name);
      if (!c) {
        rows.push([run.name, fixed(s.mean), interval(s.ci95, fixed), 'baseline']);
        continue;
      }
      rows.push([run.name, fixed(s.mean), interval(s.ci95, fixed), signed(c.delta), interval(c.ci95, signed), pValue(chosenP(report, c)), pValue(c.pAdjusted), c.significant ? '*' : '', `${c.wins}/${c.losses}/${c.ties}`]);
    }
    out.push(metric, ...align(rows), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** A markdown table cell: pipes escaped, line breaks flattened. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** GitHub markdown: the preamble as a paragraph, then one table, a row per (metric, run). */
export function formatCompareMarkdown(report: CompareReport): string {
  const correction = CORRECTIONS[report.correction].label;
  const lines = [
    preamble(report).join(' '),
    `**Bold**: significant (adjusted p ≤ ${report.alpha}).`,
    '',
    `| metric | run | mean [95% CI] | Δ vs ${cell(report.baseline)} [95% CI] | p | p adj. (${correction}) | W/L/T |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const metric of report.metrics) {
    for (const run of report.runs) {
      const s = run.metrics[metric];
      const mean = `${fixed(s.mean)} ${interval(s.ci95, fixed)}`;
      const c = report.comparisons.find((x) => x.metric === metric && x.run === run.name);
      if (!c) {
        lines.push(`| ${cell(metric)} | ${cell(run.name)} (baseline) | ${mean} |  |  |  |  |`);
        continue;
      }
      const b = (text: string): string => (c.significant ? `**${text}**` : text);
      lines.push(`| ${cell(metric)} | ${cell(run.name)} | ${mean} | ${b(`${signed(c.delta)} ${interval(c.ci95, signed)}`)} | ${pValue(chosenP(report, c))} | ${b(pValue(c.pAdjusted))} | ${c.wins}/${c.losses}/${c.ties} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The report in the chosen format. */
export function formatCompare(report: CompareReport, format: CompareFormat): string {
  if (format === 'json') return formatCompareJson(report);
  if (format === 'markdown') return formatCompareMarkdown(report);
  return formatCompareTable(report);
}
