/**
 * `rbench run` writes index.html and summary.md; `rbench report` re-renders them from results.json (byte-identical); bad
 * input exits 2 with a one-paragraph message. Real `node bin/rbench.js` processes on a tiny experiment
 * (bundled tech-qa, BM25 only, 2 timed queries: about a second).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateResults } from '../../src/report/input.js';
import { chartLibraries, writeRunReport } from '../../src/report/render.js';
import { syntheticResults } from './fixture.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'rbench.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-report-'));
const out = path.join(tmp, 'out');
const resultsFile = path.join(out, 'results.json');

function rbench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let run: ReturnType<typeof rbench>;

beforeAll(() => {
  const config = path.join(tmp, 'tiny.yaml');
  fs.writeFileSync(
    config,
    `name: tiny
datasets:
  - name: tech-qa
retrievers:
  - name: bm25
    type: bm25
candidates: [5, 10]
rerankers: [none]
metrics: [ndcg@10, recall@10]
latency: { warmupQueries: 1, sampleQueries: 2, repetitions: 1 }
`,
  );
  run = rbench('run', config, '--out', out, '--cache', path.join(tmp, 'cache'), '--quiet');
}, 120_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('rbench run writes the report', () => {
  it('index.html beside results.json, announced on stderr', () => {
    expect(run.stderr).toContain('report:');
    expect(run.code).toBe(0);
    expect(fs.existsSync(path.join(out, 'index.html'))).toBe(true);
  });

  it('self-contained: the three libraries inlined, no external script or stylesheet, static SVG charts', () => {
    const page = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    for (const lib of chartLibraries()) expect(page.includes(lib.code), `${lib.name} inlined`).toBe(true);
    expect(page).not.toMatch(/<script[^>]*\ssrc\s*=/i);
    expect(page).not.toMatch(/<link\b[^>]*href\s*=\s*["']?https?:/i);
    expect(page).not.toMatch(/<(img|iframe|object|embed)\b[^>]*(src|data)\s*=\s*["']?https?:/i);
    expect(page).toContain('<svg');
    // Quality vs latency and quality vs depth; no reranker, so no throughput or stand-in chart. The wins/losses
    // chart first when the decisions compare something other than the baseline with it.
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as {
      statistics?: { baselines: Record<string, string> };
      decisions?: { budgetMs: number | null; recommended: { id: string } | null; best: { id: string } | null }[];
    };
    const baseline = results.statistics?.baselines['tech-qa'];
    const compared = baseline !== undefined && (results.decisions ?? []).some((d) => (d.recommended && d.recommended.id !== baseline) || (d.budgetMs === null && d.best && d.best.id !== baseline));
    expect([...page.matchAll(/<figure class="chart" id="([^"]+)"/g)].map((m) => m[1])).toEqual([...(compared ? ['d0-winloss'] : []), 'd0-quality', 'd0-depth']);
    expect((page.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('carries per-query data only in the wins/losses chart (none without one)', () => {
    const page = fs.readFileSync(path.join(out, 'index.html'), 'utf8');
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { results: { perQuery: Record<string, unknown> }[] };
    const qids = Object.keys(results.results[0].perQuery);
    expect(qids.length).toBeGreaterThan(10);
    expect(page).not.toContain('perQuery');
    const outside = page.replace(/<figure class="chart" id="d\d+-winloss"[\s\S]*?<\/figure>\s*<script type="application\/json" id="spec-d\d+-winloss">[\s\S]*?<\/script>/g, '');
    for (const q of qids.slice(0, 10)) expect(outside).not.toContain(q);
  });

  it('summary.md and summary.svg beside the report, summary.md referencing the chart', () => {
    const summary = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(summary.startsWith('# rbench: tiny\n')).toBe(true);
    expect(summary).toContain('\n## tech-qa\n');
    expect(summary).toContain('](summary.svg)');
    expect(fs.readFileSync(path.join(out, 'summary.svg'), 'utf8').startsWith('<svg')).toBe(true);
    expect(Buffer.byteLength(summary)).toBeLessThan(64 * 1024);
  });
});

describe('rbench report', () => {
  it('re-renders the same bytes as the run wrote (page, summary.md, summary.svg), to --out or beside the results file by default', () => {
    const original = fs.readFileSync(path.join(out, 'index.html'));
    const originalSummary = fs.readFileSync(path.join(out, 'summary.md'));
    const originalSvg = fs.readFileSync(path.join(out, 'summary.svg'));
    const other = path.join(tmp, 'other.html');
    const r = rbench('report', resultsFile, '--out', other);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/report .*other\.html \(\d+ KB, self-contained\); summary .*summary\.md with summary\.svg/);
    expect(fs.readFileSync(other).equals(original)).toBe(true);
    expect(fs.readFileSync(path.join(tmp, 'summary.md')).equals(originalSummary)).toBe(true);
    expect(fs.readFileSync(path.join(tmp, 'summary.svg')).equals(originalSvg)).toBe(true);
    fs.rmSync(path.join(out, 'index.html'));
    expect(rbench('report', resultsFile).code).toBe(0);
    expect(fs.readFileSync(path.join(out, 'index.html')).equals(original)).toBe(true);
  });

  it('--out naming a folder writes index.html inside it', () => {
    const dir = path.join(tmp, 'folder');
    fs.mkdirSync(dir);
    expect(rbench('report', resultsFile, '--out', dir).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'index.html'))).toBe(true);
  });

  const bad = (name: string, content: string | null): string => {
    const f = path.join(tmp, name);
    if (content !== null) fs.writeFileSync(f, content);
    return f;
  };
  const expectUsage = (r: ReturnType<typeof rbench>, pattern: RegExp): void => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it('exit 2: missing file', () => {
    expectUsage(rbench('report', bad('nope.json', null)), /nope\.json: no such results file/);
  });

  it('exit 2: not JSON', () => {
    expectUsage(rbench('report', bad('broken.json', '{"schemaVersion": 1,\n\n  ,}')), /broken\.json:3: not JSON: .*position 24/);
    expectUsage(rbench('report', bad('truncated.json', '{"schemaVersion": 1')), /truncated\.json:1: not JSON: Expected/);
  });

  it('exit 2: unsupported schemaVersion, naming the supported ones', () => {
    const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Record<string, unknown>;
    expectUsage(rbench('report', bad('v99.json', JSON.stringify({ ...r, schemaVersion: 99 }))), /schemaVersion 99 is not supported; this rbench renders schemaVersion 1/);
    expectUsage(rbench('report', bad('nov.json', JSON.stringify({ experiment: 'x' }))), /`schemaVersion` is missing/);
  });

  it('exit 2: missing or mistyped fields, named by path', () => {
    const r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { results: Record<string, unknown>[]; environment: Record<string, unknown> };
    delete r.results[1].candidateRecall;
    r.environment.cores = 'two';
    expectUsage(rbench('report', bad('fields.json', JSON.stringify(r))), /field `environment\.cores`: expected number, received string; field `results\[1\]\.candidateRecall` is missing/);
  });

  it('exit 2: --out naming the results file itself', () => {
    const before = fs.readFileSync(resultsFile);
    expectUsage(rbench('report', resultsFile, '--out', resultsFile), /would overwrite it/);
    expect(fs.readFileSync(resultsFile).equals(before)).toBe(true);
  });
});

describe('writeRunReport (the run hook)', () => {
  it('a rendering failure is returned, not thrown, and a stale index.html, summary.md and summary.svg are removed', async () => {
    const dir = path.join(tmp, 'stale');
    fs.mkdirSync(dir);
    for (const f of ['index.html', 'summary.md', 'summary.svg']) fs.writeFileSync(path.join(dir, f), 'old report');
    const broken = syntheticResults();
    (broken.results[0] as { retriever: unknown }).retriever = null;
    const r = await writeRunReport(broken, dir);
    expect('error' in r).toBe(true);
    for (const f of ['index.html', 'summary.md', 'summary.svg']) expect(fs.existsSync(path.join(dir, f))).toBe(false);
  });

  it('an unwritable target is returned as an error too', async () => {
    const dir = path.join(tmp, 'blocked');
    fs.mkdirSync(path.join(dir, 'index.html'), { recursive: true });
    const r = await writeRunReport(validateResults(JSON.parse(JSON.stringify(syntheticResults())), 'x'), dir);
    expect('error' in r).toBe(true);
    expect(fs.statSync(path.join(dir, 'index.html')).isDirectory()).toBe(true);
  });
});
