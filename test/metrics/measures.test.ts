/**
 * Each measure's definition on small hand-made examples, worked out by hand in the comments (the
 * golden tests check the same against trec_eval on larger inputs).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Qrels, Run } from '../../src/data/types.js';
import { UsageError } from '../../src/errors.js';
import { evaluate, evaluateWithCoverage, measuresMarkdownTable, MEASURES, parseMetrics, trecEvalName } from '../../src/metrics/index.js';
import { packageRoot } from '../../src/paths.js';

const EPS = 0.00001;

function qrelsOf(obj: Record<string, Record<string, number>>): Qrels {
  return new Map(Object.entries(obj).map(([q, docs]) => [q, new Map(Object.entries(docs))]));
}

function runOf(obj: Record<string, [string, number][]>): Run {
  return new Map(Object.entries(obj).map(([q, docs]) => [q, docs.map(([id, score]) => ({ id, score }))]));
}

/*
 * Query q1. Judgments: d1=3, d2=0, d3=1, d4=2, d5=−1 (pooled, unjudged), d6=1 (never retrieved).
 * Run (listed out of order on purpose; ranking is by score): d1 .9, dx .8 (not judged), d2 .7, d3 .6,
 * d5 .5, d4 .4  →  ranks 1..6 = d1(3) dx(–) d2(0) d3(1) d5(−1) d4(2).
 * Level 1: relevant = {d1, d3, d4, d6}, R = 4; judged non-relevant N = {d2} = 1.
 */
const QRELS = qrelsOf({ q1: { d1: 3, d2: 0, d3: 1, d4: 2, d5: -1, d6: 1 } });
const RUN = runOf({ q1: [['d3', 0.6], ['d1', 0.9], ['d4', 0.4], ['dx', 0.8], ['d5', 0.5], ['d2', 0.7]] });

function one(metric: string, opts: Record<string, unknown> = {}, qrels = QRELS, run = RUN): number {
  return evaluate(qrels, run, { metrics: [metric], ...opts }).metrics[metric];
}

describe('rate measures at level 1', () => {
  it('precision@k divides by k: P@1 = 1, P@3 = 1/3 (d1), P@5 = 2/5 (d1, d3), P@10 = 3/10 even with 6 ranked', () => {
    expect(one('precision@1')).toBe(1);
    expect(one('precision@3')).toBeCloseTo(1 / 3, 15);
    expect(one('precision@5')).toBeCloseTo(2 / 5, 15);
    expect(one('precision@10')).toBeCloseTo(3 / 10, 15);
  });

  it('recall@k counts unretrieved relevant documents in R: recall@5 = 2/4, recall@10 = 3/4', () => {
    expect(one('recall@5')).toBe(0.5);
    expect(one('recall@10')).toBe(0.75);
  });

  it('hit_rate@k: 1 when a relevant document is in the top k', () => {
    expect(one('hit_rate@1')).toBe(1);
    const late = runOf({ q1: [['dx', 9], ['d2', 8], ['d3', 1]] }); // first relevant d3 at rank 3
    expect(one('hit_rate@2', {}, QRELS, late)).toBe(0);
    expect(one('hit_rate@3', {}, QRELS, late)).toBe(1);
  });

  it('mrr has no cutoff, mrr@k is 0 when the first relevant document is below k', () => {
    const late = runOf({ q1: [['dx', 9], ['d2', 8], ['d3', 1]] });
    expect(one('mrr', {}, QRELS, late)).toBeCloseTo(1 / 3, 15);
    expect(one('mrr@2', {}, QRELS, late)).toBe(0);
    expect(one('mrr@3', {}, QRELS, late)).toBeCloseTo(1 / 3, 15);
  });

  it('map = (P@1 + P@4 + P@6) / R = (1 + 2/4 + 3/6) / 4 = 0.5; map@4 = (1 + 2/4) / 4 (divides by R, not min(R, k))', () => {
    expect(one('map')).toBeCloseTo(0.5, 15);
    expect(one('map@4')).toBeCloseTo(1.5 / 4, 15);
    expect(one('map@1')).toBeCloseTo(1 / 4, 15);
  });

  it('r_precision = relevant in the top R=4 (d1, d3) / 4', () => {
    expect(one('r_precision')).toBe(0.5);
  });

  it('counts: num_ret 6, num_rel 4 (d6 counts, d5 does not), num_rel_ret 3', () => {
    const r = evaluate(QRELS, RUN, { metrics: ['num_ret', 'num_rel', 'num_rel_ret'] });
    expect(r.metrics).toEqual({ num_ret: 6, num_rel: 4, num_rel_ret: 3 });
  });
});

describe('nDCG', () => {
  // Gains at ranks 1..6: 3, 0, 0, 1, 0 (negative grade), 2. Ideal: 3, 2, 1, 1 (d1, d4, d3, d6).
  const dcg = 3 / Math.log2(2) + 1 / Math.log2(5) + 2 / Math.log2(7);
  const idcg = 3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4) + 1 / Math.log2(5);

  it('linear gain over the whole ranking, ideal from every positive judgment', () => {
    expect(one('ndcg')).toBeCloseTo(dcg / idcg, 14);
  });

  it('ndcg@3 truncates both sums at 3: 3 / (3 + 2/log2 3 + 1/2)', () => {
    expect(one('ndcg@3')).toBeCloseTo(3 / (3 + 2 / Math.log2(3) + 1 / 2), 14);
  });

  it('ndcg_exp@3 uses 2^g − 1: 7 / (7 + 3/log2 3 + 1/2)', () => {
    expect(one('ndcg_exp@3')).toBeCloseTo(7 / (7 + 3 / Math.log2(3) + 1 / 2), 14);
  });

  it('does not depend on the relevance level', () => {
    expect(one('ndcg', { relLevel: 2 })).toBe(one('ndcg'));
    expect(one('ndcg@5', { relLevel: 3 })).toBe(one('ndcg@5'));
  });

  it('is 0 for a query without positive judgments', () => {
    const q = qrelsOf({ q: { a: 0, b: -1 } });
    expect(one('ndcg', {}, q, runOf({ q: [['a', 1], ['b', 0]] }))).toBe(0);
  });

  it('the golden README example: qrels a=1 b=3 c=0 ranked a, b, c', () => {
    const q = qrelsOf({ g1: { a: 1, b: 3, c: 0 } });
    const r = runOf({ g1: [['a', 3], ['b', 2], ['c', 1]] });
    expect(one('ndcg', {}, q, r)).toBeCloseTo(0.7967075809905066, 15);
    expect(one('ndcg@1', {}, q, r)).toBeCloseTo(1 / 3, 15);
  });
});

describe('bpref and infAP', () => {
  it('bpref: d1 → 1; d2 non-relevant; d3 → 1 − min(1,4)/min(1,4) = 0; d5 skipped; d4 → 0; / R = 1/4', () => {
    expect(one('bpref')).toBe(0.25);
  });

  it('bpref at level 2: R = 2 (d1, d4), N = 3 (d2, d3, d6); d1 → 1, d4 after 2 non-relevant → 1 − 2/2 = 0', () => {
    expect(one('bpref', { relLevel: 2 })).toBe(0.5);
  });

  it('infAP follows Yilmaz & Aslam with unjudged documents keeping their positions', () => {
    // j = 0: d1 → 1. j = 3: d3 with 1 relevant, 1 non-relevant above: 1/4 + 3/4·(2/3)·((1+ε)/(2+2ε)).
    // j = 5: d4 with 2 relevant, 1 non-relevant, 1 unjudged (d5) above; dx is skipped but counts in j.
    const c3 = 1 / 4 + (3 / 4) * (2 / 3) * ((1 + EPS) / (1 + 1 + 2 * EPS));
    const c5 = 1 / 6 + (5 / 6) * (4 / 5) * ((2 + EPS) / (2 + 1 + 2 * EPS));
    expect(one('infAP')).toBeCloseTo((1 + c3 + c5) / 4, 15);
  });
});

describe('options', () => {
  it('--judged-only drops dx and d5 and renumbers: d1 d2 d3 d4', () => {
    expect(one('precision@3', { judgedOnly: true })).toBeCloseTo(2 / 3, 15);
    expect(one('map', { judgedOnly: true })).toBeCloseTo((1 + 2 / 3 + 3 / 4) / 4, 15);
    expect(one('num_ret', { judgedOnly: true })).toBe(4);
  });

  it('--depth cuts the ranking; ndcg then is DCG@M over the full ideal DCG', () => {
    expect(one('num_ret', { depth: 3 })).toBe(3);
    expect(one('map', { depth: 3 })).toBeCloseTo(1 / 4, 15);
    const idcg = 3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4) + 1 / Math.log2(5);
    expect(one('ndcg', { depth: 3 })).toBeCloseTo(3 / idcg, 15);
    expect(one('ndcg@3', { depth: 3 })).toBe(one('ndcg@3'));
    expect(one('precision@5', { depth: 3 })).toBeCloseTo(1 / 5, 15);
  });

  it('--depth applies before --judged-only (trec_eval order): top 3 = d1 dx d2 → d1 d2', () => {
    expect(one('num_ret', { depth: 3, judgedOnly: true })).toBe(2);
    expect(one('num_rel_ret', { depth: 3, judgedOnly: true })).toBe(1);
  });

  it('--rel-level 2: relevant = d1, d4; AP = (1/1 + 2/6) / 2', () => {
    expect(one('map', { relLevel: 2 })).toBeCloseTo((1 + 2 / 6) / 2, 15);
    expect(one('num_rel', { relLevel: 2 })).toBe(2);
    expect(one('precision@5', { relLevel: 2 })).toBeCloseTo(1 / 5, 15);
  });

  it('rejects bad levels and depths', () => {
    expect(() => one('map', { relLevel: -1 })).toThrow(UsageError);
    expect(() => one('map', { relLevel: 1.5 })).toThrow(/relevance level/);
    expect(() => one('map', { depth: 0 })).toThrow(/depth/);
    expect(() => one('map', { depth: Number.NaN })).toThrow(UsageError);
  });
});

describe('ties and ordering', () => {
  // Equal scores: docno in descending byte order, so 9 > 100 > 10: the relevant "10" is third.
  const q = qrelsOf({ t: { '10': 1 } });
  it('breaks ties by docno descending (strcmp), whatever the file order', () => {
    for (const order of [['10', '9', '100'], ['9', '100', '10'], ['100', '10', '9']]) {
      expect(one('mrr', {}, q, runOf({ t: order.map((id) => [id, 1] as [string, number]) }))).toBeCloseTo(1 / 3, 15);
    }
  });

  it('ranks by score, not by list position (unsorted input)', () => {
    const r = runOf({ t: [['a', 0.1], ['10', 0.5], ['b', 0.9], ['c', 0.5]] }); // b, c, 10, a
    expect(one('mrr', {}, q, r)).toBeCloseTo(1 / 3, 15);
  });

  it('compares UTF-8 bytes: an astral character sorts above U+FF21', () => {
    const astral = '\u{1F600}';
    const qa = qrelsOf({ u: { [`x${astral}`]: 1 } });
    const r = runOf({ u: [['x\uFF21', 1], [`x${astral}`, 1]] });
    expect(one('mrr', {}, qa, r)).toBe(1);
  });

  it('distinguishes scores one ulp apart', () => {
    const qa = qrelsOf({ s: { a: 1 } });
    expect(one('mrr', {}, qa, runOf({ s: [['a', 0.3], ['b', 0.30000000000000004]] }))).toBe(0.5);
  });
});

describe('which queries count', () => {
  const qrels = qrelsOf({ q1: { a: 1 }, q2: { b: 1 }, q3: { c: 0 } });
  const run = runOf({ q1: [['a', 1]], q3: [['c', 1]], q9: [['z', 1]] });

  it('evaluates judged queries with run lines; a query without relevant documents counts with 0', () => {
    const { result, coverage } = evaluateWithCoverage(qrels, run, { metrics: ['precision@1'] });
    expect(result.queries).toBe(2);
    expect(result.metrics['precision@1']).toBe(0.5);
    expect(result.perQuery.q3['precision@1']).toBe(0);
    expect(coverage.runOnly).toEqual(['q9']);
    expect(coverage.missingFromRun).toEqual(['q2']);
  });

  it('--complete scores judged queries missing from the run as 0 and divides by all judged queries', () => {
    const r = evaluate(qrels, run, { metrics: ['precision@1', 'num_rel', 'num_ret'], complete: true });
    expect(r.queries).toBe(3);
    expect(r.metrics['precision@1']).toBeCloseTo(1 / 3, 15);
    expect(r.perQuery.q2).toEqual({ 'precision@1': 0, num_rel: 1, num_ret: 0 });
  });

  it("keeps trec_eval's -c quirk: summary num_rel counts grades > 0 over all queries, ignoring the level", () => {
    const graded = qrelsOf({ q1: { a: 2, b: 1 }, q2: { c: 1 } });
    const r = evaluate(graded, runOf({ q1: [['a', 1]] }), { metrics: ['num_rel'], complete: true, relLevel: 2 });
    expect(r.perQuery.q1.num_rel).toBe(1);
    expect(r.perQuery.q2.num_rel).toBe(0);
    expect(r.metrics.num_rel).toBe(3);
    expect(evaluate(graded, runOf({ q1: [['a', 1]] }), { metrics: ['num_rel'], relLevel: 2 }).metrics.num_rel).toBe(1);
  });

  it('accepts any query id as a result key, "__proto__" included', () => {
    const q = new Map([['__proto__', new Map([['a', 1]])]]);
    const r = evaluate(q, new Map([['__proto__', [{ id: 'a', score: 1 }]]]), { metrics: ['mrr'] });
    expect(Object.keys(r.perQuery)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(r)).perQuery.__proto__).toEqual({ mrr: 1 });
  });

  it('refuses runs that share no query with the judgments', () => {
    expect(() => evaluate(qrels, runOf({ x: [['a', 1]] }), { metrics: ['map'] })).toThrow(/no query of the run has judgments/);
  });

  it('refuses a duplicate document and a NaN score', () => {
    expect(() => evaluate(qrels, runOf({ q1: [['a', 1], ['a', 2]] }), { metrics: ['map'] })).toThrow(/twice for query "q1"/);
    expect(() => evaluate(qrels, runOf({ q1: [['a', Number.NaN]] }), { metrics: ['map'] })).toThrow(/NaN/);
  });
});

describe('metric names', () => {
  it('parses harness, trec_eval and ir_measures spellings; keeps the spelling as the key', () => {
    const parsed = parseMetrics('ndcg@10, ndcg_cut_10,nDCG@10,P_5,precision@5,recall_100,R@100,success_1,hit_rate@1,map_cut_10,recip_rank,RR@10,Rprec,AP,NDCG@20');
    expect(parsed.map((p) => [p.key, p.measure.name, p.k])).toEqual([
      ['ndcg@10', 'ndcg@k', 10],
      ['ndcg_cut_10', 'ndcg@k', 10],
      ['nDCG@10', 'ndcg@k', 10],
      ['P_5', 'precision@k', 5],
      ['precision@5', 'precision@k', 5],
      ['recall_100', 'recall@k', 100],
      ['R@100', 'recall@k', 100],
      ['success_1', 'hit_rate@k', 1],
      ['hit_rate@1', 'hit_rate@k', 1],
      ['map_cut_10', 'map@k', 10],
      ['recip_rank', 'mrr', Infinity],
      ['RR@10', 'mrr@k', 10],
      ['Rprec', 'r_precision', Infinity],
      ['AP', 'map', Infinity],
      ['NDCG@20', 'ndcg@k', 20],
    ]);
    expect(parsed[0].label).toBe('nDCG@10');
    expect(trecEvalName(parsed[0])).toBe('ndcg_cut_10');
    expect(trecEvalName(parseMetrics('mrr@10')[0])).toBe('recip_rank (-M 10)');
    expect(trecEvalName(parseMetrics('ndcg_exp@10')[0])).toBeNull();
  });

  it('keeps a repeated name once', () => {
    expect(parseMetrics(['map', 'map,ndcg']).map((p) => p.key)).toEqual(['map', 'ndcg']);
  });

  it('explains unknown names, missing and bad cutoffs, listing the valid names', () => {
    expect(() => parseMetrics('ndgc@10')).toThrow(/unknown metric "ndgc@10".*Valid metrics: ndcg@k/);
    expect(() => parseMetrics('precision')).toThrow(/needs a cutoff: write precision@10/);
    expect(() => parseMetrics('recall@')).toThrow(/needs a cutoff/);
    expect(() => parseMetrics('ndcg@0')).toThrow(/cutoff of "ndcg@0" must be a positive integer/);
    expect(() => parseMetrics('P_2.5')).toThrow(/positive integer/);
    expect(() => parseMetrics(' , ')).toThrow(/no metric given/);
  });

  it('renders the README table from the declarations', () => {
    const table = measuresMarkdownTable();
    for (const m of MEASURES) expect(table).toContain(`| \`${m.name}\` |`);
    expect(table).toContain('`ndcg_cut_k`');
    expect(table.split('\n')).toHaveLength(MEASURES.length + 2);
  });

  it("the README's metrics table is measuresMarkdownTable(), line for line", () => {
    const readme = readFileSync(path.join(packageRoot(), 'README.md'), 'utf8').split('\n');
    const intro = readme.findIndex((l) => l.includes('Generated from the metric registry (`measuresMarkdownTable()`'));
    expect(intro).toBeGreaterThan(0);
    // The table: the run of lines starting with `|` after the introducing sentence (and one blank line).
    const start = readme.findIndex((l, i) => i > intro && l.startsWith('|'));
    expect(readme.slice(intro + 1, start).every((l) => l.trim() === '')).toBe(true);
    const end = readme.findIndex((l, i) => i > start && !l.startsWith('|'));
    expect(readme.slice(start, end).join('\n')).toBe(measuresMarkdownTable());
  });
});
