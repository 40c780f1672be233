/**
 * Every shared collection loads with the counts and file checksums its SOURCE.md states
 * (`../shared/datasets/<name>/SOURCE.md`, "BEIR layout" section), and validates clean.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDataset, listDatasets } from '../../src/data/datasets.js';
import { readCorpus } from '../../src/data/corpus.js';
import { validationReport } from '../../src/data/validate.js';
import { describeShared, sharedCollections } from '../helpers/shared.js';


interface Expected {
  docs: number;
  queriesInFile: number;
  /** queries with >= 1 relevant judgment in test.tsv */
  judged: number;
  qrels: number;
  judgedDocs: number;
  /** documents with an empty text but a title */
  titleOnly: number;
  sha256: { corpus: string; queries: string; qrels: string };
}

// Values from each SOURCE.md ("BEIR layout": Files and Counts tables). Every grade there is 1.
const EXPECTED: Record<string, Expected> = {
  adi: {
    docs: 82, queriesInFile: 35, judged: 35, qrels: 170, judgedDocs: 72, titleOnly: 0,
    sha256: {
      corpus: '616380e37cd8f9ed2bc4d65346bbc02386a1e8a9bb48c23b83357f0e5da034ff',
      queries: '1aed4aed61428fac4dd72724b9ff13425c6d4816b5be334b3c9c1c74b5fd2609',
      qrels: 'd77ca74ff56b2b8df44bc8db52f3e6a15ba4bc104d42602552743e229cc14b2e',
    },
  },
  cacm: {
    docs: 3204, queriesInFile: 64, judged: 52, qrels: 796, judgedDocs: 555, titleOnly: 1617,
    sha256: {
      corpus: 'e3e45421df33591bab51af83958541158d2f7e8623bc6d0a3d62a5110baa964e',
      queries: '1db798a7e4260d83c3a62690d95aafa272db8465a3c5a43ffaa9dffc3efb2cfa',
      qrels: '1c571d27089f7b838c03aaf2a9d21a30b1129806580012aa1c523f1c4fa3e8a1',
    },
  },
  cisi: {
    docs: 1460, queriesInFile: 112, judged: 76, qrels: 3114, judgedDocs: 1162, titleOnly: 0,
    sha256: {
      corpus: '15af67e2832c51dcfe40bdcf1cfcccc6925f1d088603818da34db7daa43fbfe7',
      queries: '1180f2441c15efb5b0cbd6246c0c59b3e12b6744af203abf3ea5e44d47616861',
      qrels: '5ff417257cd005a90a06ad42f0468c791fb862f38cd9b53cac9e516ffe675011',
    },
  },
  lisa: {
    docs: 5999, queriesInFile: 35, judged: 35, qrels: 379, judgedDocs: 360, titleOnly: 0,
    sha256: {
      corpus: '276ead694bbf52eaea60d0998cb451960f79ccad2bc92e353a40494d7ef5f730',
      queries: 'fe2f34f028d62e27600b27c051006ff6869fadf04638f3cefd6a4e8d5fff57b2',
      qrels: '6889c5f2c8a1b99e60de88280117d00c9a53b2cb1aebc9d10fa8947eaad2bdfa',
    },
  },
  npl: {
    docs: 11429, queriesInFile: 93, judged: 93, qrels: 2083, judgedDocs: 1735, titleOnly: 0,
    sha256: {
      corpus: '8765e888d0e56da0a9ca70b405afe2757c5fa12c374ef08de8087a0dbb6dfa6f',
      queries: 'a4b1fb21e45553d4c2036c519dd6201d4ca438fa517a64a74ee918fdc6d69860',
      qrels: 'e4ce1335ba4914ea0d574e6a08264e1c2d3677d93acf2ea699cfef31d19cca88',
    },
  },
  scifact: {
    docs: 5183, queriesInFile: 1109, judged: 300, qrels: 339, judgedDocs: 283, titleOnly: 0,
    sha256: {
      corpus: 'fdb9153e212996d9dc6a545b91296c9c1fb8bfe2962a065bdf5c4676685158b9',
      queries: '9db7df096f7414435d52bafcbacf814c30cea50eb565c1e8fa6d11440759bba8',
      qrels: '68c0ac63f1c24b9e8ce497649694f09b2d0850bab7ec2b103cc66996f5f8b3a3',
    },
  },
  time: {
    docs: 423, queriesInFile: 83, judged: 83, qrels: 324, judgedDocs: 176, titleOnly: 0,
    sha256: {
      corpus: '9765480fc28fd06bce8d90a60f5454c856850b885d2c7a281c41d571b7d2c910',
      queries: '554a90fd6aff8df825ba3d502d06603d14a34e9707f4c1ba06f8dd0d5f9da444',
      qrels: 'e3d255f04da0be82d0ae7d02e8efd43ec0d20bfc1a3640fe6fad18d528ebe37e',
    },
  },
};

const collections = sharedCollections(Object.keys(EXPECTED));
const shared = collections.root;

describeShared(collections, 'shared collections', () => {
  it('the registry lists every shared collection with its splits', () => {
    const infos = listDatasets({ sharedDir: shared, bundledDir: path.join(tmpdir(), 'rbench-no-bundled'), cacheDir: path.join(tmpdir(), 'rbench-no-cache') });
    expect(infos.filter((i) => i.source === 'shared').map((i) => i.name).sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(infos.find((i) => i.name === 'scifact')?.splits).toEqual(['test', 'train']);
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`${name}: counts and file checksums match SOURCE.md, and it validates clean`, async () => {
      const ds = await loadDataset({ name }, { sharedDir: shared, bundledDir: path.join(tmpdir(), 'rbench-no-bundled') });
      expect(ds.path).toBe(path.join(shared, name, 'beir'));
      expect(ds.counts).toEqual({
        docs: want.docs,
        queries: want.judged,
        queriesInFile: want.queriesInFile,
        judgedQueries: want.judged,
        queriesWithRelevant: want.judged,
        qrels: want.qrels,
        judgedDocs: want.judgedDocs,
      });
      expect(ds.corpus).toHaveLength(want.docs);
      expect(ds.queries).toHaveLength(want.judged);
      expect(Object.fromEntries(ds.files!.map((f) => [f.role, f.sha256]))).toEqual(want.sha256);
      const grades = new Set([...ds.qrels.values()].flatMap((m) => [...m.values()]));
      expect([...grades]).toEqual([1]);
      const report = validationReport(ds);
      expect(report.errors).toEqual([]);
      expect(report.warnings).toEqual([]);
      expect(report.clean).toBe(true);
      const titleOnly = ds.warnings.find((w) => w.kind === 'title-only-document');
      expect(titleOnly?.count ?? 0).toBe(want.titleOnly);
      const unjudged = ds.warnings.find((w) => w.kind === 'queries-without-judgments');
      expect(unjudged?.count ?? 0).toBe(want.queriesInFile - want.judged);
      expect(ds.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it('scifact train split: 809 judged queries, 919 rows (SOURCE.md)', async () => {
    const ds = await loadDataset({ path: path.join(shared, 'scifact', 'beir'), split: 'train' });
    expect(ds.name).toBe('scifact');
    expect(ds.counts?.judgedQueries).toBe(809);
    expect(ds.counts?.qrels).toBe(919);
    expect(ds.queries).toHaveLength(809);
    expect(ds.files?.[2].sha256).toBe('ac0902d9b1cb717df182aaff1306175877fdb8f55bb5c3e8597ad694fc8e539f');
  });

  describe('gzip-compressed members', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rbench-gz-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('cacm with every member gzipped loads to the same collection', async () => {
      const src = path.join(shared, 'cacm', 'beir');
      mkdirSync(path.join(dir, 'qrels'), { recursive: true });
      for (const f of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv']) {
        writeFileSync(path.join(dir, `${f}.gz`), gzipSync(readFileSync(path.join(src, f))));
      }
      const plain = await loadDataset({ path: src });
      const gz = await loadDataset({ path: dir, name: 'cacm-gz' });
      expect(gz.counts).toEqual(plain.counts);
      expect(gz.corpus).toEqual(plain.corpus);
      expect(gz.queries).toEqual(plain.queries);
      expect(gz.qrels).toEqual(plain.qrels);
      expect(gz.sha256).not.toBe(plain.sha256); // the hash is over the stored (compressed) bytes
      const streamed = [];
      for await (const d of readCorpus(dir)) streamed.push(d);
      expect(streamed).toEqual(plain.corpus);
    });
  });
});
