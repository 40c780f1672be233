/**
 * The Pareto frontier of (cost, value) points: the configurations worth shipping, where nothing else is
 * both at least as cheap and at least as good.
 *
 * Hand-written: it is a dozen lines, and the tie rules below are ours to state (no library states them).
 */

export interface ParetoPoint {
  /** Lower is better (latency in ms). */
  cost: number;
  /** Higher is better (a quality metric). */
  value: number;
}

/**
 * Indices of the non-dominated points, ordered by cost ascending (then value descending, then index).
 *
 * Point p is dominated when some q has q.cost ≤ p.cost and q.value ≥ p.value, with at least one of the two
 * strict. Consequences, which the tests pin down:
 * - equal cost: only the points with the highest value at that cost can be on the frontier;
 * - equal value: only the cheapest points with that value can be on the frontier;
 * - exact duplicates (same cost and same value) do not dominate each other: all of them are kept, or none;
 * - a point with a non-finite cost or value (NaN, ±Infinity: a missing measurement) is never on the frontier
 *   and never dominates anything.
 *
 * One sweep in cost order (O(n log n)): a point is on the frontier iff its value beats every cheaper-or-equal
 * point already seen, or it duplicates exactly the point that set the best value so far.
 */
export function paretoFrontier(points: readonly ParetoPoint[]): number[] {
  const order = points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => Number.isFinite(p.cost) && Number.isFinite(p.value))
    .sort((a, b) => a.p.cost - b.p.cost || b.p.value - a.p.value || a.i - b.i);
  const frontier: number[] = [];
  let best = -Infinity;
  let bestCost = Number.NaN;
  for (const { p, i } of order) {
    if (p.value > best) {
      best = p.value;
      bestCost = p.cost;
      frontier.push(i);
    } else if (p.value === best && p.cost === bestCost) {
      frontier.push(i);
    }
  }
  return frontier;
}
