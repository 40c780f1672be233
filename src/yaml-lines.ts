/**
 * A YAML or JSON document read with its line numbers (YAML is a superset of JSON, so one parser serves both),
 * for files whose problems are reported at `file:line`: experiment configs and gate rules.
 */
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';

export interface LinedDocument {
  /** The document as plain values. */
  raw: unknown;
  /** The line of the deepest node of `p` that exists (a key's own line for keys, the value's otherwise). */
  lineOf(p: readonly PropertyKey[]): number | undefined;
  /** The line where a key of a mapping is written (the value's line can be another for block values). */
  keyLineOf(parent: readonly PropertyKey[], key: string): number | undefined;
}

/** A syntax problem of the text: its line and a message that says to fix it. */
export interface SyntaxProblem {
  line: number;
  key: '';
  message: string;
}

/** Parses `text`; syntax errors come back as problems (every one of them), not thrown. */
export function parseLined(text: string, file: string): LinedDocument | { syntax: SyntaxProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const kind = file.endsWith('.json') ? 'JSON' : 'YAML';
    return { syntax: doc.errors.map((e) => ({ line: lineCounter.linePos(e.pos[0]).line, key: '', message: `invalid ${kind}: ${e.message.split('\n')[0]}. Fix the syntax at that line.` })) };
  }
  const lineOf = (p: readonly PropertyKey[]): number | undefined => {
    for (let n = p.length; n >= 0; n--) {
      const node = doc.getIn(p.slice(0, n) as (string | number)[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const keyLineOf = (parent: readonly PropertyKey[], key: string): number | undefined => {
    const map = doc.getIn(parent as (string | number)[], true);
    const pair = isMap(map) ? map.items.find((it) => isScalar(it.key) && it.key.value === key) : undefined;
    const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
    return range ? lineCounter.linePos(range[0]).line : lineOf([...parent, key]);
  };
  return { raw: doc.toJS(), lineOf, keyLineOf };
}
