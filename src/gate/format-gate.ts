/**
 * What `rbench gate` writes: a table for the terminal, `gate.md` (for `$GITHUB_STEP_SUMMARY` and pull
 * request comments) and `gate.junit.xml` (a test suite per dataset, a test case per configuration × check,
 * so CI systems show the checks natively).
 *
 * Every FAIL carries its explanation in all three: the numbers (baseline → current, Δ with its interval,
 * the adjusted p), the rule it broke, and what changed in the configuration under its id.
 */
import { createRequire } from 'node:module';
import type { Builder } from 'junit-report-builder';
import type { FileInfo } from './compare-results.js';
import { describeFile } from './format-compare.js';
import type { GateCheck, GateReport, Verdict } from './gate.js';

// junit-report-builder is CommonJS (`module.exports = builder`) but its types declare `export default`, which
// TypeScript reads as `module.exports.default` under NodeNext; require() gives the builder the types describe.
const junit: Builder = createRequire(import.meta.url)('junit-report-builder');

const f4 = (x: number): string => x.toFixed(4);
const signed = (x: number): string => (x > 0 ? `+${f4(x)}` : x < 0 ? f4(x) : f4(0));
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const pText = (p: number | null): string => (p === null ? '' : p < 0.0001 ? '<0.0001' : f4(p));

/** `0.7128 -> 0.4118` for quality, `1.40 -> 4.21 ms` for latency, '' when a side is missing. */
export function valuesText(c: GateCheck, arrow = '->'): string {
  if (c.baseline === null || c.current === null) return '';
  return c.kind === 'latency' ? `${ms(c.baseline)} ${arrow} ${ms(c.current)} ms` : `${f4(c.baseline)} ${arrow} ${f4(c.current)}`;
}

/** `-0.3010 [-0.3512, -0.2498]` for quality, `x3.01 [2.80, 3.22]` for latency. */
export function deltaText(c: GateCheck): string {
  if (c.delta === null) return '';
  if (c.kind === 'latency') return `x${c.delta.toFixed(2)}${c.ci95 ? ` [${c.ci95[0].toFixed(2)}, ${c.ci95[1].toFixed(2)}]` : ''}`;
  return `${signed(c.delta)}${c.ci95 ? ` [${signed(c.ci95[0])}, ${signed(c.ci95[1])}]` : ''}`;
}

/** The reason with the definition change, when there is one. */
export function fullReason(c: GateCheck): string {
  return c.changed.length > 0 ? `${c.reason}; the configuration changed under this id: ${c.changed.join('; ')}` : c.reason;
}

/** The configuration without its dataset prefix (the dataset heads its block). */
function short(c: GateCheck): string {
  return c.configuration.startsWith(`${c.dataset}/`) ? c.configuration.slice(c.dataset.length + 1) : c.configuration;
}

function datasetsOf(report: GateReport): string[] {
  return [...new Set(report.checks.map((c) => c.dataset))];
}

/** `gate: 54 checks, 2 FAIL, 30 OKish, 10 OK, 12 SKIPPED`. */
export function summaryLine(report: GateReport): string {
  const n = report.checks.length;
  return `gate: ${n} check${n === 1 ? '' : 's'}, ${report.counts.FAIL} FAIL, ${report.counts.OKish} OKish, ${report.counts.OK} OK, ${report.counts.SKIPPED} SKIPPED`;
}

function rulesText(report: GateReport): string {
  const d = report.rules.defaults;
  const own = Object.entries(report.rules.metrics).map(([m, r]) => (r === false ? `${m}: not gated` : `${m}: maxDrop ${r.maxDrop}, alpha ${r.alpha}, hardMaxDrop ${r.hardMaxDrop}`));
  const lat = report.rules.latency;
  return [
    `rules: ${report.rules.file ?? 'defaults (no rules file)'}; quality: maxDrop ${d.maxDrop}, alpha ${d.alpha} (paired randomization test, Holm across all quality checks), hardMaxDrop ${d.hardMaxDrop}${own.length > 0 ? `; ${own.join('; ')}` : ''}`,
    lat ? `latency: median total per query, FAIL when the 95% bootstrap interval of current/baseline lies above x${(1 + lat.maxSlowdown).toFixed(2)} and adds >= ${lat.minSlowdownMs} ms` : 'latency: not gated',
  ].join('; ');
}

function align(rows: string[][], lastFree: boolean): string[] {
  const cols = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (lastFree && c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
}

/**
 * The terminal form: the two files and the rules, a table per dataset (verdict, configuration, check,
 * baseline -> current, Δ [95% CI], adjusted p, reason), the notes, every FAIL again with its full
 * explanation, and the summary line.
 */
export function formatGateTable(report: GateReport): string {
  const out = [`baseline ${describeFile(report.baseline)}`, `current  ${describeFile(report.current)}`, rulesText(report), ''];
  for (const ds of datasetsOf(report)) {
    const rows: string[][] = [['verdict', 'configuration', 'check', 'baseline -> current', 'delta [95% CI]', 'adj. p', 'reason']];
    for (const c of report.checks.filter((x) => x.dataset === ds)) rows.push([c.verdict, short(c), c.check, valuesText(c), deltaText(c), pText(c.pAdjusted), c.reason]);
    out.push(ds, ...align(rows, true).map((l) => `  ${l}`), '');
  }
  for (const n of report.notes) out.push(`note: ${n}`);
  const fails = report.checks.filter((c) => c.verdict === 'FAIL');
  if (fails.length > 0) {
    if (report.notes.length > 0) out.push('');
    out.push(`${fails.length} FAIL${fails.length === 1 ? '' : 's'}:`);
    for (const c of fails) out.push(`  FAIL ${c.configuration} ${c.check}: ${[valuesText(c), deltaText(c)].filter((s) => s).join(', ')}${valuesText(c) ? ': ' : ''}${fullReason(c)}`);
  }
  out.push(summaryLine(report));
  return `${out.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

/** GitHub's limit on a comment body; gate.md stays under it, with room for text around it. */
export const MARKDOWN_BUDGET = 60_000;

const ORDER: Record<Verdict, number> = { FAIL: 0, SKIPPED: 1, OKish: 2, OK: 3 };

function mdRow(c: GateCheck, withReasonChange: boolean): string {
  const v = c.verdict === 'FAIL' ? '**FAIL**' : c.verdict;
  return `| ${v} | ${cell(c.dataset)} | ${cell(short(c))} | ${cell(c.check)} | ${cell(valuesText(c, '→'))} | ${cell(deltaText(c))} | ${pText(c.pAdjusted)} | ${cell(withReasonChange ? fullReason(c) : c.reason)} |`;
}

const HEADER = ['| verdict | dataset | configuration | check | baseline → current | Δ [95% CI] | adj. p | reason |', '| --- | --- | --- | --- | ---: | ---: | ---: | --- |'];

/** `describeFile` with the path in code font. */
function mdFile(f: FileInfo): string {
  return describeFile({ ...f, file: `\`${f.file}\`` });
}

/**
 * gate.md: the verdict as a heading, the counts, the failures with their explanations, then every check
 * (FAIL, SKIPPED, OKish, OK) in a collapsed section, cut when the file would pass `MARKDOWN_BUDGET`
 * characters (what was cut is counted, and is in gate.junit.xml).
 */
export function formatGateMarkdown(report: GateReport): string {
  const { counts } = report;
  const lines = [
    `## rbench gate: ${report.exitCode === 0 ? 'passed' : 'FAILED'}`,
    '',
    `${report.checks.length} checks: ${counts.FAIL > 0 ? `**${counts.FAIL} FAIL**` : '0 FAIL'}, ${counts.OKish} OKish, ${counts.OK} OK, ${counts.SKIPPED} SKIPPED.`,
    '',
    `- baseline: ${mdFile(report.baseline)}`,
    `- current: ${mdFile(report.current)}`,
    `- ${cell(rulesText(report))}`,
    '',
  ];
  const fails = report.checks.filter((c) => c.verdict === 'FAIL');
  if (fails.length > 0) lines.push('### Failures', '', ...HEADER, ...fails.map((c) => mdRow(c, true)), '');
  if (report.notes.length > 0) lines.push('### Notes', '', ...report.notes.map((n) => `- ${cell(n)}`), '');
  const sorted = [...report.checks].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict]);
  const all = ['<details><summary>All checks</summary>', '', ...HEADER];
  let size = lines.join('\n').length + all.join('\n').length + 200;
  let shown = 0;
  for (const c of sorted) {
    const row = mdRow(c, false);
    if (size + row.length + 1 > MARKDOWN_BUDGET) break;
    all.push(row);
    size += row.length + 1;
    shown++;
  }
  if (shown < sorted.length) all.push('', `${sorted.length - shown} more checks (${verdictCounts(sorted.slice(shown))}) left out to stay under GitHub's comment size; every check is in gate.junit.xml.`);
  all.push('', '</details>');
  lines.push(...all);
  return `${lines.join('\n')}\n`;
}

function verdictCounts(checks: readonly GateCheck[]): string {
  const n: Record<string, number> = {};
  for (const c of checks) n[c.verdict] = (n[c.verdict] ?? 0) + 1;
  return Object.entries(n)
    .map(([v, k]) => `${k} ${v}`)
    .join(', ');
}

/**
 * gate.junit.xml (junit-report-builder): a suite per dataset, a case per configuration × check, named
 * `<check>` in class `<configuration>`. FAIL → `<failure message="reason">` with the numbers in its body;
 * SKIPPED → `<skipped/>` with the reason in system-out; OK and OKish pass with the verdict and reason in
 * system-out.
 */
export function formatGateJUnit(report: GateReport): string {
  const builder = junit.newBuilder().name('rbench gate');
  for (const ds of datasetsOf(report)) {
    const suite = builder.testSuite().name(`rbench gate: ${ds}`);
    suite.property('baseline', report.baseline.file).property('current', report.current.file);
    for (const c of report.checks.filter((x) => x.dataset === ds)) {
      const t = suite.testCase().className(c.configuration).name(c.check);
      const numbers = [valuesText(c) && `baseline -> current: ${valuesText(c)}`, deltaText(c) && `delta [95% CI]: ${deltaText(c)}`, c.pAdjusted !== null ? `Holm-adjusted p: ${pText(c.pAdjusted)}` : '', c.changed.length > 0 ? `changed under this id: ${c.changed.join('; ')}` : '']
        .filter((s) => s !== '')
        .join('\n');
      if (c.verdict === 'FAIL') t.failure(`${c.configuration} ${c.check}: ${fullReason(c)}`, 'regression').stacktrace(numbers);
      else if (c.verdict === 'SKIPPED') t.skipped().standardOutput(`SKIPPED: ${c.reason}`);
      else t.standardOutput(`${c.verdict}: ${c.reason}${numbers ? `\n${numbers}` : ''}`);
    }
  }
  return builder.build();
}
