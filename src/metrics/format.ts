/**
 * `rbench eval` output: JSON (the contract of INTERFACE.md), an aligned table for people, or CSV.
 * JSON and CSV carry full-precision doubles; the table shows 4 decimals, as trec_eval prints.
 */
import { compareCodePoints } from '../data/order.js';
import type { EvalResult } from './evaluate.js';
import type { ParsedMetric } from './types.js';

export type EvalFormat = 'json' | 'table' | 'csv';

/** `{queries, metrics, perQuery?}`: `perQuery` only when asked for. */
export function formatJson(result: EvalResult, perQuery: boolean): string {
  const out: Record<string, unknown> = { queries: result.queries, metrics: result.metrics };
  if (perQuery) out.perQuery = result.perQuery;
  return `${JSON.stringify(out, null, 2)}\n`;
}

function shown(value: number, metric: ParsedMetric): string {
  return metric.measure.integer ? String(value) : value.toFixed(4);
}

function queryOrder(result: EvalResult): string[] {
  return Object.keys(result.perQuery).sort(compareCodePoints);
}

function align(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return `${rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n')}\n`;
}

/**
 * Without per-query rows: one line per metric (`metric  value`) and the number of queries. With them:
 * one row per query (trec_eval's order: query ids in byte order) and a final `all` row, one column per metric.
 */
export function formatTable(result: EvalResult, metrics: ParsedMetric[], perQuery: boolean): string {
  if (!perQuery) {
    const rows = [['metric', 'value'], ...metrics.map((m) => [m.key, shown(result.metrics[m.key], m)]), ['queries', String(result.queries)]];
    return align(rows);
  }
  const rows = [['query', ...metrics.map((m) => m.key)]];
  for (const qid of queryOrder(result)) rows.push([qid, ...metrics.map((m) => shown(result.perQuery[qid][m.key], m))]);
  rows.push(['all', ...metrics.map((m) => shown(result.metrics[m.key], m))]);
  return align(rows);
}

/** A header `query,<metrics>`, one row per query when asked, then the `all` row; values at full precision. */
export async function formatCsv(result: EvalResult, metrics: ParsedMetric[], perQuery: boolean): Promise<string> {
  const { default: Papa } = await import('papaparse');
  const data: (string | number)[][] = [];
  if (perQuery) for (const qid of queryOrder(result)) data.push([qid, ...metrics.map((m) => result.perQuery[qid][m.key])]);
  data.push(['all', ...metrics.map((m) => result.metrics[m.key])]);
  return `${Papa.unparse({ fields: ['query', ...metrics.map((m) => m.key)], data }, { newline: '\n' })}\n`;
}
