/**
 * The public BEIR archives: `<base>/<name>.zip`, with the MD5 checksums BEIR publishes in the datasets
 * table of its README (github.com/beir-cellar/beir, "Available Datasets"). Datasets BEIR lists without a
 * public archive (bioasq, signal1m, trec-news, robust04) are not here: they must be built locally.
 */
export const BEIR_DEFAULT_BASE_URL = 'https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/';

export interface BeirArchive {
  /** Archive MD5 as published by BEIR. */
  md5: string;
  /** Splits BEIR lists for it. */
  splits: string[];
  /** Archive SHA-256, where independently recorded. */
  sha256?: string;
  /** Archive size in bytes, where recorded. */
  bytes?: number;
}

export const BEIR_ARCHIVES: Readonly<Record<string, BeirArchive>> = {
  msmarco: { md5: '444067daf65d982533ea17ebd59501e4', splits: ['train', 'dev', 'test'] },
  'trec-covid': { md5: 'ce62140cb23feb9becf6270d0d1fe6d1', splits: ['test'] },
  nfcorpus: { md5: 'a89dba18a62ef92f7d323ec890a0d38d', splits: ['train', 'dev', 'test'] },
  nq: { md5: 'd4d3d2e48787a744b6f6e691ff534307', splits: ['train', 'test'] },
  hotpotqa: { md5: 'f412724f78b0d91183a0e86805e16114', splits: ['train', 'dev', 'test'] },
  fiqa: { md5: '17918ed23cd04fb15047f73e6c3bd9d9', splits: ['train', 'dev', 'test'] },
  arguana: { md5: '8ad3e3c2a5867cdced806d6503f29b99', splits: ['test'] },
  'webis-touche2020': { md5: '46f650ba5a527fc69e0a6521c5a23563', splits: ['test'] },
  cqadupstack: { md5: '4e41456d7df8ee7760a7f866133bda78', splits: ['test'] },
  quora: { md5: '18fb154900ba42a600f84b839c173167', splits: ['dev', 'test'] },
  'dbpedia-entity': { md5: 'c2a39eb420a3164af735795df012ac2c', splits: ['dev', 'test'] },
  scidocs: { md5: '38121350fc3a4d2f48850f6aff52e4a9', splits: ['test'] },
  fever: { md5: '5a818580227bfb4b35bb6fa46d9b6c03', splits: ['train', 'dev', 'test'] },
  'climate-fever': { md5: '8b66f0a9126c521bae2bde127b4dc99d', splits: ['test'] },
  // Size from the shared collection's SOURCE.md (2,816,079 bytes).
  scifact: { md5: '5f7d1de60b170fc8027bb7898e2efca1', splits: ['train', 'test'], bytes: 2816079 },
};

export function isKnownBeirName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BEIR_ARCHIVES, name);
}
