/**
 * Every golden case (trec_eval 10.0 reference values, `test/fixtures/golden/`, copied from
 * `shared/golden/`): every measure we implement that trec_eval also computes, summary and per query,
 * within 1e-9, through the in-memory path (`readQrels` + `readRun` + `evaluate`) and the streaming
 * file path (`evaluateFiles`). The error cases must be rejected with our duplicate-document error.
 */
import { describe, expect, it } from 'vitest';
import { readQrels, readRun } from '../../src/data/trec.js';
import { UsageError } from '../../src/errors.js';
import { evaluate, evaluateFiles, type EvalResult } from '../../src/metrics/index.js';
import { flagsToOptions, goldenIndex, implementedMeasures, loadCase, type GoldenCase } from './golden-helpers.js';

const TOL = 1e-9;
const cases = goldenIndex();

function check(result: EvalResult, expected: GoldenCase, pairs: [string, string][]): void {
  expect(result.queries).toBe(expected.measures.num_q);
  expect(Object.keys(result.perQuery).sort()).toEqual(Object.keys(expected.per_query).sort());
  const bad: string[] = [];
  for (const [trec, ours] of pairs) {
    const want = expected.measures[trec];
    const got = result.metrics[ours];
    if (!(Math.abs(got - want) <= TOL)) bad.push(`all ${trec}/${ours}: got ${got}, want ${want}`);
    for (const [qid, values] of Object.entries(expected.per_query)) {
      if (!(trec in values)) continue;
      const g = result.perQuery[qid]?.[ours];
      if (!(Math.abs(g - values[trec]) <= TOL)) bad.push(`${qid} ${trec}/${ours}: got ${g}, want ${values[trec]}`);
    }
  }
  expect(bad).toEqual([]);
}

describe('golden cases (trec_eval 10.0)', () => {
  it('has every case of the index', () => {
    expect(cases.length).toBe(76);
  });

  for (const entry of cases.filter((c) => !c.error)) {
    it(`${entry.case} (${entry.flags})`, async () => {
      const expected = loadCase(entry.case);
      const pairs = implementedMeasures(expected.measures);
      expect(pairs.length).toBeGreaterThanOrEqual(40);
      const opts = { metrics: pairs.map(([, ours]) => ours), ...flagsToOptions(expected.flags) };

      const inMemory = evaluate(await readQrels(expected.qrelsPath), await readRun(expected.runPath), opts);
      check(inMemory, expected, pairs);

      const streamed = await evaluateFiles(expected.qrelsPath, expected.runPath, opts);
      check(streamed, expected, pairs);
    });
  }

  for (const entry of cases.filter((c) => c.error)) {
    it(`${entry.case} is rejected like trec_eval rejects it`, async () => {
      const expected = loadCase(entry.case);
      expect(expected.error?.exit_code).toBe(4);
      const docid = /duplicate docs (\S+?)trec_eval/.exec(expected.error?.stderr ?? '')?.[1] ?? '';
      expect(docid).not.toBe('');
      const opts = { metrics: ['ndcg@10'], ...flagsToOptions(expected.flags) };
      for (const attempt of [() => readRun(expected.runPath), () => evaluateFiles(expected.qrelsPath, expected.runPath, opts)]) {
        const err = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(UsageError);
        const message = (err as UsageError).message;
        expect(message).toContain(expected.runPath);
        expect(message).toContain(`"${docid}"`);
        expect(message).toMatch(/lines \d+ and \d+/);
        expect((err as UsageError).exitCode).toBe(2);
      }
    });
  }
});

describe('MRR@k is recip_rank with -M k', () => {
  // For every `-M 10` case, mrr@10 of the whole (uncut) run must equal trec_eval's recip_rank under -M 10.
  for (const entry of cases.filter((c) => !c.error && /-M 10/.test(c.flags))) {
    it(entry.case, async () => {
      const expected = loadCase(entry.case);
      const { depth, ...rest } = flagsToOptions(expected.flags);
      expect(depth).toBe(10);
      const result = await evaluateFiles(expected.qrelsPath, expected.runPath, { metrics: ['mrr@10'], ...rest });
      expect(Math.abs(result.metrics['mrr@10'] - expected.measures.recip_rank)).toBeLessThanOrEqual(TOL);
      for (const [qid, values] of Object.entries(expected.per_query)) {
        expect(Math.abs(result.perQuery[qid]['mrr@10'] - values.recip_rank)).toBeLessThanOrEqual(TOL);
      }
    });
  }
});

describe('trec_eval measure names are accepted as aliases', () => {
  it('gives the same values under trec_eval names as under ours', async () => {
    const expected = loadCase('graded_0_3_1__none');
    const trecNames = ['ndcg_cut_10', 'P_5', 'recip_rank', 'Rprec', 'success_1', 'recall_100', 'map_cut_10', 'ndcg', 'map', 'bpref', 'infAP', 'num_ret', 'num_rel', 'num_rel_ret'];
    const result = await evaluateFiles(expected.qrelsPath, expected.runPath, { metrics: trecNames });
    for (const name of trecNames) expect(Math.abs(result.metrics[name] - expected.measures[name])).toBeLessThanOrEqual(TOL);
  });
});
