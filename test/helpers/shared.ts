/**
 * The one place that decides whether the shared collections (`../shared/datasets`, or
 * `$RBENCH_SHARED_DATASETS`; see `sharedDatasetsDir()`) are there for a test.
 *
 * A collection is present when its BEIR folder holds `corpus.jsonl`, `queries.jsonl` and `qrels/test.tsv`
 * (`<root>/<name>/beir/...`); nothing else counts. When some collection a test needs is missing:
 * - with `RBENCH_REQUIRE_SHARED=1` (which `.ci/run` sets), the test is registered as a failing test whose
 *   message names the missing collections and the folder looked in;
 * - otherwise it is registered as a skipped test with that message as its note (`vitest --reporter=verbose`
 *   shows it), and `.ci/run`'s summary counts the skip.
 *
 * Usage: `const shared = sharedCollections(['adi']);` at the top of a file, then `describeShared(shared, ...)`
 * or `itShared(shared, ...)` in place of `describe`/`it`, and `shared.path('adi')` for the BEIR folder.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import { sharedDatasetsDir } from '../../src/paths.js';

/** The environment variable that turns a missing shared collection from a skip into a failure. */
export const REQUIRE_SHARED_ENV = 'RBENCH_REQUIRE_SHARED';

/** The files whose presence makes a collection present, relative to its BEIR folder. */
export const COLLECTION_FILES: readonly string[] = ['corpus.jsonl', 'queries.jsonl', path.join('qrels', 'test.tsv')];

export interface SharedCollections {
  /** The folder looked in (`sharedDatasetsDir()`). */
  readonly root: string;
  /** The collections asked for, in the order given. */
  readonly names: readonly string[];
  /** The ones among them that are not present. */
  readonly missing: readonly string[];
  /** True when every collection asked for is present. */
  readonly present: boolean;
  /** Whether a missing collection fails (RBENCH_REQUIRE_SHARED=1) rather than skips. */
  readonly required: boolean;
  /** What is missing and where it was looked for; empty when everything is present. */
  readonly message: string;
  /** The BEIR folder of a collection asked for (`<root>/<name>/beir`). */
  path(name: string): string;
}

const isFile = (p: string): boolean => existsSync(p) && statSync(p).isFile();

/** Whether the collection `name` under `root` is present: its BEIR folder holds every COLLECTION_FILES entry. */
export function collectionPresent(root: string, name: string): boolean {
  const beir = path.join(root, name, 'beir');
  return COLLECTION_FILES.every((f) => isFile(path.join(beir, f)));
}

/** Whether missing shared collections are failures in this process (`RBENCH_REQUIRE_SHARED=1`). */
export function sharedRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[REQUIRE_SHARED_ENV] === '1';
}

/** Looks the collections up once; `root` defaults to `sharedDatasetsDir()`. */
export function sharedCollections(names: readonly string[], root = sharedDatasetsDir(), env: NodeJS.ProcessEnv = process.env): SharedCollections {
  if (names.length === 0) throw new Error('sharedCollections: name at least one collection');
  const missing = names.filter((n) => !collectionPresent(root, n));
  const required = sharedRequired(env);
  const message =
    missing.length === 0
      ? ''
      : `shared collection${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found under ${root} ` +
        `(a collection needs beir/corpus.jsonl, beir/queries.jsonl and beir/qrels/test.tsv; $RBENCH_SHARED_DATASETS names another folder)` +
        (required ? `; ${REQUIRE_SHARED_ENV}=1 makes this a failure` : `; skipped (${REQUIRE_SHARED_ENV}=1 makes this a failure)`);
  return {
    root,
    names: [...names],
    missing,
    present: missing.length === 0,
    required,
    message,
    path(name: string): string {
      if (!names.includes(name)) throw new Error(`sharedCollections: ${name} was not asked for (asked: ${names.join(', ')})`);
      return path.join(root, name, 'beir');
    },
  };
}

/** The body of a test standing in for ones that cannot run: fails when required, else skips with the message. */
function missingBody(shared: SharedCollections): (ctx: TestContext) => void {
  return (ctx) => {
    if (shared.required) throw new Error(shared.message);
    ctx.skip(shared.message);
  };
}

/**
 * Registers, when a collection is missing, one test titled `title` that fails (required) or is skipped;
 * does nothing when everything is present. For files that fall back to other data without the collections.
 */
export function reportMissing(shared: SharedCollections, title: string): void {
  if (!shared.present) it(title, missingBody(shared));
}

/** `describe(name, fn)` when every collection is present; else a suite holding one failing or skipped test. */
export function describeShared(shared: SharedCollections, name: string, fn: () => void): void {
  if (shared.present) describe(name, fn);
  else describe(name, () => it(`needs the shared collection${shared.missing.length > 1 ? 's' : ''} ${shared.missing.join(', ')}`, missingBody(shared)));
}

/** `it(name, fn, timeout)` when every collection is present; else the same title, failing or skipped. */
export function itShared(shared: SharedCollections, name: string, fn: () => unknown, timeout?: number): void {
  if (shared.present) it(name, fn, timeout);
  else it(name, missingBody(shared));
}
