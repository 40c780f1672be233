/**
 * Prompts of the pointwise LLM reranker and the strict reading of its answers.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_SYSTEM_PROMPT =
  'You are a search relevance judge. Rate how relevant a document is to a search query on an integer scale ' +
  'from {min} (not relevant at all) to {max} (perfectly relevant: it answers the query). ' +
  'Answer with the number only: no words, no explanation.';

export const DEFAULT_USER_TEMPLATE = 'Query: {query}\n\nDocument: {document}\n\nRelevance ({min}-{max}):';

/** Appended to the user prompt when the first answer could not be read. */
export const REMINDER = 'Reply with a single number from {min} to {max} and nothing else.';

const PLACEHOLDER = /\{(query|document|min|max)\}/g;

/** Placeholders a user template must contain. */
export const REQUIRED_PLACEHOLDERS = ['{query}', '{document}'] as const;

export function missingPlaceholders(template: string): string[] {
  return REQUIRED_PLACEHOLDERS.filter((p) => !template.includes(p));
}

/**
 * Fills `{query}`, `{document}`, `{min}`, `{max}` in one pass, so that a document containing the text
 * `{query}` is not itself substituted.
 */
export function render(template: string, v: { query: string; document: string; min: number; max: number }): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    switch (name) {
      case 'query':
        return v.query;
      case 'document':
        return v.document;
      case 'min':
        return String(v.min);
      default:
        return String(v.max);
    }
  });
}

const NUMBER = /^\s*(-?(?:\d+(?:\.\d+)?|\.\d+))\s*$/;

/**
 * The answer as a score: a single integer or decimal number (optional minus sign, surrounding whitespace
 * allowed) within [min, max]. Anything else (`Relevance: 2`, `high`, `2/3`, `2.`, `1e0`, out of range, empty)
 * is unparsable: undefined.
 */
export function parseAnswer(answer: string, min: number, max: number): number | undefined {
  const m = NUMBER.exec(answer);
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) && v >= min && v <= max ? v : undefined;
}

/** sha256 of the prompts (templates before filling, and the reminder): the identity of a prompt setup. */
export function promptHash(system: string, user: string): string {
  return createHash('sha256').update(system).update('\u0000').update(user).update('\u0000').update(REMINDER).digest('hex');
}
