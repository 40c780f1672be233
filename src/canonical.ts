/**
 * JSON with object keys sorted at every level, so that equal values always give equal strings (cache keys,
 * model keys). A replacer *array* would not do: JSON.stringify applies it to nested objects too and drops
 * every nested key that is not in it.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
