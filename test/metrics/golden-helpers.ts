/**
 * Shared by the golden tests: the golden cases (trec_eval 10.0 reference values, copied from
 * `shared/golden/`), their flags as EvalOptions, and the mapping from trec_eval measure names to ours.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EvalOptions } from '../../src/metrics/index.js';

export const GOLDEN_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/golden');

export interface GoldenCase {
  case: string;
  flags: string;
  error: { exit_code: number; stderr: string } | null;
  measures: Record<string, number>;
  per_query: Record<string, Record<string, number>>;
  queries: { evaluated: string[]; in_qrels_not_in_run: string[]; in_run_not_in_qrels: string[] };
}

export interface GoldenIndexEntry {
  case: string;
  flags: string;
  error: boolean;
  num_queries_evaluated: number;
}

export function goldenIndex(): GoldenIndexEntry[] {
  return JSON.parse(readFileSync(path.join(GOLDEN_DIR, 'index.json'), 'utf8')) as GoldenIndexEntry[];
}

export function loadCase(name: string): GoldenCase & { qrelsPath: string; runPath: string } {
  const dir = path.join(GOLDEN_DIR, name);
  // A few -J cases hold NaN (Python's json) for iprec_at_recall measures, which we do not implement.
  const text = readFileSync(path.join(dir, 'expected.json'), 'utf8').replace(/: NaN\b/g, ': null');
  const expected = JSON.parse(text) as GoldenCase;
  return { ...expected, qrelsPath: path.join(dir, 'qrels.txt'), runPath: path.join(dir, 'run.txt') };
}

/** trec_eval flags (`-c -M 10`, `-l 2`, `none`) as options. */
export function flagsToOptions(flags: string): Omit<EvalOptions, 'metrics'> {
  const opts: Omit<EvalOptions, 'metrics'> = {};
  if (flags === 'none') return opts;
  const tokens = flags.split(/\s+/);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '-c') opts.complete = true;
    else if (t === '-J') opts.judgedOnly = true;
    else if (t === '-l') opts.relLevel = Number(tokens[++i]);
    else if (t.startsWith('-l')) opts.relLevel = Number(t.slice(2));
    else if (t === '-M') opts.depth = Number(tokens[++i]);
    else if (t.startsWith('-M')) opts.depth = Number(t.slice(2));
    else throw new Error(`unknown flag ${t}`);
  }
  return opts;
}

/**
 * Our harness name for a trec_eval measure name, or undefined when we do not implement it.
 * (`recip_rank` is `mrr`; under `-M k` it is also `mrr@k` of the uncut run, tested separately.)
 */
export function harnessName(trec: string): string | undefined {
  const cut = /^(ndcg_cut|P|recall|success|map_cut)_(\d+)$/.exec(trec);
  if (cut) {
    const base = { ndcg_cut: 'ndcg', P: 'precision', recall: 'recall', success: 'hit_rate', map_cut: 'map' }[cut[1]];
    return `${base}@${cut[2]}`;
  }
  const plain: Record<string, string> = {
    ndcg: 'ndcg',
    map: 'map',
    recip_rank: 'mrr',
    Rprec: 'r_precision',
    bpref: 'bpref',
    infAP: 'infAP',
    num_ret: 'num_ret',
    num_rel: 'num_rel',
    num_rel_ret: 'num_rel_ret',
  };
  return plain[trec];
}

/** The (trec_eval name, harness name) pairs of a case's expected measures that we implement. */
export function implementedMeasures(expected: Record<string, number>): [string, string][] {
  const out: [string, string][] = [];
  for (const trec of Object.keys(expected)) {
    const ours = harnessName(trec);
    if (ours) out.push([trec, ours]);
  }
  return out;
}
