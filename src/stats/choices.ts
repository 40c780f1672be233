/**
 * The choices and defaults of `rbench compare`, apart from the code so that the CLI can declare its options
 * without loading the statistics (every rbench command loads every command's option table).
 */

/** Paired tests: which p-value `pAdjusted` and `significant` use (both are always reported). */
export const TEST_NAMES = ['randomization', 't'] as const;
export type TestName = (typeof TEST_NAMES)[number];

/** Corrections for multiple comparisons (`corrections.ts`). */
export const CORRECTION_NAMES = ['holm', 'bonferroni', 'bh', 'none'] as const;
export type CorrectionName = (typeof CORRECTION_NAMES)[number];

export const COMPARE_FORMATS = ['table', 'json', 'markdown'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export const COMPARE_DEFAULTS = {
  test: 'randomization',
  correction: 'holm',
  alpha: 0.05,
  /** Monte Carlo sign patterns of the randomization test when it is not exact. */
  permutations: 100_000,
  /** Bootstrap resamples per interval. */
  bootstrap: 10_000,
  seed: 42,
  format: 'table',
} as const satisfies {
  test: TestName;
  correction: CorrectionName;
  alpha: number;
  permutations: number;
  bootstrap: number;
  seed: number;
  format: CompareFormat;
};

/** The settings every paired comparison takes (`rbench compare`, the results-file form, the gate). */
export interface StatisticsOptions {
  test: TestName;
  correction: CorrectionName;
  alpha: number;
  permutations: number;
  bootstrap: number;
  seed: number;
}
