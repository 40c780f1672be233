/**
 * Renders a results file to the self-contained HTML report: static SVG of every chart (Vega's headless
 * renderer, no canvas needed), the chart libraries inlined from node_modules, the data inlined as JSON;
 * and beside it summary.md with its one chart, summary.svg (summary.ts).
 *
 * vega and vega-lite are imported here, lazily, when a report is written: other commands never load them.
 * The files are deterministic: the same results give the same bytes (no clock, no random ids).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeAtomic } from '../experiment/results.js';
import type { ReportResults } from './input.js';
import { pageHtml, type InlineLibrary } from './page.js';
import { scopeSvgIds } from './svg.js';
import { summaryChart, summaryMarkdown } from './summary.js';
import { allCharts, buildViews, type ChartDef } from './view.js';

/** The browser builds inlined into the page, in load order (vega-lite needs vega; vega-embed needs both). */
const LIBRARIES = [
  { name: 'vega', file: 'vega.min.js' },
  { name: 'vega-lite', file: 'vega-lite.min.js' },
  { name: 'vega-embed', file: 'vega-embed.min.js' },
] as const;

/**
 * The folder of an installed package. The vega packages' `exports` maps hide their package.json and
 * build files from `require.resolve`, so resolve the entry point and walk up to the package's own folder.
 */
function packageDir(name: string): string {
  const entry = createRequire(import.meta.url).resolve(name);
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
  }
  throw new Error(`cannot find the folder of the installed package ${name} (resolved to ${entry})`);
}

let librariesCache: InlineLibrary[] | undefined;

/** The minified browser builds of vega, vega-lite and vega-embed, read from node_modules (once per process). */
export function chartLibraries(): InlineLibrary[] {
  librariesCache ??= LIBRARIES.map(({ name, file }) => {
    const dir = packageDir(name);
    const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    return { name, version, code: fs.readFileSync(path.join(dir, 'build', file), 'utf8') };
  });
  return librariesCache;
}

/**
 * A Vega logger that keeps messages instead of printing them (stderr stays for rbench's own messages).
 * Methods are bound arrow functions: Vega calls some of them detached from the object.
 */
function collectingLogger(): { logger: LoggerInterface; messages: string[] } {
  const messages: string[] = [];
  let lvl = 2; // vega.Warn
  const logger: LoggerInterface = {
    level: (...a: [number?]) => {
      if (a.length === 0 || a[0] === undefined) return lvl;
      lvl = a[0];
      return logger;
    },
    error: (...args: unknown[]) => add('error', 1, args),
    warn: (...args: unknown[]) => add('warn', 2, args),
    info: (...args: unknown[]) => add('info', 3, args),
    debug: (...args: unknown[]) => add('debug', 4, args),
  };
  function add(kind: string, min: number, args: unknown[]): LoggerInterface {
    if (lvl >= min) messages.push(`${kind}: ${args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ')}`);
    return logger;
  }
  return { logger, messages };
}

/** The logger interface Vega and Vega-Lite accept (vega-util's LoggerInterface, which `vega` does not re-export). */
interface LoggerInterface {
  level(_?: number): number | LoggerInterface;
  error(...args: unknown[]): LoggerInterface;
  warn(...args: unknown[]): LoggerInterface;
  info(...args: unknown[]): LoggerInterface;
  debug(...args: unknown[]): LoggerInterface;
}

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');

async function loadVega(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  return { vega, vl };
}

/** Compiles a Vega-Lite spec to Vega; `warnings` holds what Vega-Lite would have printed (an empty list for a clean spec). */
export async function compileSpec(spec: TopLevelSpec): Promise<{ vega: unknown; warnings: string[] }> {
  const { vl } = await loadVega();
  const { logger, messages } = collectingLogger();
  const out = vl.compile(spec, { logger });
  return { vega: out.spec, warnings: messages };
}

/**
 * The static SVG of a Vega-Lite spec (Vega's headless renderer: `renderer: 'none'`, then `toSVG()`). Vega
 * logs dataflow errors instead of throwing them, which would leave a silently broken chart: an error
 * logged while rendering is thrown here. (Warnings are dropped: the interactive zoom's event sources do
 * not exist headless.)
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vl } = await loadVega();
  const { logger, messages } = collectingLogger();
  const view = new vega.View(vega.parse(vl.compile(spec, { logger }).spec), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    const errors = messages.filter((m) => m.startsWith('error:'));
    if (errors.length > 0) throw new Error(`Vega could not render the chart: ${errors.join('; ')}`);
    return svg;
  } finally {
    view.finalize();
  }
}

async function renderSvgs(charts: readonly ChartDef[]): Promise<Map<string, string>> {
  const svgs = new Map<string, string>();
  for (const c of charts) svgs.set(c.id, scopeSvgIds(await renderSvg(c.spec), c.id));
  return svgs;
}

/** What a report consists of: the page, summary.md and the chart summary.md shows (null when there is none). */
export interface RenderedReport {
  page: string;
  summary: string;
  summarySvg: string | null;
}

/** summary.md's chart, next to it. */
export const SUMMARY_FILE = 'summary.md';
export const SUMMARY_SVG = 'summary.svg';

/** The report page, summary.md and summary.svg of a results file, as strings. */
export async function renderReportFiles(results: ReportResults): Promise<RenderedReport> {
  const views = buildViews(results);
  const svgs = await renderSvgs(allCharts(views));
  const page = pageHtml({ results, views, svgs, libraries: chartLibraries() });
  const chart = summaryChart(views);
  const summarySvg = chart ? scopeSvgIds(await renderSvg(chart.spec), 'summary') : null;
  const summary = summaryMarkdown(results, views, chart ? { file: SUMMARY_SVG, alt: chart.alt } : null);
  return { page, summary, summarySvg };
}

/** The report page of a results file, as a string. */
export async function renderReport(results: ReportResults): Promise<string> {
  return (await renderReportFiles(results)).page;
}

export interface WrittenReport {
  /** The page (absolute path). */
  file: string;
  /** summary.md beside it (absolute path). */
  summary: string;
  /** summary.svg beside it, when there is a chart. */
  summarySvg: string | null;
}

/** Removes a file if it is one (a stale output of an earlier run); anything else is left alone. */
function removeFile(file: string): void {
  try {
    if (fs.statSync(file).isFile()) fs.rmSync(file);
  } catch {
    // nothing there
  }
}

/**
 * Renders the report and writes it atomically to `file`, with summary.md and summary.svg in the same folder
 * (a summary.svg of an earlier run is removed when this one has no chart). The page is written last.
 */
export async function writeReport(results: ReportResults, file: string): Promise<WrittenReport> {
  const { page, summary, summarySvg } = await renderReportFiles(results);
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const svgFile = path.join(dir, SUMMARY_SVG);
  if (summarySvg === null) removeFile(svgFile);
  else writeAtomic(svgFile, summarySvg);
  writeAtomic(path.join(dir, SUMMARY_FILE), summary);
  writeAtomic(abs, page);
  return { file: abs, summary: path.join(dir, SUMMARY_FILE), summarySvg: summarySvg === null ? null : svgFile };
}

/**
 * The report of a finished `rbench run`: `<outDir>/index.html`, `summary.md` and `summary.svg`. Called after
 * results.json is written, so a rendering failure loses nothing; it is returned as `error` (the caller prints
 * it) and any report files left by an earlier run in that folder are removed, so the folder never pairs new
 * results with an old report.
 */
export async function writeRunReport(results: ReportResults, outDir: string): Promise<WrittenReport | { error: string }> {
  const file = path.join(outDir, 'index.html');
  try {
    return await writeReport(results, file);
  } catch (e) {
    for (const f of [file, path.join(outDir, SUMMARY_FILE), path.join(outDir, SUMMARY_SVG)]) removeFile(f);
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
