/**
 * The measure registry, in the manner of ir_measures: each measure is one declaration (`measures/*.ts`)
 * and everything else (parsing `--metrics`, labels, the README table, error messages listing the valid
 * names) is derived from the declarations. Adding a measure is adding a declaration here.
 */
import { UsageError } from '../errors.js';
import { apMeasures } from './measures/ap.js';
import { countMeasures } from './measures/counts.js';
import { incompleteMeasures } from './measures/incomplete.js';
import { ndcgMeasures } from './measures/ndcg.js';
import { rrMeasures } from './measures/rr.js';
import { setMeasures } from './measures/set.js';
import type { MeasureDecl, ParsedMetric } from './types.js';

/** Every measure, in the order of the README table. */
export const MEASURES: readonly MeasureDecl[] = [
  ...ndcgMeasures,
  ...rrMeasures,
  ...apMeasures,
  ...setMeasures,
  ...incompleteMeasures,
  ...countMeasures,
];

export { DEFAULT_METRICS } from './defaults.js';

interface Form {
  /** For a cutoff form, the text before the cutoff (`ndcg@`); otherwise the whole name. */
  text: string;
  cutoff: boolean;
  measure: MeasureDecl;
}

function isCutoffForm(form: string): boolean {
  return form.endsWith('@k') || form.endsWith('_k');
}

const FORMS: Form[] = [];
for (const m of MEASURES) {
  const cutoff = isCutoffForm(m.name);
  for (const f of [m.name, ...m.aliases]) {
    if (isCutoffForm(f) !== cutoff) throw new Error(`measure ${m.name}: alias ${f} disagrees on the cutoff`);
    FORMS.push({ text: cutoff ? f.slice(0, -1) : f, cutoff, measure: m });
  }
}

function match(name: string, fold: boolean): { form: Form; k: number } | undefined {
  const n = fold ? name.toLowerCase() : name;
  for (const form of FORMS) {
    const text = fold ? form.text.toLowerCase() : form.text;
    if (!form.cutoff) {
      if (n === text) return { form, k: Infinity };
    } else if (n.startsWith(text)) {
      const rest = n.slice(text.length);
      if (/^[0-9]+$/.test(rest) && Number(rest) >= 1 && Number.isSafeInteger(Number(rest))) return { form, k: Number(rest) };
    }
  }
  return undefined;
}

/** A cutoff form followed by something that is not a positive integer (`ndcg@0`, `P_2.5`). */
function badCutoff(name: string): string | undefined {
  const n = name.toLowerCase();
  for (const form of FORMS) {
    const text = form.text.toLowerCase();
    if (form.cutoff && n.startsWith(text) && n.length > text.length && /^[0-9.eE+-]+$/.test(n.slice(text.length))) return name.slice(text.length);
  }
  return undefined;
}

/** Names a user may write, for messages: `ndcg@k, ndcg, …`. */
export function validMetricNames(): string {
  return MEASURES.map((m) => m.name).join(', ');
}

function metricError(message: string): UsageError {
  const trecNames = MEASURES.flatMap((m) => (m.trecEval !== null && m.aliases.includes(m.trecEval) ? [m.trecEval] : [])).join(', ');
  return new UsageError(message, {
    hint: `Valid metrics: ${validMetricNames()} (k is a positive integer cutoff, e.g. ndcg@10, recall@100); trec_eval names are accepted too: ${trecNames}.`,
  });
}

/**
 * Resolves metric names (an array, or one comma-separated string) against the registry. Accepted: the
 * harness names (`ndcg@10`, `mrr`, `recall@100`), trec_eval's (`ndcg_cut_10`, `P_5`, `recip_rank`,
 * `Rprec`, `success_1`, `recall_100`, `map_cut_10`) and ir_measures' (`nDCG@10`, `P@5`, `R@100`, `RR@10`,
 * `AP`); letter case is ignored when the exact spelling is not found. Each result keeps the spelling
 * the user wrote as its key; a name given twice is kept once. Throws a UsageError listing the valid
 * names for an unknown name, a missing or zero cutoff, or an empty list.
 */
export function parseMetrics(list: string[] | string): ParsedMetric[] {
  const names = (typeof list === 'string' ? list.split(',') : list.flatMap((s) => s.split(','))).map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.length === 0) throw metricError('no metric given.');
  const out: ParsedMetric[] = [];
  const keys = new Set<string>();
  for (const name of names) {
    if (keys.has(name)) continue;
    const hit = match(name, false) ?? match(name, true);
    if (!hit) {
      const bad = badCutoff(name);
      if (bad !== undefined) throw metricError(`the cutoff of "${name}" must be a positive integer (got "${bad}").`);
      const lower = name.toLowerCase();
      const needsCutoff = FORMS.find((f) => f.cutoff && (f.text.toLowerCase() === lower || f.text.slice(0, -1).toLowerCase() === lower));
      if (needsCutoff) throw metricError(`the metric "${name}" needs a cutoff: write ${needsCutoff.text}10 (or another positive integer).`);
      throw metricError(`unknown metric "${name}".`);
    }
    keys.add(name);
    const m = hit.form.measure;
    const label = Number.isFinite(hit.k) ? m.label.replace(/k$/, String(hit.k)) : m.label;
    out.push({ key: name, measure: m, k: hit.k, label });
  }
  return out;
}

/** The trec_eval name of a parsed metric with its cutoff filled in (`ndcg_cut_10`), or null. */
export function trecEvalName(p: ParsedMetric): string | null {
  const t = p.measure.trecEval;
  if (t === null) return null;
  return Number.isFinite(p.k) ? t.replace(/(_|-M )k(?=\)|$)/g, `$1${p.k}`) : t;
}

/** The markdown table of every measure, for the README (generated, so it cannot drift from the code). */
export function measuresMarkdownTable(): string {
  const rows = MEASURES.map((m) => {
    const aliases = m.aliases.map((a) => `\`${a}\``).join(', ');
    const te = m.trecEval === null ? 'none' : `\`${m.trecEval}\``;
    const agg = m.aggregate === 'sum' ? ' Summed over queries.' : '';
    return `| \`${m.name}\` | ${te} | ${aliases} | ${m.description}${agg} |`;
  });
  return ['| measure | trec_eval | also accepted | definition |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
