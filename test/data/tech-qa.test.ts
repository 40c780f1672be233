/**
 * Structural guarantees of the bundled tech-qa collection (datasets/tech-qa), checked on the files
 * themselves with node:fs so that they hold independently of rbench's BEIR loader.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';

const DIR = path.join(packageRoot(), 'datasets', 'tech-qa');
const FILES = ['corpus.jsonl', 'queries.jsonl', path.join('qrels', 'test.tsv'), 'README.md'] as const;

interface Passage {
  _id: string;
  title: string;
  text: string;
}
interface QueryRecord {
  _id: string;
  text: string;
}
interface Judgment {
  qid: string;
  docid: string;
  grade: number;
  line: number;
}

/** Decodes a file as strict UTF-8 (throws on invalid bytes). */
function readUtf8(rel: string): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path.join(DIR, rel)));
}

/** The lines of a LF-terminated file, without the final empty string after the last LF. */
function lines(rel: string): string[] {
  const all = readUtf8(rel).split('\n');
  if (all.at(-1) !== '') throw new Error(`${rel} must end with a newline`);
  return all.slice(0, -1);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parsePassage(line: string, n: number): Passage {
  const v: unknown = JSON.parse(line);
  if (!isRecord(v)) throw new Error(`corpus.jsonl:${n}: not a JSON object`);
  const keys = Object.keys(v).sort();
  if (keys.join(',') !== '_id,text,title') throw new Error(`corpus.jsonl:${n}: keys ${keys.join(',')}`);
  const { _id, title, text } = v;
  if (typeof _id !== 'string' || typeof title !== 'string' || typeof text !== 'string') {
    throw new Error(`corpus.jsonl:${n}: _id, title and text must be strings`);
  }
  return { _id, title, text };
}

function parseQuery(line: string, n: number): QueryRecord {
  const v: unknown = JSON.parse(line);
  if (!isRecord(v)) throw new Error(`queries.jsonl:${n}: not a JSON object`);
  const keys = Object.keys(v).sort();
  if (keys.join(',') !== '_id,text') throw new Error(`queries.jsonl:${n}: keys ${keys.join(',')}`);
  const { _id, text } = v;
  if (typeof _id !== 'string' || typeof text !== 'string') throw new Error(`queries.jsonl:${n}: _id and text must be strings`);
  return { _id, text };
}

const corpusLines = lines('corpus.jsonl');
const corpus = corpusLines.map((l, i) => parsePassage(l, i + 1));
const queries = lines('queries.jsonl').map((l, i) => parseQuery(l, i + 1));
const qrelsLines = lines(path.join('qrels', 'test.tsv'));
const judgments: Judgment[] = qrelsLines.slice(1).map((l, i) => {
  const fields = l.split('\t');
  if (fields.length !== 3) throw new Error(`qrels/test.tsv:${i + 2}: expected 3 tab-separated fields`);
  const [qid, docid, score] = fields as [string, string, string];
  return { qid, docid, grade: /^-?\d+$/.test(score) ? Number(score) : Number.NaN, line: i + 2 };
});
const docIds = new Set(corpus.map((d) => d._id));
const queryIds = new Set(queries.map((q) => q._id));
const byQuery = new Map<string, Judgment[]>();
for (const j of judgments) byQuery.set(j.qid, [...(byQuery.get(j.qid) ?? []), j]);

describe('tech-qa bundled collection', () => {
  it('is plain UTF-8 with LF line endings and no blank lines', () => {
    for (const rel of FILES) {
      const text = readUtf8(rel);
      expect(text.includes('\r'), `${rel} contains CR`).toBe(false);
      expect(text.charCodeAt(0), `${rel} starts with a BOM`).not.toBe(0xfeff);
      expect(text.endsWith('\n'), `${rel} must end with LF`).toBe(true);
    }
    for (const rel of ['corpus.jsonl', 'queries.jsonl', path.join('qrels', 'test.tsv')]) {
      expect(lines(rel).filter((l) => l.trim() === '').length, `${rel} has blank lines`).toBe(0);
    }
  });

  it('has at least 260 passages of 40 to 160 words with unique ids and non-empty titles', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(260);
    expect(docIds.size).toBe(corpus.length);
    for (const d of corpus) {
      expect(d._id).toMatch(/^tq-[a-z0-9]+-\d{3}$/);
      expect(d.title.trim().length, d._id).toBeGreaterThan(0);
      const words = d.text.split(/\s+/).filter(Boolean).length;
      expect(words, `${d._id} has ${words} words`).toBeGreaterThanOrEqual(40);
      expect(words, `${d._id} has ${words} words`).toBeLessThanOrEqual(160);
    }
  });

  it('has at least 60 non-empty queries with unique ids', () => {
    expect(queries.length).toBeGreaterThanOrEqual(60);
    expect(queryIds.size).toBe(queries.length);
    for (const q of queries) expect(q.text.trim().length, q._id).toBeGreaterThan(0);
  });

  it('has the BEIR qrels header and integer grades 0..3, each (query, passage) judged once', () => {
    expect(qrelsLines[0]).toBe('query-id\tcorpus-id\tscore');
    const seen = new Set<string>();
    for (const j of judgments) {
      expect(Number.isInteger(j.grade), `line ${j.line}`).toBe(true);
      expect(j.grade, `line ${j.line}`).toBeGreaterThanOrEqual(0);
      expect(j.grade, `line ${j.line}`).toBeLessThanOrEqual(3);
      const key = `${j.qid}\t${j.docid}`;
      expect(seen.has(key), `line ${j.line} repeats ${key}`).toBe(false);
      seen.add(key);
    }
  });

  it('judges only existing queries and passages', () => {
    const missingDocs = judgments.filter((j) => !docIds.has(j.docid)).map((j) => `${j.line}:${j.docid}`);
    const missingQueries = judgments.filter((j) => !queryIds.has(j.qid)).map((j) => `${j.line}:${j.qid}`);
    expect(missingDocs).toEqual([]);
    expect(missingQueries).toEqual([]);
  });

  it('gives every query a passage of grade >= 2 and a judged grade-0 passage', () => {
    const unjudged = queries.filter((q) => !byQuery.has(q._id)).map((q) => q._id);
    expect(unjudged).toEqual([]);
    const noAnswer = queries.filter((q) => !(byQuery.get(q._id) ?? []).some((j) => j.grade >= 2)).map((q) => q._id);
    const noNegative = queries.filter((q) => !(byQuery.get(q._id) ?? []).some((j) => j.grade === 0)).map((q) => q._id);
    expect(noAnswer).toEqual([]);
    expect(noNegative).toEqual([]);
  });

  it('has graded depth: many queries with 2-4 relevant passages at different grades', () => {
    const graded = queries.filter((q) => {
      const positive = (byQuery.get(q._id) ?? []).filter((j) => j.grade > 0);
      return positive.length >= 2 && positive.length <= 4 && new Set(positive.map((j) => j.grade)).size >= 2;
    });
    expect(graded.length).toBeGreaterThanOrEqual(20);
    const grades = new Set(judgments.map((j) => j.grade));
    expect([...grades].sort()).toEqual([0, 1, 2, 3]);
  });

  it('keeps a good share of unjudged distractor passages', () => {
    const judged = new Set(judgments.map((j) => j.docid));
    const distractors = corpus.filter((d) => !judged.has(d._id)).length;
    expect(distractors / corpus.length).toBeGreaterThanOrEqual(0.2);
  });

  it('states its actual counts in README.md', () => {
    const readme = readUtf8('README.md');
    const row = (label: string): number => {
      const m = readme.match(new RegExp(`^\\| ${label.replace(/[()`.]/g, '\\$&')} \\| (\\d+) \\|$`, 'm'));
      if (!m?.[1]) throw new Error(`README.md has no counts row "${label}"`);
      return Number(m[1]);
    };
    expect(row('passages (`corpus.jsonl`)')).toBe(corpus.length);
    expect(row('queries (`queries.jsonl`)')).toBe(queries.length);
    expect(row('judgments (`qrels/test.tsv` rows)')).toBe(judgments.length);
    for (const g of [0, 1, 2, 3]) {
      expect(row(`judgments of grade ${g}`), `grade ${g}`).toBe(judgments.filter((j) => j.grade === g).length);
    }
  });
});
