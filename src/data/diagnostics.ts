/**
 * What the readers found wrong or worth knowing, counted per (file, kind) with a few examples, never
 * dropped silently. Two modes:
 * - `strict` (loading for an experiment): a line-level defect throws a UsageError naming the file and
 *   line, what is wrong and what to do, at the first occurrence;
 * - `collect` (`rbench datasets validate`): every defect is counted, the offending line is skipped, and
 *   reading goes on, so one pass lists all of them.
 * Warnings (a defect worked around, e.g. a repeated document id whose first occurrence was kept) and
 * infos (normal facts, e.g. queries of other splits) are counted in both modes.
 */
import { UsageError } from '../errors.js';
import type { ReadWarning } from './types.js';

export type Severity = 'error' | 'warning' | 'info';
export type DiagnosticsMode = 'strict' | 'collect';

interface Entry {
  file: string;
  kind: string;
  severity: Severity;
  /** Plural noun phrase completed by the count: `${count} ${summary}`. */
  summary: string;
  count: number;
  examples: string[];
}

export class Diagnostics {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly mode: DiagnosticsMode = 'strict',
    readonly maxExamples = 5,
  ) {}

  /**
   * A defect on one line that makes the line unusable. Strict mode throws
   * `file:line: problem hint`; collect mode counts it and the caller skips the line.
   */
  defect(kind: string, file: string, line: number, problem: string, hint: string, summary: string): void {
    if (this.mode === 'strict') throw new UsageError(problem, { file, line, hint });
    this.add('error', kind, file, summary, `line ${line}: ${problem}`);
  }

  /** A defect that was worked around; counted in both modes. */
  warn(kind: string, file: string, summary: string, examples?: string | string[], count = 1): void {
    this.add('warning', kind, file, summary, examples, count);
  }

  /** A fact worth reporting that is not a defect. */
  info(kind: string, file: string, summary: string, examples?: string | string[], count = 1): void {
    this.add('info', kind, file, summary, examples, count);
  }

  /** Counts `count` occurrences of (file, kind) and keeps the first few examples. */
  add(severity: Severity, kind: string, file: string, summary: string, examples?: string | string[], count = 1): void {
    if (count <= 0) return;
    const key = `${file}\u0000${kind}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { file, kind, severity, summary, count: 0, examples: [] };
      this.entries.set(key, e);
    }
    e.count += count;
    for (const ex of examples === undefined ? [] : Array.isArray(examples) ? examples : [examples]) {
      if (e.examples.length >= this.maxExamples) break;
      e.examples.push(ex);
    }
  }

  count(kind: string, file?: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.kind === kind && (file === undefined || e.file === file)) n += e.count;
    return n;
  }

  /** Line-level defects recorded for `file` (collect mode). */
  errorCount(file: string): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.severity === 'error' && e.file === file) n += e.count;
    return n;
  }

  /** Whether any error or warning was recorded (infos are not defects). */
  hasDefects(): boolean {
    for (const e of this.entries.values()) if (e.severity !== 'info') return true;
    return false;
  }

  /** Everything recorded, errors first, then warnings, then infos, each in the order first seen. */
  toWarnings(): ReadWarning[] {
    const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
    return [...this.entries.values()]
      .map((e, i) => ({ e, i }))
      .sort((a, b) => rank[a.e.severity] - rank[b.e.severity] || a.i - b.i)
      .map(({ e }) => ({
        file: e.file,
        kind: e.kind,
        severity: e.severity,
        count: e.count,
        message: `${e.count} ${e.summary}`,
        ...(e.examples.length > 0 ? { examples: [...e.examples] } : {}),
      }));
  }
}
