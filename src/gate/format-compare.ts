/**
 * `rbench compare A B` output for two results files: JSON (the `ResultsCompareReport` as is, full
 * precision), an aligned table per dataset and metric for people, or one GitHub markdown table. The text
 * forms follow `rbench compare`'s for TREC runs (src/stats/format.ts): 4 decimals, p below 0.0001 as
 * `<0.0001`, `*` (bold in markdown) where the adjusted p ≤ α.
 */
import type { CompareFormat } from '../stats/choices.js';
import { PAIRED_TESTS } from '../stats/compare.js';
import { CORRECTIONS } from '../stats/corrections.js';
import { align, exactnessLine } from '../stats/format.js';
import type { FileInfo, ResultsComparison, ResultsCompareReport } from './compare-results.js';

const fixed = (x: number): string => x.toFixed(4);
const signed = (x: number): string => (x > 0 ? `+${fixed(x)}` : x < 0 ? fixed(x) : fixed(0));
const interval = (ci: [number, number], show: (x: number) => string): string => `[${show(ci[0])}, ${show(ci[1])}]`;
const pValue = (p: number | null): string => (p === null ? 'n/a' : p < 0.0001 ? '<0.0001' : fixed(p));

/** `a.json (experiment ci, 2026-01-02T…, commit ce3fdfe)`. */
export function describeFile(f: FileInfo): string {
  const parts = [f.experiment !== null ? `experiment ${f.experiment}` : '', f.createdAt ?? '', f.gitCommit ? `commit ${f.gitCommit.slice(0, 7)}` : ''].filter((s) => s !== '');
  return `${f.file}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

function chosenP(report: ResultsCompareReport, c: ResultsComparison): number | null {
  return report.test === 'randomization' ? c.pRandomization : c.pTTest;
}

/** The configuration without its dataset prefix (the dataset heads its block). */
function short(c: ResultsComparison): string {
  return c.configuration.startsWith(`${c.dataset}/`) ? c.configuration.slice(c.dataset.length + 1) : c.configuration;
}

function preamble(report: ResultsCompareReport): string[] {
  const perFamily = new Map<string, number>();
  for (const c of report.comparisons) perFamily.set(c.dataset, (perFamily.get(c.dataset) ?? 0) + 1);
  const lines = [
    `baseline ${describeFile(report.baseline)}`,
    `current  ${describeFile(report.current)}`,
    `${PAIRED_TESTS[report.test].label} of current against baseline, configuration by configuration over every query both scored; ${CORRECTIONS[report.correction].label} correction over each dataset's matched configurations, per metric; alpha ${report.alpha}.`,
    `95% percentile bootstrap intervals (${report.bootstrap.toLocaleString('en-US')} resamples); seed ${report.seed}.`,
  ];
  if (report.test === 'randomization') lines.push(exactnessLine(report.comparisons, report.permutations));
  return lines;
}

/** Plain text: the preamble, then per dataset and metric one row per configuration. */
export function formatResultsCompareTable(report: ResultsCompareReport): string {
  const out = [...preamble(report), '* significant: adjusted p <= alpha. W/L/T: queries where the current scores above / below / the same as the baseline.', ''];
  for (const d of report.datasets) {
    for (const metric of report.metrics) {
      const cs = report.comparisons.filter((c) => c.dataset === d.name && c.metric === metric);
      if (cs.length === 0) continue;
      const rows: string[][] = [['configuration', 'baseline', 'current', 'delta', '95% CI', 'p', 'p adj', '', 'W/L/T']];
      for (const c of cs) {
        rows.push([short(c), fixed(c.baseline.mean), fixed(c.current.mean), signed(c.delta), interval(c.ci95, signed), pValue(chosenP(report, c)), pValue(c.pAdjusted), c.significant ? '*' : '', `${c.wins}/${c.losses}/${c.ties}`]);
      }
      out.push(`${d.name} (${cs[0].queries} queries): ${metric}`, ...align(rows), '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** GitHub markdown: the preamble as a paragraph, one table (a row per configuration and metric), the notes. */
export function formatResultsCompareMarkdown(report: ResultsCompareReport): string {
  const lines = [
    preamble(report).map(cell).join(' '),
    `**Bold**: significant (adjusted p ≤ ${report.alpha}). W/L/T: queries where the current scores above / below / the same as the baseline.`,
    '',
    `| dataset | configuration | metric | baseline [95% CI] | current [95% CI] | Δ [95% CI] | p | p adj. (${CORRECTIONS[report.correction].label}) | W/L/T |`,
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const d of report.datasets) {
    for (const metric of report.metrics) {
      for (const c of report.comparisons.filter((x) => x.dataset === d.name && x.metric === metric)) {
        const b = (text: string): string => (c.significant ? `**${text}**` : text);
        lines.push(
          `| ${cell(c.dataset)} | ${cell(short(c))} | ${cell(metric)} | ${fixed(c.baseline.mean)} ${interval(c.baseline.ci95, fixed)} | ${fixed(c.current.mean)} ${interval(c.current.ci95, fixed)} | ${b(`${signed(c.delta)} ${interval(c.ci95, signed)}`)} | ${pValue(chosenP(report, c))} | ${b(pValue(c.pAdjusted))} | ${c.wins}/${c.losses}/${c.ties} |`,
        );
      }
    }
  }
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `- ${cell(n)}`));
  return `${lines.join('\n')}\n`;
}

export function formatResultsCompareJson(report: ResultsCompareReport): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

export function formatResultsCompare(report: ResultsCompareReport, format: CompareFormat): string {
  if (format === 'json') return formatResultsCompareJson(report);
  if (format === 'markdown') return formatResultsCompareMarkdown(report);
  return formatResultsCompareTable(report);
}
