/**
 * Hostile text in every name a report shows: dataset label, retriever name, query and document ids, query
 * and document text, config description (xss-fixture.ts: a real `rbench run` on a tiny BEIR dataset, then
 * `rbench report` of its results rewritten with hostile names). The page, summary.md and summary.svg must
 * carry none of it raw; script elements that embed JSON must not be closable from the data. The browser
 * half of this check (no dialog, no injected element) is in browser.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/report/html.js';
import { buildXssReport, EVIL_LABEL, EVIL_RETRIEVER, IMG, IMG_ID, PAYLOADS, SCRIPT, type XssReport } from './xss-fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-xss-'));
let report: XssReport;

beforeAll(() => {
  report = buildXssReport(tmp);
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every `<script …>…</script>` element of a page: its opening tag and its text. */
function scripts(page: string): { tag: string; text: string }[] {
  return [...page.matchAll(/(<script\b[^>]*>)([\s\S]*?)<\/script>/gi)].map((m) => ({ tag: m[1], text: m[2] }));
}

describe('a report of hostile names', () => {
  it('the hostile names reached the results (the test tests something)', () => {
    const results = fs.readFileSync(report.results, 'utf8');
    for (const s of [EVIL_LABEL, EVIL_RETRIEVER, `q${IMG_ID}`, `q${SCRIPT}`]) expect(results).toContain(JSON.stringify(s).slice(1, -1));
  });

  it('the page shows them escaped, and outside its own script elements holds none of them raw', () => {
    const page = report.html;
    const outside = page.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
    for (const p of PAYLOADS) expect(outside, p).not.toContain(p);
    expect(outside).not.toMatch(/<img\b/i);
    // No element has an event-handler attribute. Attribute values are all double-quoted (with `"` and `<`
    // escaped inside), so with the values blanked a tag shows only its attribute names.
    const tags = outside.replace(/="[^"]*"/g, '=""').match(/<[a-z][^<>]*>/gi) ?? [];
    expect(tags.length).toBeGreaterThan(100);
    expect(tags.filter((t) => /\son[a-z]+\s*=/i.test(t))).toEqual([]);
    expect(outside).toContain(escapeHtml(EVIL_LABEL));
    expect(outside).toContain(escapeHtml(EVIL_RETRIEVER));
    expect(outside).toContain(escapeHtml(`description ${SCRIPT} ${IMG}`));
  });

  it('script elements are exactly the three libraries, the enhancement script and JSON specs whose text cannot end them', () => {
    const all = scripts(report.html);
    const json = all.filter((s) => /^<script type="application\/json" id="spec-[a-z0-9-]+">$/.test(s.tag));
    const plain = all.filter((s) => s.tag === '<script>');
    expect(plain).toHaveLength(4);
    expect(json.length + plain.length).toBe(all.length);
    // Vega-Embed's wins/losses chart carries the query ids: the data is there, with `<` as \u003c.
    expect(json.some((s) => s.tag.includes('winloss'))).toBe(true);
    for (const s of json) {
      expect(s.text).not.toMatch(/[<>]/);
      expect(s.text).not.toMatch(/<\/script|<!--/i);
      JSON.parse(s.text);
    }
    const specs = json.map((s) => s.text).join('\n');
    expect(specs).toContain('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
    const values = json.flatMap((s) => (JSON.parse(s.text) as { data?: { values?: { query?: string }[] } }).data?.values ?? []);
    expect(values.map((v) => v.query)).toContain(`q${IMG_ID}`);
  });

  it('the inline static SVG escapes the names it draws', () => {
    const svgs = report.html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBeGreaterThan(1);
    for (const svg of svgs) for (const p of PAYLOADS) expect(svg).not.toContain(p);
    expect(svgs.join('')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('summary.md holds no HTML and no raw table separator from the names', () => {
    const md = report.summary;
    expect(md).not.toMatch(/<[a-z/!?]/i);
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    // Every table row has as many cell separators as the header.
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    expect(rows.length).toBeGreaterThan(2);
    const cells = (l: string) => (l.match(/\|/g) ?? []).length;
    for (const r of rows) expect(cells(r), r).toBe(cells(rows[0]));
  });

  it('summary.svg holds none of them raw', () => {
    for (const p of PAYLOADS) expect(report.svg).not.toContain(p);
    expect(report.svg).not.toMatch(/<script|<foreignObject|<img/i);
  });
});
