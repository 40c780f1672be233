import { NONPOOL, UNJUDGED, type MeasureDecl, type RankedQuery } from '../types.js';

/**
 * bpref (Buckley & Voorhees, SIGIR 2004), exactly as trec_eval computes it:
 *
 *   bpref = (1/R) · Σ_{relevant retrieved r} (1 − min(N_r, R) / min(N, R))
 *
 * N is the number of judged non-relevant documents of the query (0 ≤ grade < L); N_r the number of
 * judged non-relevant documents ranked above r. Documents absent from the qrels and negative grades are
 * skipped (neither relevant nor non-relevant). A term is 1 when N_r = 0 (this also covers N = 0).
 * 0 when R = 0.
 */
export function bpref(q: RankedQuery): number {
  const R = q.topic.numRel;
  const N = q.topic.numNonrel;
  const rel = q.rel;
  const level = q.level;
  let nonrelSoFar = 0;
  let sum = 0;
  for (let i = 0; i < q.numRet; i++) {
    const g = rel[i];
    if (g === NONPOOL || g === UNJUDGED) continue;
    if (g < level) nonrelSoFar++;
    else sum += nonrelSoFar > 0 ? 1 - Math.min(nonrelSoFar, R) / Math.min(N, R) : 1;
  }
  return R > 0 ? sum / R : 0;
}

/**
 * infAP (Yilmaz & Aslam, CIKM 2006), trec_eval's `infAP`. Walk down the ranking; documents absent from
 * the qrels are skipped but keep their positions. For a relevant document at 0-based position j, with
 * rel, nonrel and unj the relevant, judged non-relevant and negative-grade documents above it:
 *
 *   contribution = 1                                                       if j = 0
 *                = 1/(j+1) + (j/(j+1)) · ((rel+nonrel+unj)/j) · ((rel+ε)/(rel+nonrel+2ε))   otherwise
 *
 * with ε = 1e-5. infAP = Σ contributions / R (0 when R = 0). With complete judgments it equals AP.
 */
export function infAP(q: RankedQuery): number {
  const EPS = 0.00001;
  const R = q.topic.numRel;
  const rel = q.rel;
  const level = q.level;
  let nonrelSoFar = 0;
  let relSoFar = 0;
  let unjSoFar = 0;
  let sum = 0;
  for (let j = 0; j < q.numRet; j++) {
    const g = rel[j];
    if (g === NONPOOL) continue;
    if (g === UNJUDGED) {
      unjSoFar++;
      continue;
    }
    if (g < level) {
      nonrelSoFar++;
      continue;
    }
    relSoFar++;
    if (j === 0) {
      sum += 1;
    } else {
      const fj = j;
      const above = relSoFar - 1;
      sum += 1 / (fj + 1) + (fj / (fj + 1)) * ((above + nonrelSoFar + unjSoFar) / fj) * ((above + EPS) / (above + nonrelSoFar + 2 * EPS));
    }
  }
  return R > 0 ? sum / R : 0;
}

export const incompleteMeasures: MeasureDecl[] = [
  {
    name: 'bpref',
    label: 'bpref',
    trecEval: 'bpref',
    aliases: ['Bpref'],
    description: 'Binary preference: how often relevant documents are ranked above judged non-relevant ones; ignores unjudged documents.',
    aggregate: 'mean',
    compute: (q) => bpref(q),
  },
  {
    name: 'infAP',
    label: 'infAP',
    trecEval: 'infAP',
    aliases: ['infap'],
    description: 'Inferred average precision for sampled judgments (negative grades = pooled but not judged).',
    aggregate: 'mean',
    compute: (q) => infAP(q),
  },
];
