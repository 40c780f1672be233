/**
 * summary.md and summary.svg: the headline table worked out from the fixture by hand, Markdown escaping,
 * the size limit, the chart beside it, and the files written by `writeReport` (the path of both `rbench run`
 * and `rbench report`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReportFiles, writeReport } from '../../src/report/render.js';
import { escapeMarkdown, SUMMARY_LIMIT } from '../../src/report/summary.js';
import { decidedResults, syntheticResults } from './fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-summary-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('escapeMarkdown', () => {
  it('makes HTML, table cells, code spans, emphasis, links and line breaks inert', () => {
    expect(escapeMarkdown('a|b <c> `d` *e* _f_ [g](h) ~i~ \\ & "j" \'k\'\nl')).toBe(
      'a&#124;b &lt;c&gt; &#96;d&#96; \\*e\\* \\_f\\_ \\[g\\](h) \\~i\\~ \\\\ &amp; "j" \'k\' l',
    );
    expect(escapeMarkdown('</script><img src=x onerror=alert(1)>')).toBe('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('summary.md of a run with decisions', async () => {
  const { summary, summarySvg } = await renderReportFiles(decidedResults());

  it('the headline table: per budget the recommended and the best, with mean [CI], Δ vs baseline (adj. p) and latency; the baseline last', () => {
    // fixture.ts decidedResults: within 10 ms only the baseline (0.62, 0.15 ms p95); from 100 ms on bm25/k5/ce
    // (0.65, b4, 11.4 ms) is recommended and bm25/k10/ce (0.68, b4, 22.65 ms → 22.6) the best, significantly
    // above the baseline (adjusted p 0.02).
    const table = [
      '| budget | recommended | nDCG@10 [95 % CI] | Δ vs baseline (adj. p) | p95 ms | best within the budget | nDCG@10 [95 % CI] | Δ vs baseline (adj. p) | p95 ms |',
      '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
      '| ≤ 10 ms | **bm25/k10/none** | 0.620 [0.570, 0.670] | baseline | 0.15 | the same |  |  |  |',
      '| ≤ 100 ms, ≤ 1000 ms, no budget | **bm25/k5/ce** (b4) | 0.650 [0.600, 0.700] | +0.030 (0.600) | 11.4 | bm25/k10/ce (b4) | 0.680 [0.630, 0.730] | +0.060 ▲ (0.020) | 22.6 |',
      '| baseline | bm25/k10/none | 0.620 [0.570, 0.670] | | 0.15 | | | | |',
    ].join('\n');
    expect(summary).toContain(table);
    expect(summary).toContain(
      "Decision on nDCG@10, total p95 latency per query at the fastest batch size; baseline bm25/k10/none. Means with 95 % bootstrap intervals; Δ vs the baseline with its p-value (paired randomization test, adjusted by Holm over the dataset's configurations); ▲/▼ significantly better/worse (p ≤ α = 0.05).",
    );
  });

  it('the decision sentences, the selection estimate beside the naive best, the stand-ins as cost only, the chart', () => {
    expect(summary).toContain('- ≤ 100 ms: web &lt;b&gt;"qa"&lt;/b&gt; &amp; co/bm25/k5/ce is the cheapest configuration within 100 ms p95 per query');
    expect(summary).toContain(
      "Selection (the winner's curse): naive best nDCG@10 0.680 (bm25/k10/ce); 3-fold cross-validated selection estimate 0.655: the best of 12 configurations on these 6 queries overstates it by 0.025.",
    );
    expect(summary).toContain('Architecture stand-ins (random weights: cost only, quality unknown offline): bm25/k5/big-standin 300 ms p95 (b1); bm25/k10/big-standin 600 ms p95 (b1).');
    expect(summary).toMatch(/\n!\[nDCG@10 vs total p95 latency per query on web &lt;b&gt;"qa"&lt;\/b&gt; &amp; co; baseline, recommended and best configurations labelled\]\(summary\.svg\)\n$/);
    expect(summary).not.toContain('0.9876');
  });

  it('escapes every name: no raw HTML and no table-breaking character from user text', () => {
    expect(summary).toContain('## web &lt;b&gt;"qa"&lt;/b&gt; &amp; co');
    expect(summary).toContain('# rbench: exp &lt;script&gt;alert("x")&lt;/script&gt;');
    expect(summary).not.toMatch(/<[a-z/!?]/i);
  });

  it('summary.svg is one standalone static SVG: the baseline and the recommended labelled, no script', () => {
    expect(summarySvg).not.toBeNull();
    expect(summarySvg!.startsWith('<svg')).toBe(true);
    expect(summarySvg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(summarySvg).not.toMatch(/<script|<foreignObject/i);
    expect(summarySvg).toContain('>bm25/k5/ce (recommended)</text>');
    expect(summarySvg).toContain('>bm25/k10/none (baseline, recommended)</text>');
    expect(summarySvg).toContain('>bm25/k10/ce (best)</text>');
    expect(summarySvg!.length).toBeLessThan(64 * 1024);
  });
});

describe('summary.md without decisions, without a chart, and at its size limit', () => {
  it('an older file: the best configuration instead of a decision', async () => {
    const { summary } = await renderReportFiles(syntheticResults());
    expect(summary).toContain('No decisions in this results file. Best nDCG@10: 0.680 with bm25/k10/ce, 15.1 ms p50 per query (b4).');
  });

  it('no configuration with latency: no chart, and no image reference', async () => {
    const r = syntheticResults();
    for (const row of r.results) {
      row.latencyMs = null;
      row.throughput = null;
    }
    const { summary, summarySvg } = await renderReportFiles(r);
    expect(summarySvg).toBeNull();
    expect(summary).not.toContain('![');
  });

  it('stays under the limit with many datasets, naming those left out', async () => {
    const one = decidedResults();
    const many = decidedResults();
    for (let i = 1; i < 60; i++) {
      const label = `set-${i}`;
      const re = (s: string) => s.split(one.datasets[0].name).join(label);
      many.datasets.push({ ...one.datasets[0], name: label });
      many.results.push(...one.results.map((x) => ({ ...x, id: re(x.id), qualityId: re(x.qualityId!), dataset: label })));
      many.statistics!.baselines[label] = re(one.statistics!.baselines[one.datasets[0].name]);
      many.decisions!.push(...one.decisions!.map((d) => ({ ...d, dataset: label, reason: re(d.reason), best: d.best && { ...d.best, id: re(d.best.id) }, recommended: d.recommended && { ...d.recommended, id: re(d.recommended.id) } })));
    }
    const { summary } = await renderReportFiles(many);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT);
    expect(summary).toMatch(/\n\d+ more datasets in index\.html \(kept out to stay short\): set-\d+, /);
    expect(summary).toContain('## set-1\n');
  });
});

describe('writeReport', () => {
  it('writes index.html, summary.md and summary.svg side by side, and removes a stale summary.svg when there is no chart', async () => {
    const dir = path.join(tmp, 'out');
    const written = await writeReport(decidedResults(), path.join(dir, 'index.html'));
    expect(written).toEqual({ file: path.join(dir, 'index.html'), summary: path.join(dir, 'summary.md'), summarySvg: path.join(dir, 'summary.svg') });
    expect(fs.readFileSync(written.summary, 'utf8')).toContain('](summary.svg)');
    expect(fs.readFileSync(written.summarySvg!, 'utf8').startsWith('<svg')).toBe(true);
    const untimed = syntheticResults();
    for (const row of untimed.results) row.latencyMs = null;
    const again = await writeReport(untimed, path.join(dir, 'index.html'));
    expect(again.summarySvg).toBeNull();
    expect(fs.existsSync(path.join(dir, 'summary.svg'))).toBe(false);
  });
});
