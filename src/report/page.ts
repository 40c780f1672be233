/**
 * The report page: one self-contained HTML document. Everything is readable without JavaScript: each chart
 * is a static SVG rendered by Vega on the server, tables are plain HTML. With JavaScript, the inlined
 * vega / vega-lite / vega-embed replace each static chart with the interactive one built from the same spec
 * (tooltips, zoom on the quality/latency chart) and make the tables sortable; if that fails the static
 * chart stays. Per-query values are never put in the page.
 */
import YAML from 'yaml';
import type { ReportResults, ReportRow } from './input.js';
import { fmtDate, fmtDuration, fmtInt, fmtScore, fmtSig, html, Html, inlineScript, jsonForScript, numCell, trusted } from './html.js';
import { isStandIn, retrieverLabel, type MetricInfo } from './select.js';
import { STAND_IN_TITLE } from './specs.js';
import { allCharts, type ChartDef, type DatasetView } from './view.js';

export interface InlineLibrary {
  name: string;
  version: string;
  code: string;
}

export interface PageInput {
  results: ReportResults;
  views: readonly DatasetView[];
  /** Static SVG of each chart, by chart id. */
  svgs: ReadonlyMap<string, string>;
  /** vega, vega-lite, vega-embed, in load order. */
  libraries: readonly InlineLibrary[];
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

const CSS = `
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#dadce0;--bg-soft:#f6f8fa;--best:#e3f3e6;--warn:#fff4e5}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);margin:0;padding:0 24px 48px;max-width:1280px}
header{padding:24px 0 8px;border-bottom:1px solid var(--line)}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:40px 0 8px;padding-top:8px;border-top:2px solid var(--fg)}
h3{font-size:16px;margin:28px 0 8px}
.kicker{color:var(--muted);text-transform:uppercase;letter-spacing:.06em;font-size:12px;margin:0}
.muted,.note{color:var(--muted)}.note{font-size:13px;margin:4px 0 12px}
nav{margin:12px 0;font-size:13px}nav a{margin-right:14px}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:3px 10px 3px 6px;text-align:left;vertical-align:top}
th{background:var(--bg-soft);font-weight:600;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.missing{color:var(--muted)}
td.best{background:var(--best);font-weight:700}
table.kv th{position:static;width:13em}
.scroll{overflow-x:auto;max-height:80vh;overflow-y:auto;border:1px solid var(--line)}
.scroll table{margin:0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:0 32px}
.badge{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:var(--warn);border:1px solid #f0c36d;white-space:nowrap}
.callout{background:var(--bg-soft);border-left:4px solid var(--fg);padding:8px 12px;margin:12px 0}
.standin-section{border:1px dashed #f0c36d;background:#fffdf8;padding:4px 16px 8px;margin-top:24px}
figure.chart{margin:8px 0 12px;overflow-x:auto}
figure.chart .static svg{max-width:100%;height:auto}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}
pre{background:var(--bg-soft);padding:8px 12px;overflow-x:auto;font-size:12px}
dl.conventions dt{font-weight:600}dl.conventions dd{margin:0 0 6px 16px}
th[data-sort]{cursor:pointer}th[data-sort]:after{content:" \\2195";color:var(--muted);font-weight:400}
footer{margin-top:48px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
@media print{.scroll{max-height:none;overflow:visible}th{position:static}}
`;

/** Enhancement script: interactive charts (only when vega-embed loaded) and sortable tables. */
const ENHANCE = `
(function(){
  if (typeof vegaEmbed === 'function') {
    document.querySelectorAll('figure.chart[data-spec]').forEach(function (fig) {
      var live = fig.querySelector('.live');
      var spec;
      try { spec = JSON.parse(document.getElementById(fig.getAttribute('data-spec')).textContent); } catch (e) { console.error(e); return; }
      vegaEmbed(live, spec, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
        .then(function () { var s = fig.querySelector('.static'); if (s) s.remove(); })
        .catch(function (e) { console.error(e); live.remove(); });
    });
  }
  function key(td) {
    if (!td) return null;
    var v = td.getAttribute('data-v');
    return v === null ? (td.classList.contains('missing') ? null : td.textContent) : Number(v);
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('thead th').forEach(function (th, col) {
      th.setAttribute('data-sort', '');
      th.title = (th.title ? th.title + ' ' : '') + '(click to sort)';
      th.addEventListener('click', function () {
        var desc = th.getAttribute('data-dir') !== 'desc';
        table.querySelectorAll('thead th').forEach(function (o) { o.removeAttribute('data-dir'); });
        th.setAttribute('data-dir', desc ? 'desc' : 'asc');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[col]), y = key(b.cells[col]);
          if (x === null || y === null) return (x === null) - (y === null);
          var c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return desc ? -c : c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
`;

function figure(chart: ChartDef | undefined, svgs: ReadonlyMap<string, string>): Html {
  if (!chart) return html``;
  const svg = svgs.get(chart.id);
  return html`<figure class="chart" id="${chart.id}" data-spec="spec-${chart.id}">
<div class="static" role="img" aria-label="${chart.alt}">${svg ? trusted(svg) : html`<p class="note">(static chart unavailable)</p>`}</div>
<div class="live"></div>
</figure>
<script type="application/json" id="spec-${chart.id}">${trusted(jsonForScript(chart.spec))}</script>
`;
}

function kvTable(pairs: readonly [string, Html | string][]): Html {
  return html`<table class="kv"><tbody>${pairs.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table>`;
}

function header(results: ReportResults): Html {
  const description = (results.config as { description?: unknown } | null)?.description;
  return html`<header>
<p class="kicker">rbench report</p>
<h1>${results.experiment}</h1>
${typeof description === 'string' ? html`<p>${description}</p>` : ''}
<p class="muted">Run ${fmtDate(results.createdAt)} · took ${fmtDuration(results.durationSec)} · ${fmtInt(results.results.length)} configurations over ${results.datasets.length} dataset${results.datasets.length === 1 ? '' : 's'}</p>
</header>`;
}

function nav(views: readonly DatasetView[]): Html {
  return html`<nav><a href="#run">Run and environment</a>${views.map((v) => html`<a href="#${v.anchor}">${v.name}</a>`)}</nav>`;
}

function environment(results: ReportResults): Html {
  const e = results.environment;
  const commit = e.gitCommit ? html`<code>${e.gitCommit.slice(0, 12)}</code>${e.gitDirty ? html` <span class="badge">uncommitted changes</span>` : e.gitDirty === false ? ' (clean)' : ' (state unknown)'}` : html`<span class="muted">not a git checkout</span>`;
  return kvTable([
    ['CPU', `${e.cpu} (${e.arch})`],
    ['cores', String(e.cores)],
    ['memory', `${fmtSig(e.memoryGB)} GB`],
    ['OS', e.os],
    ['Node', e.node],
    ['onnxruntime', e.onnxruntime],
    ['transformers.js', e.transformers],
    ['threads', `${e.threads.intraOp} intra-op, ${e.threads.interOp} inter-op, spinning ${e.threads.allowSpinning ? 'on' : 'off'}`],
    ['rbench', e.rbench],
    ['git commit', commit],
  ]);
}

function work(results: ReportResults): Html {
  const w = results.work;
  const has = (k: string) => finite(w[k]);
  const pairs: [string, Html | string][] = [];
  if (has('configurations')) pairs.push(['configurations', `${fmtInt(w.configurations)}${has('qualityConfigurations') ? ` (${fmtInt(w.qualityConfigurations)} with quality)` : ''}`]);
  if (has('retrievalPasses') && has('retrievalPassesNaive')) {
    const computed = has('retrievalPassesComputed') ? `; ${fmtInt(w.retrievalPassesComputed)} computed, ${fmtInt(w.retrievalPasses! - w.retrievalPassesComputed!)} from cache` : '';
    pairs.push(['retrieval passes', `${fmtInt(w.retrievalPasses)} instead of ${fmtInt(w.retrievalPassesNaive)} (one per configuration)${computed}`]);
  }
  if (has('rerankPairsNeeded') && has('rerankPairsNaive')) {
    const factor = w.rerankPairsNeeded! > 0 ? ` (${(w.rerankPairsNaive! / w.rerankPairsNeeded!).toFixed(1)}× less work)` : '';
    pairs.push(['reranked (query, document) pairs', `${fmtInt(w.rerankPairsNeeded)} instead of ${fmtInt(w.rerankPairsNaive)}${factor}`]);
  }
  if (has('rerankPairsComputed') || has('rerankPairsFromCache')) pairs.push(['reranker scores', `${fmtInt(w.rerankPairsComputed)} computed, ${fmtInt(w.rerankPairsFromCache)} from cache`]);
  if (has('embeddingsComputed') || has('embeddingsFromCache')) pairs.push(['embeddings', `${fmtInt(w.embeddingsComputed)} computed, ${fmtInt(w.embeddingsFromCache)} from cache`]);
  if (has('timingBlocksMeasured') || has('timingBlocksResumed')) pairs.push(['timing blocks', `${fmtInt(w.timingBlocksMeasured)} measured, ${fmtInt(w.timingBlocksResumed)} resumed from a previous run`]);
  return kvTable(pairs);
}

function datasetsTable(results: ReportResults): Html {
  return html`<div class="scroll"><table>
<thead><tr><th>dataset</th><th>split</th><th class="num">docs</th><th class="num">queries</th><th class="num">evaluated queries</th><th class="num">judgments</th><th>sha256</th><th>warnings</th></tr></thead>
<tbody>${results.datasets.map(
    (d) => html`<tr><td><b>${d.name}</b><br><code class="muted">${d.path}</code></td><td>${d.split}</td>${numCell(d.docs, fmtInt(d.docs))}${numCell(d.queries, fmtInt(d.queries))}${numCell(d.evaluatedQueries, fmtInt(d.evaluatedQueries))}${numCell(d.qrels, fmtInt(d.qrels))}<td><code title="${d.sha256}">${d.sha256.slice(0, 12)}</code></td><td>${
      d.warnings.length === 0 ? html`<span class="muted">none</span>` : html`<ul>${d.warnings.map((w) => html`<li>${w}</li>`)}</ul>`
    }</td></tr>`,
  )}</tbody></table></div>`;
}

function conventions(results: ReportResults): Html {
  const entries = Object.entries(results.conventions);
  if (entries.length === 0) return html`<p class="note">The results file states no conventions.</p>`;
  return html`<dl class="conventions">${entries.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function runSection(results: ReportResults): Html {
  return html`<section id="run">
<h2>Run and environment</h2>
<div class="grid"><div><h3>Environment</h3>${environment(results)}</div><div><h3>Work the planner shared</h3>${work(results)}</div></div>
<h3>Datasets</h3>
${datasetsTable(results)}
<h3>How the numbers were computed</h3>
${conventions(results)}
<details><summary>Experiment config (as resolved, defaults filled in)</summary><pre>${YAML.stringify(results.config ?? null)}</pre></details>
</section>`;
}

/** Retriever parameters without the name and type: `engine=lucene, k1=0.9, b=0.4`. */
function params(rec: Record<string, unknown>): string {
  return Object.entries(rec)
    .filter(([k]) => k !== 'name' && k !== 'type')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

function pipelines(view: DatasetView): Html {
  const retrievers = new Map<string, ReportRow>();
  const rerankers = new Map<string, ReportRow>();
  for (const r of view.rows) {
    if (!retrievers.has(r.retriever.name)) retrievers.set(r.retriever.name, r);
    if (r.reranker && !rerankers.has(r.reranker.label)) rerankers.set(r.reranker.label, r);
  }
  const rt = html`<table><thead><tr><th>retriever</th><th>type</th><th>parameters</th><th class="num">ANN recall vs exact</th></tr></thead><tbody>${[...retrievers.values()].map(
    (r) => html`<tr><td><b>${r.retriever.name}</b></td><td>${r.retriever.type}</td><td><code>${params(r.retriever)}</code></td>${numCell(r.annRecall, finite(r.annRecall) ? r.annRecall.toFixed(3) : r.retriever.index === 'exact' ? 'exact search' : '—')}</tr>`,
  )}</tbody></table>`;
  const rr =
    rerankers.size === 0
      ? html`<p class="note">No reranker in this sweep.</p>`
      : html`<table><thead><tr><th>reranker</th><th>model</th><th>weights</th><th>backend</th><th>sha256</th><th>settings</th></tr></thead><tbody>${[...rerankers.values()].map((r) => {
          const m = r.reranker!;
          const weights = isStandIn(r) ? html`<span class="badge">random: stand-in, cost only</span>` : m.weights;
          const settings = [m.interpolate !== null ? `interpolate=${m.interpolate}` : '', m.dtype ? `dtype=${m.dtype}` : '', m.settings ? params(m.settings) : ''].filter(Boolean).join(', ');
          return html`<tr><td><b>${m.label}</b></td><td><code>${m.source}</code>${m.name !== m.source ? html`<br><span class="muted">${m.name}</span>` : ''}</td><td>${weights}</td><td>${m.backend}</td><td>${m.sha256 ? html`<code title="${m.sha256}">${m.sha256.slice(0, 12)}</code>` : '—'}</td><td><code>${settings}</code></td></tr>`;
        })}</tbody></table>`;
  return html`<h3>Pipelines</h3>${rt}${rr}`;
}

function summary(view: DatasetView, primary: MetricInfo | undefined): Html {
  const best = view.qualityRows[0];
  if (!primary || !best) return html`<p class="callout">No configuration of this dataset has quality figures${view.standIns.length > 0 ? ' (only architecture stand-ins, which measure cost)' : ''}.</p>`;
  const lat = best.latencyMs ? html`, total p50 ${fmtSig(best.latencyMs.total.p50)} ms per query` : '';
  const fastest = view.frontier[0];
  const fast =
    fastest && fastest.id !== best.id
      ? html` Fastest on the Pareto frontier: <code>${fastest.id}</code>, ${primary.label} ${fmtScore(fastest.quality)} at ${fmtSig(fastest.latencyP50)} ms.`
      : '';
  const ds = view.summary;
  return html`<p class="callout">Best ${primary.label}: <b>${fmtScore(best.metrics![primary.key])}</b> with <code>${best.id}</code>${lat}.${fast}${
    ds ? html` <span class="muted">${fmtInt(ds.evaluatedQueries)} evaluated queries over ${fmtInt(ds.docs)} documents.</span>` : ''
  }</p>`;
}

function frontierTable(view: DatasetView, metrics: readonly MetricInfo[]): Html {
  if (view.frontier.length === 0) return html``;
  return html`<p class="note">The Pareto frontier: each configuration below is the best ${metrics[0].label} reachable within its latency.</p>
<table><thead><tr><th>configuration</th><th class="num">total p50 (ms)</th><th class="num">total p95 (ms)</th><th class="num">queries/s</th>${metrics.map((m) => html`<th class="num">${m.label}</th>`)}</tr></thead>
<tbody>${view.frontier.map(
    (p) => html`<tr><td><code>${p.id}</code></td>${numCell(p.latencyP50, fmtSig(p.latencyP50))}${numCell(p.latencyP95, fmtSig(p.latencyP95))}${numCell(p.queriesPerSec, fmtSig(p.queriesPerSec))}${p.metrics.map((v) => numCell(v, fmtScore(v)))}</tr>`,
  )}</tbody></table>`;
}

function latencyTable(rows: readonly ReportRow[]): Html {
  if (rows.length === 0) return html``;
  const stages = ['retrieve', 'rerank', 'total'] as const;
  const stats = ['p50', 'p95', 'p99', 'mean'] as const;
  return html`<details><summary>Latency per stage, ${rows.length} configurations (ms per query; n = timed samples)</summary>
<div class="scroll"><table class="sortable">
<thead><tr><th>configuration</th>${stages.map((s) => stats.map((k) => html`<th class="num">${s} ${k}</th>`))}<th class="num">n</th></tr></thead>
<tbody>${rows.map((r) => {
    const l = r.latencyMs!;
    return html`<tr><td><code>${r.id}</code>${isStandIn(r) ? html` <span class="badge">stand-in</span>` : ''}</td>${stages.map((s) => stats.map((k) => numCell(l[s]?.[k], fmtSig(l[s]?.[k]))))}${numCell(l.total.n, fmtInt(l.total.n))}</tr>`;
  })}</tbody></table></div></details>`;
}

function standInSection(view: DatasetView, svgs: ReadonlyMap<string, string>): Html {
  if (view.standIns.length === 0) return html``;
  return html`<div class="standin-section">
<h3>${STAND_IN_TITLE}</h3>
<p class="note">These rerankers have the exact architecture of real models with random weights: they measure what the real model would cost on this machine. Their quality is not measured and appears nowhere in this report.</p>
${figure(view.charts.standIn, svgs)}
<div class="scroll"><table class="sortable">
<thead><tr><th>configuration</th><th>reranker</th><th class="num">candidates</th><th class="num">batch</th><th class="num">rerank p50 (ms)</th><th class="num">rerank p95 (ms)</th><th class="num">total p50 (ms)</th><th class="num">total p95 (ms)</th><th class="num">pairs/s</th><th class="num">queries/s</th></tr></thead>
<tbody>${view.standIns.map((r) => {
    const l = r.latencyMs;
    return html`<tr><td><code>${r.id}</code></td><td>${r.reranker!.label} <span class="muted">${r.reranker!.source}</span></td>${numCell(r.candidates, String(r.candidates))}${numCell(r.batchSize, r.batchSize === null ? '—' : String(r.batchSize))}${numCell(l?.rerank?.p50, fmtSig(l?.rerank?.p50))}${numCell(l?.rerank?.p95, fmtSig(l?.rerank?.p95))}${numCell(l?.total.p50, fmtSig(l?.total.p50))}${numCell(l?.total.p95, fmtSig(l?.total.p95))}${numCell(r.throughput?.pairsPerSec, fmtSig(r.throughput?.pairsPerSec))}${numCell(r.throughput?.queriesPerSec, fmtSig(r.throughput?.queriesPerSec))}</tr>`;
  })}</tbody></table></div>
</div>`;
}

/** The best value of each metric column among rows with quality (highest is best for every measure). */
export function bestValues(rows: readonly ReportRow[], metrics: readonly MetricInfo[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const m of metrics) {
    let b = -Infinity;
    for (const r of rows) {
      if (isStandIn(r)) continue;
      const v = r.metrics?.[m.key];
      if (finite(v) && v > b) b = v;
    }
    if (b > -Infinity) best.set(m.key, b);
  }
  return best;
}

function resultsTable(view: DatasetView, metrics: readonly MetricInfo[]): Html {
  const rows = view.qualityRows;
  if (rows.length === 0) return html``;
  const primary = metrics[0];
  const best = bestValues(rows, metrics);
  const topNs = [...new Set(rows.map((r) => r.context.topN))];
  const ctxTitle = topNs.length === 1 ? `context tokens @top-${topNs[0]} (est.)` : 'context tokens @top-N (est.)';
  return html`<h3>All configurations with quality</h3>
<p class="note">Sorted by ${primary.label}; with JavaScript, click a column to sort. Highlighted: the best value of each metric. Δ = ${primary.label} minus the first stage's on the same candidates. Context tokens: what the top documents hand to the LLM (characters / 4).${
    view.standIns.length > 0 ? ' Stand-ins are listed in their own section above.' : ''
  }</p>
<div class="scroll"><table class="sortable">
<thead><tr><th>configuration</th>${metrics.map((m) => html`<th class="num" title="${m.description}">${m.label}</th>`)}<th class="num">first stage ${primary.label}</th><th class="num">Δ</th><th class="num">candidate recall@k</th><th class="num">${ctxTitle}</th><th class="num">total p50 (ms)</th><th class="num">total p95 (ms)</th><th class="num">queries/s</th><th class="num">pairs/s</th></tr></thead>
<tbody>${rows.map((r) => {
    const fs = r.firstStage?.[primary.key];
    const own = r.metrics![primary.key];
    const delta = finite(fs) && finite(own) ? own - fs : Number.NaN;
    return html`<tr><td><code>${r.id}</code></td>${metrics.map((m) => {
      const v = r.metrics![m.key];
      return numCell(v, fmtScore(v), finite(v) && v === best.get(m.key) ? 'best' : '');
    })}${numCell(fs, fmtScore(fs))}${numCell(delta, finite(delta) ? `${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(4)}` : '—')}${numCell(r.candidateRecall, fmtScore(r.candidateRecall))}${numCell(
      r.context.meanTokensEstimate,
      fmtInt(r.context.meanTokensEstimate),
    )}${numCell(r.latencyMs?.total.p50, fmtSig(r.latencyMs?.total.p50))}${numCell(r.latencyMs?.total.p95, fmtSig(r.latencyMs?.total.p95))}${numCell(r.throughput?.queriesPerSec, fmtSig(r.throughput?.queriesPerSec))}${numCell(
      r.throughput?.pairsPerSec,
      fmtSig(r.throughput?.pairsPerSec),
    )}</tr>`;
  })}</tbody></table></div>`;
}

function datasetSection(view: DatasetView, svgs: ReadonlyMap<string, string>): Html {
  const { metrics } = view;
  const primary = metrics[0];
  const untimed = view.rows.length > 0 && view.timedRows.length === 0;
  const ann = [...new Map(view.rows.filter((r) => finite(r.annRecall)).map((r) => [r.retriever.name, retrieverLabel(r)])).values()];
  return html`<section id="${view.anchor}">
<h2>Dataset: ${view.name}</h2>
${summary(view, primary)}
${pipelines(view)}
${ann.length > 0 ? html`<p class="note">HNSW retrievers are labelled with their ANN recall: the share of exact search's candidates the index returns at the deepest candidate count.</p>` : ''}
<h3>Quality vs latency</h3>
${
  view.charts.quality
    ? html`${figure(view.charts.quality, svgs)}${frontierTable(view, metrics)}`
    : html`<p class="note">${untimed ? 'No timing pass in this run (latency.skip), so quality cannot be set against latency.' : 'No configuration with both quality and a measured latency.'}</p>`
}
<h3>Quality vs candidate depth</h3>
${view.charts.depth ? figure(view.charts.depth, svgs) : html`<p class="note">No configuration with quality.</p>`}
<h3>Cost: rerank throughput and latency per stage</h3>
${view.charts.throughput ? figure(view.charts.throughput, svgs) : html`<p class="note">${untimed ? 'No timing pass in this run (latency.skip).' : 'No reranker was timed.'}</p>`}
${latencyTable(view.timedRows)}
${standInSection(view, svgs)}
${primary ? resultsTable(view, metrics) : ''}
</section>`;
}

export function pageHtml(input: PageInput): string {
  const { results, views, svgs, libraries } = input;
  const charts = allCharts(views);
  const libs = libraries.map((l) => `${l.name} ${l.version}`).join(', ');
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rbench ${results.environment.rbench}">
<title>${results.experiment}: rbench report</title>
<style>${trusted(CSS)}</style>
</head>
<body>
${header(results)}
${nav(views)}
${runSection(results)}
${views.map((v) => datasetSection(v, svgs))}
<footer>
<p>Written by rbench ${results.environment.rbench} from a results file with schemaVersion ${results.schemaVersion}. Self-contained: no network access; ${
    charts.length
  } charts as static SVG, made interactive (tooltips, zoom) by the inlined ${libs || 'chart libraries'} when JavaScript runs. Full-precision numbers and per-query values are in results.json and results.csv.</p>
</footer>
${libraries.map((l) => inlineScript(l.code, l.name))}
<script>${trusted(ENHANCE)}</script>
</body>
</html>
`;
  return body.value;
}

