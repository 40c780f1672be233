/**
 * Errors the user can act on. Every module throws `UsageError` (exit code 2) for bad input: a file, a line,
 * a config key or a model that is not there. The CLI prints `message` as one paragraph, no stack trace
 * (unless --verbose), and exits with `exitCode`. Anything else that escapes is a bug and is reported as such.
 */
export interface ErrorLocation {
  /** File the problem is in. */
  file?: string;
  /** 1-based line number in that file. */
  line?: number;
  /** Config key path such as `retrievers[1].hnsw.efSearch`. */
  key?: string;
}

export class UsageError extends Error {
  readonly exitCode: number = 2;
  readonly location: ErrorLocation;
  /** What the user should do about it (appended to the message). */
  readonly hint: string | undefined;

  constructor(message: string, opts: ErrorLocation & { hint?: string; cause?: unknown } = {}) {
    super(UsageError.compose(message, opts), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UsageError';
    this.location = { file: opts.file, line: opts.line, key: opts.key };
    this.hint = opts.hint;
  }

  private static compose(message: string, opts: ErrorLocation & { hint?: string }): string {
    const where: string[] = [];
    if (opts.file !== undefined) where.push(opts.line !== undefined ? `${opts.file}:${opts.line}` : opts.file);
    if (opts.key !== undefined) where.push(`config key \`${opts.key}\``);
    let text = where.length > 0 ? `${where.join(', ')}: ${message}` : message;
    if (opts.hint) text += ` ${opts.hint}`;
    return text;
  }
}
