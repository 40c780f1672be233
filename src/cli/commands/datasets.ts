/**
 * `rbench datasets list|validate|stats|fetch`: dataset discovery, checks and download.
 *
 * - `list`: every dataset the registry resolves by name (bundled, fetched, shared), with its splits and,
 *   when the files are small, line counts.
 * - `validate <name|path> [--split S]`: reads everything, collecting every defect instead of stopping at
 *   the first. Exit 0 when there is no error and no warning (infos such as "queries of other splits" are
 *   normal), 1 when defects were found, 2 when the input cannot be read at all (missing member, not gzip…).
 * - `stats <name|path> [--split S]`: sizes, grade histogram, document/query lengths, judgments per query.
 * - `fetch <beir-name> [--base-url URL] [--sha256 H | --md5 H] [--force]`: download into the cache.
 * - `fetch <owner/name> --hub [--revision R] [--endpoint URL] [--force]`: download a Hugging Face dataset's
 *   MTEB parquet files into `<cache>/datasets/<owner>--<name>` (src/data/hub.ts).
 * `validate` and `stats` take `--subset S` for a multilingual MTEB dataset.
 * `--format json` prints one JSON object instead of the text report.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Argv } from 'yargs';
import { defineCommand } from '../command.js';
import type { ReadWarning } from '../../data/types.js';

type Format = 'table' | 'json';

interface DatasetsArgs {
  action: 'list' | 'validate' | 'stats' | 'fetch';
  target?: string;
  split?: string;
  format: Format;
  cache?: string;
  'base-url'?: string;
  md5?: string;
  sha256?: string;
  force?: boolean;
  hub?: boolean;
  revision?: string;
  endpoint?: string;
  subset?: string;
}

export const datasetsCommand = defineCommand({
  command: 'datasets <action> [target]',
  describe: 'list, validate, describe or download datasets',
  builder: (y: Argv) =>
    y
      .positional('action', { choices: ['list', 'validate', 'stats', 'fetch'] as const, describe: 'what to do', demandOption: true })
      .positional('target', { type: 'string', describe: 'dataset name or folder (validate, stats); BEIR dataset name, or Hugging Face id with --hub (fetch)' })
      .option('split', { type: 'string', describe: 'judgment split (validate, stats)', default: 'test' })
      .option('subset', { type: 'string', describe: 'validate, stats: subset of a multilingual MTEB dataset (reads its <subset>-corpus … configs)' })
      .option('format', { choices: ['table', 'json'] as const, default: 'table' as const, describe: 'output format' })
      .option('cache', { type: 'string', describe: 'cache folder (fetched datasets are in <cache>/datasets); default $RBENCH_CACHE or .rbench-cache' })
      .option('base-url', { type: 'string', describe: 'fetch: where <name>.zip is served (default $RBENCH_BEIR_BASE_URL or BEIR\'s public URL)' })
      .option('md5', { type: 'string', describe: 'fetch: expected MD5 of the archive' })
      .option('sha256', { type: 'string', describe: 'fetch: expected SHA-256 of the archive' })
      .option('force', { type: 'boolean', describe: 'fetch: download again even if present' })
      .option('hub', { type: 'boolean', describe: 'fetch: the target is a Hugging Face dataset id (owner/name); its MTEB parquet files are downloaded' })
      .option('revision', { type: 'string', describe: 'fetch --hub: branch, tag or commit (default main, else the Hub\'s parquet conversion refs/convert/parquet)' })
      .option('endpoint', { type: 'string', describe: 'fetch --hub: Hub or mirror URL (default $HF_ENDPOINT or https://huggingface.co); $HF_TOKEN is sent to it' })
      .conflicts('md5', 'sha256')
      .example('rbench datasets list', '')
      .example('rbench datasets validate ../shared/datasets/scifact/beir --split test', '')
      .example('rbench datasets fetch nfcorpus', '')
      .example('rbench datasets fetch mteb/scifact --hub', 'then `name: mteb--scifact` in a config'),
  handler: async (argv) => runDatasets(argv),
});

async function runDatasets(a: DatasetsArgs): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  const needTarget = (): string => {
    if (!a.target) throw new UsageError(`\`rbench datasets ${a.action}\` needs a dataset: a name (see \`rbench datasets list\`) or a folder.`);
    return a.target;
  };
  switch (a.action) {
    case 'list':
      return list(a);
    case 'validate':
      return validate(needTarget(), a);
    case 'stats':
      return stats(needTarget(), a);
    case 'fetch':
      return fetchCmd(needTarget(), a);
  }
}

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

/** Left-aligned text table; numbers right-aligned. */
function table(rows: (string | number)[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  return rows
    .map((r) => r.map((c, i) => (typeof c === 'number' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel.length < p.length ? rel || '.' : p;
}

function fmtNum(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

async function list(a: DatasetsArgs): Promise<number> {
  const { listDatasets, cheapCounts } = await import('../../data/datasets.js');
  const infos = listDatasets({ cacheDir: a.cache });
  const rows = [];
  for (const info of infos) {
    let counts: Awaited<ReturnType<typeof cheapCounts>>;
    try {
      counts = await cheapCounts(info);
    } catch {
      counts = undefined;
    }
    rows.push({ ...info, counts });
  }
  if (a.format === 'json') {
    out(JSON.stringify({ datasets: rows }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    out('No datasets found. Fetch one (`rbench datasets fetch scifact`) or give a BEIR folder as `path:` in the config.');
    return 0;
  }
  const body: (string | number)[][] = [['name', 'source', 'format', 'docs', 'queries', 'qrels rows by split', 'path']];
  for (const r of rows) {
    const qrels = r.counts ? Object.entries(r.counts.qrels).map(([s, n]) => `${s}: ${n}`).join(', ') : r.splits.join(', ');
    body.push([r.name, r.source, r.format, r.counts ? r.counts.docs : '-', r.counts ? r.counts.queries : '-', qrels || '-', shortPath(r.path)]);
  }
  out(table(body));
  out('(docs, queries and qrels are non-blank line counts, shown for files under 64 MiB, or the row counts of parquet files; `rbench datasets stats NAME` gives exact figures)');
  return 0;
}

function printFindings(title: string, mark: string, ws: ReadWarning[], root: string): void {
  if (ws.length === 0) return;
  out(`${title}:`);
  for (const w of ws) {
    out(`  ${mark} ${path.relative(root, w.file) || w.file}: ${w.message}`);
    if (w.examples?.length) out(`      e.g. ${w.examples.join('; ')}`);
  }
}

async function validate(target: string, a: DatasetsArgs): Promise<number> {
  const { loadDataset } = await import('../../data/datasets.js');
  const { validationReport, formatGrades } = await import('../../data/validate.js');
  const ds = await loadDataset(await spec(target, a), { cacheDir: a.cache, mode: 'collect', keepMetadata: false });
  const report = validationReport(ds);
  const code = report.clean ? 0 : 1;
  if (a.format === 'json') {
    out(JSON.stringify({ dataset: ds.name, split: ds.split, path: ds.path, sha256: ds.sha256, counts: ds.counts, ...report, exitCode: code }, null, 2));
    return code;
  }
  const c = ds.counts!;
  out(`${ds.name} (split ${ds.split}, ${ds.format}) at ${shortPath(ds.path)}`);
  out(`  ${c.docs} documents; ${c.queries} queries in the split (of ${c.queriesInFile} in the queries file); ${c.judgedQueries} judged queries, ${c.queriesWithRelevant} with a relevant document; ${c.qrels} judgments over ${c.judgedDocs} documents`);
  out(`  grades: ${formatGrades(report.grades) || 'none'}`);
  out(`  sha256 ${ds.sha256}`);
  printFindings(`errors (lines skipped; loading for a run stops at the first)`, 'x', report.errors, ds.path);
  printFindings('warnings (worked around, but worth fixing)', '!', report.warnings, ds.path);
  printFindings('notes (normal for this kind of data)', 'i', report.infos, ds.path);
  out(
    report.clean
      ? 'verdict: clean (no errors, no warnings)'
      : `verdict: ${report.errors.length} kinds of error, ${report.warnings.length} kinds of warning (exit 1)`,
  );
  return code;
}

/** A folder when it exists here, or has a slash or starts with a dot and is not a Hub id (owner/name); else a name. */
async function spec(target: string, a: DatasetsArgs): Promise<{ name?: string; path?: string; split: string; subset?: string }> {
  const { isHubId } = await import('../../data/datasets.js');
  const isPath = existsSync(target) || ((target.includes('/') || target.includes(path.sep) || target.startsWith('.')) && !isHubId(target));
  const subset = a.subset !== undefined ? { subset: a.subset } : {};
  return isPath ? { path: target, split: a.split ?? 'test', ...subset } : { name: target, split: a.split ?? 'test', ...subset };
}

async function stats(target: string, a: DatasetsArgs): Promise<number> {
  const { loadDataset } = await import('../../data/datasets.js');
  const { datasetStats, formatGrades } = await import('../../data/validate.js');
  const ds = await loadDataset(await spec(target, a), { cacheDir: a.cache, keepMetadata: false });
  const s = datasetStats(ds);
  if (a.format === 'json') {
    out(JSON.stringify(s, null, 2));
    return 0;
  }
  const dist = (d: { mean: number; median: number; min: number; max: number }): string => `mean ${fmtNum(d.mean)}, median ${fmtNum(d.median)}, min ${d.min}, max ${d.max}`;
  out(`${s.name} (split ${s.split}) at ${shortPath(s.path)}`);
  out(
    table([
      ['documents', String(s.docs)],
      ['queries in the split', String(s.queries)],
      ['queries in the queries file', String(s.queriesInFile)],
      ['judged queries', String(s.judgedQueries)],
      ['queries with a relevant document', String(s.queriesWithRelevant)],
      ['judgments (qrels rows)', String(s.qrels)],
      ['judged documents', String(s.judgedDocs)],
      ['grades', formatGrades(s.grades)],
      ['document length, words', dist(s.docWords)],
      ['query length, words', dist(s.queryWords)],
      ['judgments per query', dist(s.judgmentsPerQuery)],
      ['relevant per query', dist(s.relevantPerQuery)],
      ['sha256', s.sha256 ?? '-'],
    ]),
  );
  const notable = ds.warnings.filter((w) => w.severity !== 'info');
  if (notable.length > 0) out(`${notable.length} kinds of warning: run \`rbench datasets validate\` for details.`);
  return 0;
}

async function fetchCmd(name: string, a: DatasetsArgs): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  if (a.hub) return fetchHub(name, a);
  const hubOnly = (['revision', 'endpoint'] as const).filter((k) => a[k] !== undefined);
  if (hubOnly.length > 0) throw new UsageError(`--${hubOnly[0]} applies to Hugging Face datasets: add --hub.`);
  if (name.includes('/')) {
    throw new UsageError(`${name} is not a BEIR dataset name; it looks like a Hugging Face dataset id.`, { hint: `Add --hub: \`rbench datasets fetch ${name} --hub\`.` });
  }
  const { fetchBeirDataset } = await import('../../data/fetch.js');
  const tty = process.stderr.isTTY === true;
  let lastShown = -1;
  const res = await fetchBeirDataset(name, {
    baseUrl: a['base-url'],
    md5: a.md5,
    sha256: a.sha256,
    force: a.force,
    cacheDir: a.cache,
    log: (line) => out(line),
    onProgress: tty
      ? (bytes, total) => {
          const pct = total ? Math.floor((100 * bytes) / total) : -1;
          if (pct !== lastShown) {
            lastShown = pct;
            process.stderr.write(`\r${(bytes / 1048576).toFixed(1)} MiB${total ? ` of ${(total / 1048576).toFixed(1)} MiB (${pct}%)` : ''}   `);
          }
        }
      : undefined,
  });
  if (tty) process.stderr.write('\n');
  if (a.format === 'json') {
    out(JSON.stringify(res, null, 2));
    return 0;
  }
  if (res.alreadyPresent) {
    out(`${name} is already in ${shortPath(res.folder)} (fetched ${res.record.fetchedAt} from ${res.record.url}); --force downloads it again.`);
    return 0;
  }
  const how = { sha256: 'sha256 as given', md5: 'md5 as given', 'published-md5': 'md5 published by BEIR', unverified: 'NOT verified', 'already-present': '' }[res.verified];
  out(`${name}: ${res.record.bytes} bytes, ${how}; installed in ${shortPath(res.folder)}`);
  out(`  sha256 ${res.record.sha256}  md5 ${res.record.md5}`);
  if (res.beirFolders.length === 1 && res.beirFolders[0] === '.') out(`  use it as \`- name: ${name}\` in a config, or \`rbench datasets stats ${name}\``);
  else out(`  it holds ${res.beirFolders.length} BEIR folders: use \`- path: ${shortPath(path.join(res.folder, res.beirFolders[0]))}\` (and the others) in a config`);
  return 0;
}

async function fetchHub(id: string, a: DatasetsArgs): Promise<number> {
  const { UsageError } = await import('../../errors.js');
  const beirOnly = (['base-url', 'md5', 'sha256'] as const).filter((k) => a[k] !== undefined);
  if (beirOnly.length > 0) throw new UsageError(`--${beirOnly[0]} applies to BEIR archives, not to --hub (the Hub's file list gives each file's sha256).`);
  const { fetchHubDataset } = await import('../../data/hub.js');
  const tty = process.stderr.isTTY === true;
  let shown = '';
  const res = await fetchHubDataset(id, {
    revision: a.revision,
    endpoint: a.endpoint,
    force: a.force,
    cacheDir: a.cache,
    log: (line) => {
      if (tty && shown) process.stderr.write('\n');
      shown = '';
      out(line);
    },
    onProgress: tty
      ? (file, bytes, total) => {
          const line = `\r${file}: ${(bytes / 1048576).toFixed(1)} MiB${total ? ` of ${(total / 1048576).toFixed(1)} MiB` : ''}   `;
          if (line !== shown) process.stderr.write(line);
          shown = line;
        }
      : undefined,
  });
  if (tty && shown) process.stderr.write('\n');
  if (a.format === 'json') {
    out(JSON.stringify(res, null, 2));
    return 0;
  }
  const hub = res.record.hub!;
  const at = `revision ${hub.revision}${hub.commit ? ` (commit ${hub.commit.slice(0, 12)})` : ''}`;
  if (res.alreadyPresent) {
    out(`${id} is already in ${shortPath(res.folder)} (${at}, fetched ${res.record.fetchedAt}); --force downloads it again.`);
  } else {
    out(`${id}: ${res.files.length} parquet files, ${res.record.bytes} bytes, each checked against the sha256 of the Hub's file list; ${at}; installed in ${shortPath(res.folder)}`);
  }
  out(`  use it as \`- name: ${res.name}\` in a config (or \`name: ${id}\`), or \`rbench datasets stats ${res.name}\``);
  return 0;
}
