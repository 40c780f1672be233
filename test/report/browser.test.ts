/**
 * The report in a real browser: Debian's Chromium (`/usr/bin/chromium`, or `$RBENCH_CHROMIUM`) driven by
 * playwright-core, which downloads no browser. `.ci/run` installs Chromium when it is absent; without it this
 * file fails under CI (naming what is missing) and is skipped elsewhere, with that message as its note.
 *
 * - The quick-start report, from a real `rbench run configs/quickstart.yaml` (about two minutes; the GloVe
 *   models and stand-ins are built once into the shared test models folder, as test/experiment/run.test.ts
 *   does), opened from file:// offline: every chart goes live and draws marks, no console error, no failed
 *   or outside request, the decision is the first section and at the top of the window, the page never
 *   scrolls sideways (1,400 px and 800 px windows) and the all-configurations table fits at 1,400 px. A
 *   screenshot of the top goes to reports/browser-check.png.
 * - Without JavaScript: every chart's static SVG has marks.
 * - A fixture report with every kind of chart (wins/losses, efSearch and interpolation sweeps, ...): each
 *   draws marks.
 * - The hostile report of xss-fixture.ts: no dialog, no injected element, the names shown as text.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/render.js';
import { sweptResults, twoDatasetResults } from './fixture.js';
import { buildXssReport, EVIL_LABEL, IMG, SCRIPT, type XssReport } from './xss-fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.RBENCH_CHROMIUM ?? '/usr/bin/chromium';
const MODELS = process.env.RBENCH_TEST_MODELS ?? path.join(os.tmpdir(), 'rbench-test-models');
const SCREENSHOT = path.join(ROOT, 'reports', 'browser-check.png');
/** Launch flags that work as root on these machines (MACHINE-NOTES.md, "Charts and the browser"); headless comes from playwright. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const present = fs.existsSync(CHROMIUM);
const missing = `Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does it when absent), or set RBENCH_CHROMIUM to a Chromium binary.`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-browser-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `node bin/rbench.js run configs/quickstart.yaml` into `out`; rejects with its stderr on failure. */
function runQuickstart(out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'bin', 'rbench.js'), 'run', 'configs/quickstart.yaml', '--out', out, '--cache', path.join(tmp, 'cache'), '--quiet'], {
      cwd: ROOT,
      env: { ...process.env, RBENCH_MODELS: MODELS },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rbench run configs/quickstart.yaml exited ${code}: ${stderr}`))));
  });
}

/** What a page did while open: console errors and warnings, failed requests, requests off file://, dialogs. */
interface Watch {
  errors: string[];
  warnings: string[];
  failed: string[];
  outside: string[];
  dialogs: string[];
}

function watch(page: Page): Watch {
  const w: Watch = { errors: [], warnings: [], failed: [], outside: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
    if (m.type() === 'warning') w.warnings.push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => w.failed.push(`${r.url()}: ${r.failure()?.errorText ?? '?'}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file://')) w.outside.push(r.url());
  });
  page.on('dialog', (d) => {
    w.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return w;
}

let context: BrowserContext;

async function openContext(javaScript: boolean): Promise<BrowserContext> {
  const dir = fs.mkdtempSync(path.join(tmp, 'profile-'));
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: FLAGS, javaScriptEnabled: javaScript, viewport: { width: 1400, height: 900 }, offline: true });
}

/**
 * Runs `js` (an expression) in the page. Strings, not functions: this project's type check has no DOM
 * library, and adding one for a test would let src/ use browser globals unnoticed.
 */
function inPage<R>(page: Page, js: string): Promise<R> {
  return page.evaluate<R, undefined>(js, undefined);
}

/** Opens a report and waits until every chart went live (vega-embed replaced its static SVG) or failed. */
async function open(file: string, ctx = context, javaScript = true): Promise<{ page: Page; watch: Watch }> {
  const page = await ctx.newPage();
  const w = watch(page);
  await page.goto(`file://${file}`);
  // A chart that failed keeps its static SVG: the checks below name it.
  if (javaScript) await page.waitForFunction("document.querySelectorAll('figure.chart .static').length === 0", null, { timeout: 60_000 }).catch(() => undefined);
  return { page, watch: w };
}

/** Per chart: its id, whether it went live, and how many data marks (paths, lines, texts in Vega's mark groups) its SVG drew. */
function chartMarks(page: Page, part: '.live' | '.static'): Promise<{ id: string; live: boolean; marks: number }[]> {
  return inPage(
    page,
    `[...document.querySelectorAll('figure.chart')].map((fig) => ({
      id: fig.id,
      live: fig.querySelector('.static') === null,
      marks: fig.querySelectorAll('${part} svg g.role-mark:not(.mark-group) > *').length,
    }))`,
  );
}

/** The page's horizontal overflow at a window width: how far the document is wider than the window. */
async function overflowAt(page: Page, width: number): Promise<number> {
  await page.setViewportSize({ width, height: 900 });
  return inPage(page, 'document.documentElement.scrollWidth - document.documentElement.clientWidth');
}

if (!present) {
  describe('the report in a real browser', () => {
    it('needs Chromium', (ctx) => {
      if (process.env.CI) throw new Error(missing);
      ctx.skip(missing);
    });
  });
} else {
  describe('the report in a real browser', () => {
    let quickstart: string;
    let fixture: string;
    let twoDatasets: string;
    let xss: XssReport;

    beforeAll(async () => {
      const out = path.join(tmp, 'quickstart');
      const run = runQuickstart(out);
      fixture = (await writeReport(sweptResults(), path.join(tmp, 'fixture', 'index.html'))).file;
      twoDatasets = (await writeReport(twoDatasetResults(), path.join(tmp, 'two', 'index.html'))).file;
      xss = buildXssReport(path.join(tmp, 'xss'));
      context = await openContext(true);
      await run;
      quickstart = path.join(out, 'index.html');
    }, 900_000);

    afterAll(async () => {
      await context?.close();
    });

    it('the quick-start report opens offline: every chart drew its marks, no console error, no failed or outside request', async () => {
      const { page, watch: w } = await open(quickstart);
      const charts = await chartMarks(page, '.live');
      expect(charts.length).toBeGreaterThanOrEqual(4);
      for (const c of charts) {
        expect(c.live, `${c.id} went live`).toBe(true);
        expect(c.marks, `${c.id} drew marks`).toBeGreaterThan(0);
      }
      expect(w.errors).toEqual([]);
      expect(w.failed).toEqual([]);
      expect(w.outside).toEqual([]);
      expect(w.dialogs).toEqual([]);
      await page.close();
    });

    it('the decision is the first section, at the top of the window; screenshot in reports/browser-check.png', async () => {
      const { page } = await open(quickstart);
      const first = await inPage<{ id: string; heading: string; top: number }>(
        page,
        `(() => {
          const s = document.querySelector('section');
          const h = s.querySelector('h2');
          return { id: s.id, heading: h.textContent, top: h.getBoundingClientRect().top };
        })()`,
      );
      expect(first.id).toBe('decision');
      expect(first.heading).toBe('Decision: which configuration to ship');
      expect(first.top).toBeLessThan(400);
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
      expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
      await page.close();
    });

    it('fits its width: no sideways scrolling at 1,400 and 800 px, and the all-configurations table fits at 1,400 px', async () => {
      const { page } = await open(quickstart);
      expect(await overflowAt(page, 1400)).toBe(0);
      const table = await inPage<{ scroll: number; client: number }>(
        page,
        `(() => {
          const box = document.querySelector('table.results').closest('.scroll');
          return { scroll: box.scrollWidth, client: box.clientWidth };
        })()`,
      );
      expect(table.scroll).toBeLessThanOrEqual(table.client);
      expect(await overflowAt(page, 800)).toBe(0);
      // Narrower, the wide tables scroll inside their own box instead.
      const boxes = await inPage<[boolean, string][]>(page, `[...document.querySelectorAll('.scroll')].map((b) => [b.scrollWidth > b.clientWidth, getComputedStyle(b).overflowX])`);
      expect(boxes.some(([wider]) => wider)).toBe(true);
      for (const [, overflow] of boxes) expect(overflow).toBe('auto');
      await page.close();
    });

    it('without JavaScript, every chart is there as a static SVG with its marks', async () => {
      const noJs = await openContext(false);
      try {
        const { page } = await open(quickstart, noJs, false);
        const charts = await chartMarks(page, '.static');
        expect(charts.length).toBeGreaterThanOrEqual(4);
        for (const c of charts) expect(c.marks, `${c.id} static marks`).toBeGreaterThan(0);
      } finally {
        await noJs.close();
      }
    });

    it('every kind of chart draws (wins/losses, sweeps, throughput, stand-ins), and the cross-dataset table shows', async () => {
      for (const file of [fixture, twoDatasets]) {
        const { page, watch: w } = await open(file);
        const charts = await chartMarks(page, '.live');
        for (const c of charts) {
          expect(c.live, `${c.id} went live`).toBe(true);
          expect(c.marks, `${c.id} drew marks`).toBeGreaterThan(0);
        }
        expect(w.errors).toEqual([]);
        expect(w.failed).toEqual([]);
        expect(await overflowAt(page, 1400)).toBe(0);
        if (file === fixture) expect(charts.map((c) => c.id)).toEqual(['d0-winloss', 'd0-quality', 'd0-depth', 'd0-efsearch', 'd0-interpolation', 'd0-throughput', 'd0-standin']);
        else expect(await page.locator('#cross-dataset table tbody tr').count()).toBeGreaterThan(5);
        await page.close();
      }
    });

    it('hostile names stay text: no dialog, no injected element, no script run', async () => {
      const { page, watch: w } = await open(path.join(xss.dir, 'index.html'));
      // Hover every live chart's marks for tooltips too (vega-tooltip renders names as HTML when unescaped).
      for (const mark of await page.locator('figure.chart .live svg g.role-mark:not(.mark-group) > path').all()) await mark.hover({ force: true, timeout: 1000 }).catch(() => undefined);
      const dom = await inPage<{ images: number; srcX: number; handlers: number; text: string }>(
        page,
        `({
          images: document.querySelectorAll('img').length,
          srcX: document.querySelectorAll('img[src=x], img[src="x"]').length,
          handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
          text: document.body.innerText,
        })`,
      );
      expect(w.dialogs).toEqual([]);
      expect(dom).toMatchObject({ images: 0, srcX: 0, handlers: 0 });
      expect(dom.text).toContain(EVIL_LABEL);
      expect(dom.text).toContain(`${SCRIPT}${IMG}`);
      expect(w.errors).toEqual([]);
      await page.close();
    });
  });
}
