/** `rbench eval`'s default `--metrics` (INTERFACE.md). Kept apart so the CLI can show it without loading the measures. */
export const DEFAULT_METRICS: readonly string[] = ['ndcg@10', 'mrr@10', 'map', 'recall@100', 'precision@10'];
