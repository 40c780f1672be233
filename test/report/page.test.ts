/**
 * The report page: escaping of every injected string, script-safe JSON, stand-ins never shown as quality,
 * best values highlighted, the header's figures, self-containment and determinism.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, inlineScript, jsonForScript, trusted } from '../../src/report/html.js';
import { validateResults } from '../../src/report/input.js';
import { renderReport } from '../../src/report/render.js';
import { pipelineOf } from '../../src/report/select.js';
import { DATASET, EVIL, STAND_IN_SENTINELS, syntheticResults } from './fixture.js';

describe('escaping', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('the html tag escapes interpolations, joins arrays, keeps Html as is, drops null/undefined/false', () => {
    const inner = html`<i>${'<b>'}</i>`;
    expect(html`<p title="${'"q"'}">${EVIL}${inner}${['<', 1, null, undefined, false]}${trusted('<br>')}</p>`.value).toBe(
      '<p title="&quot;q&quot;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<i>&lt;b&gt;</i>&lt;1<br></p>',
    );
  });

  it('JSON for a script element has no <, > or & and parses back to the same value', () => {
    const value = { id: `a</script><script>alert(1)</script><!-- & \u2028\u2029 "q"`, n: [1.5, null] };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('refuses to inline code that would end its script element', () => {
    expect(() => inlineScript('var s = "</script>";', 'lib')).toThrow(/lib/);
    expect(() => inlineScript('var s = "<!--";', 'lib')).toThrow(/lib/);
    expect(inlineScript('var s = 1 < 2;', 'lib').value).toBe('<script>var s = 1 < 2;</script>');
  });
});

describe('report page', async () => {
  const results = syntheticResults();
  const page = await renderReport(results);

  it('never contains an injected string unescaped, and shows it escaped', () => {
    expect(page).not.toContain(EVIL);
    expect(page).not.toContain('<b>"qa"</b>');
    expect(page).toContain(escapeHtml(EVIL));
    expect(page).toContain(escapeHtml(DATASET));
    expect(page).toContain(escapeHtml('Test CPU <fast>'));
    expect(page).toContain(escapeHtml('/data/web<qa>'));
  });

  it('has exactly the script elements it means to: 3 libraries, 4 chart specs, 1 enhancement script', () => {
    expect((page.match(/<script/g) ?? []).length).toBe(8);
    expect((page.match(/<script type="application\/json"/g) ?? []).length).toBe(4);
    expect(page).not.toMatch(/<script[^>]*\ssrc=/);
    expect(page).not.toMatch(/<link\b/);
  });

  it('chart specs round-trip through their script elements with the raw strings intact', () => {
    const specs = [...page.matchAll(/<script type="application\/json" id="spec-([^"]+)">([\s\S]*?)<\/script>/g)];
    expect(specs.map((m) => m[1])).toEqual(['d0-quality', 'd0-depth', 'd0-throughput', 'd0-standin']);
    const quality = JSON.parse(specs[0][2]) as { layer: unknown[]; data: { values: { id: string }[] } };
    expect(quality.data.values.every((v) => v.id.startsWith(`${DATASET}/`))).toBe(true);
  });

  it('shows no stand-in quality anywhere: its (meaningless) metric values appear nowhere in the page', () => {
    for (const v of STAND_IN_SENTINELS) {
      expect(page).not.toContain(String(v));
      expect(page).not.toContain(v.toFixed(4));
    }
    expect(page).toContain('architecture stand-in, random weights: cost only');
    // The stand-ins' cost is there: the stand-in table lists each of them.
    for (const r of results.results.filter((x) => x.reranker?.weights === 'random')) expect(page).toContain(`<code>${escapeHtml(pipelineOf(r.id, DATASET))}</code>`);
  });

  it('highlights the best value of each metric column, and only those: one row per quality configuration', () => {
    const best = [...page.matchAll(/<td class="num best" data-v="([^"]+)">/g)].map((m) => Number(m[1]));
    // nDCG@10: bm25/k10/ce alone (0.68); recall@10: the three dense k10 configurations (0.85, the candidates').
    expect(best.sort()).toEqual([0.68, 0.85, 0.85, 0.85]);
  });

  it('states the environment, the planner work and the conventions', () => {
    expect(page).toContain('<code>0123456789ab</code> <span class="badge">uncommitted changes</span>');
    expect(page).toContain('2 intra-op, 1 inter-op, spinning off');
    expect(page).toContain(`2 instead of ${results.results.length} (one per configuration); 1 computed, 1 from cache`);
    expect(page).toContain('1,000 instead of 5,000 (5.0× less work)');
    expect(page).toContain(escapeHtml('trec_eval 10.0 semantics; grade >= 1 & <relevant>'));
    expect(page).toContain('1 min 16 s');
    expect(page).toContain('2026-11-25 21:00:00 UTC');
  });

  it('labels the HNSW retriever with its ANN recall', () => {
    expect(page).toContain('dense (ANN recall 0.987)');
    expect(page).toMatch(/<td class="num" data-v="0\.987">0\.987<\/td>/);
  });

  it('is deterministic, and a results file read back from JSON renders the same page', async () => {
    expect(await renderReport(syntheticResults())).toBe(page);
    const fromJson = validateResults(JSON.parse(JSON.stringify(results)), 'results.json');
    expect(await renderReport(fromJson)).toBe(page);
  });

  it('renders missing measurements (NaN in memory, null in JSON) as missing, not as numbers', async () => {
    const r = syntheticResults();
    r.results[0].latencyMs!.total.p95 = Number.NaN;
    const a = await renderReport(r);
    const b = await renderReport(validateResults(JSON.parse(JSON.stringify(r)), 'results.json'));
    expect(a).toBe(b);
    // Outside the inlined libraries (whose code mentions NaN), no NaN is printed.
    expect(a.replace(/<script>[\s\S]*?<\/script>/g, '')).not.toContain('NaN');
    expect(a).toMatch(/<td class="num missing">—<\/td>/);
  });
});
