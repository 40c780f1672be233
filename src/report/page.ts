/**
 * The report page: one self-contained HTML document. Everything is readable without JavaScript: each chart
 * is a static SVG rendered by Vega on the server, tables are plain HTML. With JavaScript, the inlined
 * vega / vega-lite / vega-embed replace each static chart with the interactive one built from the same spec
 * (tooltips, zoom on the quality/latency chart) and make the tables sortable; if that fails the static
 * chart stays. The decision comes first; the only per-query values in the page are the wins/losses chart's
 * (the recommended configurations and the best against the baseline).
 *
 * Width: the page never scrolls sideways. Wide tables scroll inside their own `.scroll` box; charts keep the
 * fixed size of their spec (so the static SVG and the live chart match) and shrink to the column when it is
 * narrower (`max-width: 100%` on the SVG, whose viewBox keeps the proportions). Vega-Lite's
 * `width: "container"` was not used: the static renderer has no container to measure.
 */
import YAML from 'yaml';
import type { ReportComparison, ReportResults, ReportRow, ReportStatistics } from './input.js';
import { fmtCi, fmtDate, fmtDelta, fmtDuration, fmtInt, fmtMs, fmtP, fmtScore, fmtSig, html, Html, inlineScript, jsonForScript, numCell, sigMarker, trusted } from './html.js';
import { budgetLabel, CORRECTION_NAMES, fastestCost, isStandIn, mergedDecisions, pipelineOf, retrieverLabel, type MetricInfo, type QualityConfig } from './select.js';
import { STAND_IN_TITLE } from './specs.js';
import { allCharts, crossDataset, type ChartDef, type DatasetView } from './view.js';

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
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);margin:0 auto 0 0;padding:0 24px 48px;max-width:1280px;overflow-wrap:anywhere}
section,header,footer,figure,.grid>div{min-width:0}
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
th.num.wrap{white-space:normal;min-width:5.5em}
table.compact th,table.compact td{padding:3px 5px}table.compact th.num{white-space:normal}
td.missing{color:var(--muted)}
table.sortable td:first-child,table.decision code{white-space:nowrap}
.nw{display:block;white-space:nowrap}
.scroll table.sortable td:first-child{position:sticky;left:0;background:#fff;z-index:1}
.scroll table.sortable tr.baseline td:first-child{background:#eef3fb}
td.best{background:var(--best);font-weight:700}
td .ci,td .sub{display:block;color:var(--muted);font-size:11.5px;font-weight:400}
.sig{font-size:11px;margin-left:2px}.sig.up{color:#1e7b34}.sig.down{color:#b3261e}
th,td{overflow-wrap:normal}
tr.baseline td{background:#eef3fb}
.badge.base{background:#eef3fb;border-color:#9ab}
.badge.rec{background:#fdebd8;border-color:#f0a050}
table.kv th{position:static;width:13em}
.scroll{overflow-x:auto;max-height:80vh;overflow-y:auto;border:1px solid var(--line);max-width:100%}
.wide{overflow-x:auto;max-width:100%}.wide table{margin:8px 0}
.scroll table{margin:0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:0 32px}
.badge{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:var(--warn);border:1px solid #f0c36d;white-space:nowrap}
.callout{background:var(--bg-soft);border-left:4px solid var(--fg);padding:8px 12px;margin:12px 0}
.standin-section{border:1px dashed #f0c36d;background:#fffdf8;padding:4px 16px 8px;margin-top:24px}
figure.chart{margin:8px 0 12px;overflow-x:auto;max-width:100%}
figure.chart svg{max-width:100%;height:auto}
figure.chart .vega-embed{max-width:100%;box-sizing:border-box}
figure.chart figcaption{font-size:13px;color:var(--muted)}
#decision h2{margin-top:24px}
ul.reasons{margin:4px 0 12px;padding-left:20px}ul.reasons li{margin:2px 0}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}
pre{background:var(--bg-soft);padding:8px 12px;overflow-x:auto;font-size:12px;max-width:100%}
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

function figure(chart: ChartDef | undefined, svgs: ReadonlyMap<string, string>, caption?: Html): Html {
  if (!chart) return html``;
  const svg = svgs.get(chart.id);
  return html`<figure class="chart" id="${chart.id}" data-spec="spec-${chart.id}">
<div class="static" role="img" aria-label="${chart.alt}">${svg ? trusted(svg) : html`<p class="note">(static chart unavailable)</p>`}</div>
<div class="live"></div>
${caption ? html`<figcaption>${caption}</figcaption>` : ''}
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

function nav(views: readonly DatasetView[], cross: boolean): Html {
  return html`<nav><a href="#decision">Decision</a>${cross ? html`<a href="#cross-dataset">Across datasets</a>` : ''}${views.map((v) => html`<a href="#${v.anchor}">${v.name}</a>`)}<a href="#run">Run and environment</a></nav>`;
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
  return html`<h3>Pipelines</h3><div class="wide">${rt}</div><div class="wide">${rr}</div>`;
}

/** The best configuration and the fastest on the frontier: what a file without decisions can say. */
function bestCallout(view: DatasetView, primary: MetricInfo | undefined): Html {
  const best = view.qualityConfigs[0];
  if (!primary || !best) return html`<p class="callout">No configuration of ${view.name} has quality figures${view.standIns.length > 0 ? ' (only architecture stand-ins, which measure cost)' : ''}.</p>`;
  const cost = fastestCost(best, view.latencyStat);
  const lat = cost ? html`, total ${view.latencyStat} ${fmtSig(cost[view.latencyStat])} ms per query${cost.batchSize !== null ? ` (batch ${cost.batchSize})` : ''}` : '';
  const fastest = view.frontier[0];
  const fast =
    fastest && fastest.id !== best.id
      ? html` Fastest on the Pareto frontier: <code>${pipelineOf(fastest.id, view.name)}</code>, ${primary.label} ${fmtScore(fastest.quality)} at ${fmtSig(fastest.latency)} ms.`
      : '';
  const ds = view.summary;
  return html`<p class="callout"><b>${view.name}</b>: best ${primary.label} <b>${fmtScore(best.head.metrics[primary.key])}</b> with <code>${pipelineOf(best.id, view.name)}</code>${lat}.${fast}${
    ds ? html` <span class="muted">${fmtInt(ds.evaluatedQueries)} evaluated queries over ${fmtInt(ds.docs)} documents.</span>` : ''
  }</p>`;
}

function frontierTable(view: DatasetView, metrics: readonly MetricInfo[]): Html {
  if (view.frontier.length === 0) return html``;
  return html`<p class="note">The Pareto frontier: each configuration below is the best ${metrics[0].label} reachable within its latency (total ${view.latencyStat} per query at its fastest batch size).</p>
<div class="wide"><table><thead><tr><th>configuration</th><th class="num">batch</th><th class="num">total p50 (ms)</th><th class="num">total p95 (ms)</th><th class="num">queries/s</th>${metrics.map((m) => html`<th class="num">${m.label}</th>`)}</tr></thead>
<tbody>${view.frontier.map(
    (p) => html`<tr><td><code>${pipelineOf(p.id, view.name)}</code></td>${numCell(p.batchSize, p.batchSize === null ? '—' : String(p.batchSize))}${numCell(p.latencyP50, fmtSig(p.latencyP50))}${numCell(p.latencyP95, fmtSig(p.latencyP95))}${numCell(p.queriesPerSec, fmtSig(p.queriesPerSec))}${p.metrics.map((v) => numCell(v, fmtScore(v)))}</tr>`,
  )}</tbody></table></div>`;
}

function latencyTable(rows: readonly ReportRow[]): Html {
  if (rows.length === 0) return html``;
  const stages = ['retrieve', 'rerank', 'total'] as const;
  const stats = ['p50', 'p95', 'p99', 'mean'] as const;
  return html`<details><summary>Latency per stage, ${rows.length} configurations (ms per query; n = timed samples)</summary>
<div class="scroll"><table class="sortable compact">
<thead><tr><th>configuration</th>${stages.map((s) => stats.map((k) => html`<th class="num">${s} ${k}</th>`))}<th class="num">n</th></tr></thead>
<tbody>${rows.map((r) => {
    const l = r.latencyMs!;
    return html`<tr><td><code>${pipelineOf(r.id, r.dataset)}</code>${isStandIn(r) ? html` <span class="badge">stand-in</span>` : ''}</td>${stages.map((s) => stats.map((k) => numCell(l[s]?.[k], fmtSig(l[s]?.[k]))))}${numCell(l.total.n, fmtInt(l.total.n))}</tr>`;
  })}</tbody></table></div></details>`;
}

function standInSection(view: DatasetView, svgs: ReadonlyMap<string, string>): Html {
  if (view.standIns.length === 0) return html``;
  return html`<div class="standin-section">
<h3>${STAND_IN_TITLE}</h3>
<p class="note">These rerankers have the exact architecture of real models with random weights: they measure what the real model would cost on this machine. Their quality is not measured and appears nowhere in this report.</p>
${figure(view.charts.standIn, svgs)}
<div class="scroll"><table class="sortable compact">
<thead><tr><th>configuration</th><th>reranker</th><th class="num">candidates</th><th class="num">batch</th><th class="num">rerank p50 (ms)</th><th class="num">rerank p95 (ms)</th><th class="num">total p50 (ms)</th><th class="num">total p95 (ms)</th><th class="num">pairs/s</th><th class="num">queries/s</th></tr></thead>
<tbody>${view.standIns.map((r) => {
    const l = r.latencyMs;
    return html`<tr><td><code>${pipelineOf(r.id, r.dataset)}</code></td><td>${r.reranker!.label} <span class="muted">${r.reranker!.source}</span></td>${numCell(r.candidates, String(r.candidates))}${numCell(r.batchSize, r.batchSize === null ? '—' : String(r.batchSize))}${numCell(l?.rerank?.p50, fmtSig(l?.rerank?.p50))}${numCell(l?.rerank?.p95, fmtSig(l?.rerank?.p95))}${numCell(l?.total.p50, fmtSig(l?.total.p50))}${numCell(l?.total.p95, fmtSig(l?.total.p95))}${numCell(r.throughput?.pairsPerSec, fmtSig(r.throughput?.pairsPerSec))}${numCell(r.throughput?.queriesPerSec, fmtSig(r.throughput?.queriesPerSec))}</tr>`;
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

/** How the comparisons with the baseline were tested, for legends. */
function testText(stats: ReportStatistics | undefined): string {
  if (!stats) return 'paired randomization test';
  return `paired randomization test, ${fmtInt(stats.permutations)} permutations; significant when the p-value adjusted by ${CORRECTION_NAMES[stats.correction]} over the dataset's configurations is ≤ α = ${stats.alpha}`;
}

/** A significance marker as markup, with what it means on hover. */
function marker(c: ReportComparison | { delta: number; pAdjusted: number; significant: boolean } | undefined): Html {
  const m = sigMarker(c);
  if (!m || !c) return html``;
  return html`<span class="sig ${m === '▲' ? 'up' : 'down'}" title="significantly ${m === '▲' ? 'better' : 'worse'} than the baseline (Δ ${fmtDelta(c.delta)}, adjusted p ${fmtP(c.pAdjusted)})">${m}</span>`;
}

/** An interval to 3 decimals for a table cell's second line: `0.676–0.790`; '' when missing. */
function ciShort(ci: readonly [number, number] | undefined): string {
  return ci && finite(ci[0]) && finite(ci[1]) ? `${ci[0].toFixed(3)}–${ci[1].toFixed(3)}` : '';
}

/** `0.7044 ▲` with its interval below; data-v is the mean; Δ and p vs the baseline on hover. */
function meanCell(mean: number | undefined, ci: readonly [number, number] | undefined, c: ReportComparison | undefined, cls = ''): Html {
  const title = c ? `Δ vs baseline ${fmtDelta(c.delta)} ${fmtCi(c.ci95)}, adjusted p ${fmtP(c.pAdjusted)} (randomization p ${fmtP(c.p)}${c.pExact ? ', exact' : ''}); ${c.wins} wins, ${c.losses} losses, ${c.ties} ties` : '';
  const inner = html`${fmtScore(mean)}${marker(c)}${ciShort(ci) ? html`<span class="ci" title="95 % CI ${fmtCi(ci)}">${ciShort(ci)}</span>` : ''}`;
  const c2 = `num${cls ? ` ${cls}` : ''}`;
  return finite(mean) ? html`<td class="${c2}" data-v="${mean}"${title ? html` title="${title}"` : ''}>${inner}</td>` : html`<td class="${c2} missing">—</td>`;
}

/**
 * The cost of a quality configuration on one statistic: the fastest batch size's figure, and with
 * `breakdown`, every batch size's below it (`b1 20.1 · b4 15.1`).
 */
function costCell(q: QualityConfig, stat: 'p50' | 'p95', breakdown: boolean): Html {
  const fast = fastestCost(q, stat);
  if (!fast) return html`<td class="num missing">—</td>`;
  const all = q.costs.filter((c) => c.batchSize !== null);
  const others = breakdown && all.length > 1 ? all.map((c) => `b${c.batchSize} ${fmtSig(c[stat])}`).join(' · ') : '';
  return html`<td class="num" data-v="${fast[stat]}">${fmtSig(fast[stat])}${fast.batchSize !== null ? html` <span class="muted">b${fast.batchSize}</span>` : ''}${others ? html`<span class="sub">${others}</span>` : ''}</td>`;
}

/**
 * Every quality configuration, one row each (its batch sizes folded into the cost columns), narrow enough
 * for a 1,400 px window with five metrics: intervals and the first stage on a second line, one latency
 * column per statistic (the decisions' with every batch size below it).
 */
function resultsTable(view: DatasetView, metrics: readonly MetricInfo[], stats: ReportStatistics | undefined): Html {
  const configs = view.qualityConfigs;
  if (configs.length === 0) return html``;
  const primary = metrics[0];
  const best = bestValues(view.qualityRows, metrics);
  const topNs = [...new Set(configs.map((q) => q.head.context.topN))];
  const ctxTitle = topNs.length === 1 ? `context tokens @top-${topNs[0]}` : 'context tokens @top-N';
  const hasCi = configs.some((q) => q.head.ci95 !== undefined);
  const tested = view.baseline !== undefined && configs.some((q) => q.head.vsBaseline !== undefined);
  const stat = view.latencyStat;
  const other = stat === 'p95' ? 'p50' : 'p95';
  return html`<h3>All configurations with quality</h3>
<p class="note">One row per quality configuration (retriever, candidates, reranker): batch sizes change only the cost, so the latency columns show the fastest batch size, and under total ${stat} each batch size's figure. Sorted by ${primary.label}; with JavaScript, click a column to sort. Highlighted: the best value of each metric.${
    hasCi ? ' Under each mean: its 95 % bootstrap interval.' : ''
  } Δ first stage = ${primary.label} minus the first stage's on the same candidates (the first stage's own figure below it). Context tokens: what the top documents hand to the LLM (characters / 4, estimated).${
    view.standIns.length > 0 ? ' Stand-ins are listed in their own section above.' : ''
  }</p>
${
  tested
    ? html`<p class="note"><span class="sig up">▲</span> significantly better, <span class="sig down">▼</span> significantly worse than the baseline <code>${pipelineOf(view.baseline!, view.name)}</code> (${testText(stats)}); no marker: no significant difference. Hover a value for Δ and p.</p>`
    : ''
}
<div class="scroll"><table class="sortable compact results">
<thead><tr><th>configuration</th>${metrics.map((m) => html`<th class="num" title="${m.description}">${m.label}</th>`)}<th class="num wrap">Δ first stage</th><th class="num wrap">candidate recall@k</th><th class="num wrap">${ctxTitle}</th><th class="num wrap">total ${stat} (ms)</th><th class="num wrap">total ${other} (ms)</th><th class="num">queries/s</th></tr></thead>
<tbody>${configs.map((q) => {
    const r = q.head;
    const fs = r.firstStage?.[primary.key];
    const own = r.metrics[primary.key];
    const delta = finite(fs) && finite(own) ? own - fs : Number.NaN;
    const isBase = q.id === view.baseline;
    const fast = fastestCost(q, stat);
    return html`<tr${isBase ? html` class="baseline"` : ''}><td><code>${pipelineOf(q.id, view.name)}</code>${isBase ? html` <span class="badge base">baseline</span>` : ''}</td>${metrics.map((m) => {
      const v = r.metrics[m.key];
      return meanCell(v, r.ci95?.[m.key], r.vsBaseline?.[m.key], finite(v) && v === best.get(m.key) ? 'best' : '');
    })}${
      finite(delta) ? html`<td class="num" data-v="${delta}">${fmtDelta(delta)}<span class="sub">${fmtScore(fs)}</span></td>` : html`<td class="num missing">—</td>`
    }${numCell(r.candidateRecall, fmtScore(r.candidateRecall))}${numCell(r.context.meanTokensEstimate, fmtInt(r.context.meanTokensEstimate))}${costCell(q, stat, true)}${costCell(q, other, false)}${numCell(
      fast?.queriesPerSec,
      fmtSig(fast?.queriesPerSec),
    )}</tr>`;
  })}</tbody></table></div>`;
}

/** A mean with its 95 % interval below it. */
function scoreCell(mean: number, ci: readonly [number, number] | undefined): Html {
  if (!finite(mean)) return html`<td class="num missing">—</td>`;
  return html`<td class="num" data-v="${mean}">${fmtScore(mean)}${fmtCi(ci) ? html`<span class="sub">${fmtCi(ci)}</span>` : ''}</td>`;
}

/** Δ against the baseline with its marker and adjusted p below; `baseline` for the baseline itself. */
function versusCell(vs: { delta: number; pAdjusted: number; significant: boolean } | undefined, isBaseline: boolean): Html {
  if (isBaseline) return html`<td class="num muted">baseline</td>`;
  if (!vs) return html`<td class="num missing">—</td>`;
  return html`<td class="num" data-v="${vs.delta}">${fmtDelta(vs.delta)}${marker(vs)}<span class="sub">adj. p ${fmtP(vs.pAdjusted)}</span></td>`;
}

function decisionTable(view: DatasetView): Html {
  const metric = view.decisionMetric!;
  const stat = view.latencyStat;
  const base = view.qualityConfigs.find((q) => q.id === view.baseline);
  const baseCost = base ? fastestCost(base, stat) : undefined;
  const batch = (b: number | null) => (b === null ? '' : html` <span class="muted">b${b}</span>`);
  const budgetsCell = (labels: readonly string[]) => html`<td>${labels.map((l) => html`<span class="nw">${l}</span>`)}</td>`;
  return html`<div class="scroll"><table class="decision">
<thead><tr><th>budget (${stat})</th><th>recommended</th><th class="num">${metric.label}, 95 % CI</th><th class="num">Δ vs baseline</th><th class="num">total ${stat} (ms)</th><th>best within the budget</th><th class="num">${metric.label}, 95 % CI</th><th class="num">recommended − best</th></tr></thead>
<tbody>${mergedDecisions(view.decisions).map(({ labels, decision: d }) => {
    const rec = d.recommended;
    const best = d.best;
    if (!rec || !best) return html`<tr>${budgetsCell(labels)}<td colspan="7" class="muted">nothing with quality fits${d.standIns.length > 0 ? ` (${d.standIns.length} stand-in${d.standIns.length === 1 ? '' : 's'} do: cost only)` : ''}</td></tr>`;
    const same = rec.id === best.id;
    return html`<tr>${budgetsCell(labels)}<td><code>${pipelineOf(rec.id, view.name)}</code>${batch(rec.batchSize)} <span class="badge rec">recommended</span></td>${scoreCell(rec.mean, rec.ci95)}${versusCell(
      rec.vsBaseline,
      rec.id === view.baseline,
    )}${numCell(rec.latencyMs, fmtSig(rec.latencyMs))}${
      same
        ? html`<td class="muted">the same</td><td class="num"></td><td class="num"></td>`
        : html`<td><code>${pipelineOf(best.id, view.name)}</code>${batch(best.batchSize)}</td>${scoreCell(best.mean, best.ci95)}<td class="num" data-v="${rec.vsBest.delta}">${fmtDelta(rec.vsBest.delta)}<span class="sub">Holm-adj. p ${fmtP(rec.vsBest.pAdjusted)}</span></td>`
    }</tr>`;
  })}${
    base
      ? html`<tr class="baseline"><td>baseline</td><td><code>${pipelineOf(base.id, view.name)}</code>${batch(baseCost?.batchSize ?? null)} <span class="badge base">baseline</span></td>${scoreCell(
          base.head.metrics[metric.key],
          base.head.ci95?.[metric.key],
        )}<td class="num muted">—</td>${numCell(baseCost?.[stat], fmtSig(baseCost?.[stat]))}<td></td><td></td><td></td></tr>`
      : ''
  }</tbody></table></div>`;
}

function selectionTable(view: DatasetView): Html {
  if (view.selection.length === 0) return html``;
  const label = (key: string) => view.metrics.find((m) => m.key === key)?.label ?? key;
  return html`<h4>Honest selection: the winner's curse</h4>
<p class="note">The best of ${fmtInt(view.qualityConfigs.length)} configurations measured on the same queries is partly luck. The estimate is what choosing the best generalises to: ${
    view.selection[0].method === 'split'
      ? html`the configuration chosen on the ${view.selection[0].selectedOn ?? 'other'} split, scored here`
      : html`${view.selection[0].folds ?? 'k'}-fold cross-validated selection (choose on the other folds, score on the held-out one)`
  }.</p>
<div class="wide"><table>
<thead><tr><th>metric</th><th class="num">naive best</th><th>configuration</th><th class="num">selection estimate</th><th class="num">gap (overstatement)</th><th>chosen</th></tr></thead>
<tbody>${view.selection.map(
    (s) => html`<tr><td>${label(s.metric)}</td>${numCell(s.naiveBest.mean, fmtScore(s.naiveBest.mean))}<td><code>${pipelineOf(s.naiveBest.id, view.name)}</code></td>${numCell(s.estimate, fmtScore(s.estimate), 'best')}${numCell(s.gap, fmtDelta(s.gap))}<td>${Object.entries(
      s.chosen,
    )
      .sort((a, b) => b[1] - a[1])
      .map(([id, n], i) => html`${i > 0 ? ', ' : ''}<code>${pipelineOf(id, view.name)}</code>${s.method === 'cross-validation' ? ` ×${n}` : ''}`)}</td></tr>`,
  )}</tbody></table></div>`;
}

function standInsWithinBudgets(view: DatasetView): Html {
  const all = new Map<string, { latencyMs: number; batchSize: number | null; budgets: string[] }>();
  for (const d of view.decisions) {
    for (const x of d.standIns) {
      const e = all.get(x.id) ?? { latencyMs: x.latencyMs, batchSize: x.batchSize, budgets: [] };
      if (d.budgetMs !== null) e.budgets.push(budgetLabel(d.budgetMs));
      all.set(x.id, e);
    }
  }
  if (all.size === 0) return html``;
  return html`<p class="note"><b>Architecture stand-ins</b> (random weights: what the real model would cost here; its quality is unknown offline and not shown): ${[...all].map(
    ([id, e], i) => html`${i > 0 ? '; ' : ''}<code>${pipelineOf(id, view.name)}</code> ${fmtMs(e.latencyMs)} ${view.latencyStat}${e.batchSize !== null ? ` (b${e.batchSize})` : ''}${e.budgets.length > 0 ? `, fits ${e.budgets.join(', ')}` : ', fits no budget'}`,
  )}.</p>`;
}

function decisionBlock(view: DatasetView, svgs: ReadonlyMap<string, string>, stats: ReportStatistics | undefined, many: boolean): Html {
  const heading = many ? html`<h3>${view.name}</h3>` : '';
  if (view.decisions.length === 0 || !view.decisionMetric) return html`${heading}${bestCallout(view, view.metrics[0])}`;
  const ds = view.summary;
  const wl = view.winLoss;
  return html`${heading}
<p>On <b>${view.name}</b>${ds ? ` (${fmtInt(ds.evaluatedQueries)} evaluated queries)` : ''}, ${view.decisionMetric.label}, total ${view.latencyStat} latency per query at the fastest batch size${
    view.baseline ? html`; baseline <code>${pipelineOf(view.baseline, view.name)}</code>` : ''
  }.</p>
${decisionTable(view)}
<ul class="reasons">${view.decisions.map((d) => html`<li><b>${budgetLabel(d.budgetMs)}</b>: ${d.reason}</li>`)}</ul>
${standInsWithinBudgets(view)}
${selectionTable(view)}
${
  view.charts.winLoss
    ? html`<h4>Per query, against the baseline</h4>${figure(
        view.charts.winLoss,
        svgs,
        html`${wl.map((c, i) => html`${i > 0 ? ' ' : ''}<code>${pipelineOf(c.id, view.name)}</code>, ${c.role}, wins ${c.wins}, loses ${c.losses} and ties ${c.ties} of ${c.queries} queries (mean Δ ${fmtDelta(c.meanDelta)}).`)}`,
      )}`
    : view.baseline && view.decisions.every((d) => !d.recommended || d.recommended.id === view.baseline)
      ? html`<p class="note">The recommended configuration is the baseline itself in every budget: there is no per-query comparison to draw.</p>`
      : ''
}`;
}

function decisionSection(results: ReportResults, views: readonly DatasetView[], svgs: ReadonlyMap<string, string>): Html {
  const decided = views.filter((v) => v.selectionFor === undefined);
  const any = decided.some((v) => v.decisions.length > 0);
  const stats = results.statistics;
  const first = decided.find((v) => v.decisions.length > 0);
  return html`<section id="decision">
<h2>Decision: which configuration to ship</h2>
${
  any && first
    ? html`<p class="note">Per latency budget: the <b>best</b> configuration whose fastest batch size fits, and the <b>recommended</b> one: the cheapest within the budget whose ${first.decisionMetric!.label} is not significantly below the best there (paired randomization test against the best, Holm over every configuration of the dataset, those outside the budget counting as p = 1${stats ? `, α = ${stats.alpha}` : ''}). Means with 95 % bootstrap intervals${stats ? ` (${fmtInt(stats.bootstrap)} resamples)` : ''}; Δ vs the baseline: ${testText(stats)}; ▲/▼ significantly better/worse.</p>`
    : html`<p class="note">This results file has no decisions (written before rbench computed them, or no dataset has two configurations with quality): the best configuration of each dataset instead.</p>`
}
${decided.map((v) => decisionBlock(v, svgs, stats, decided.length > 1))}
</section>`;
}

function crossDatasetSection(views: readonly DatasetView[]): Html {
  const t = crossDataset(views);
  if (!t) return html``;
  const best = t.datasets.map((_, i) => Math.max(...t.rows.map((r) => r.cells[i]?.value ?? -Infinity)));
  const bestMean = Math.max(...t.rows.map((r) => r.mean ?? -Infinity));
  const incomplete = t.rows.some((r) => r.mean === undefined);
  return html`<section id="cross-dataset">
<h2>Across datasets</h2>
<p class="note">${t.metric.label} of each pipeline on each dataset, and the mean over the ${t.datasets.length} datasets (as BEIR and MTEB publish). ▲/▼: significantly better/worse than that dataset's baseline. Highlighted: the best of each column.${
    incomplete ? ' A pipeline missing from a dataset has no mean.' : ''
  }</p>
<div class="scroll"><table class="sortable">
<thead><tr><th>pipeline</th>${t.datasets.map((d) => html`<th class="num">${d}</th>`)}<th class="num">mean</th></tr></thead>
<tbody>${t.rows.map(
    (r) => html`<tr><td><code>${r.pipeline}</code></td>${r.cells.map((c, i) =>
      c
        ? html`<td class="num${c.value === best[i] ? ' best' : ''}" data-v="${c.value}">${fmtScore(c.value)}${c.baseline ? html` <span class="badge base">baseline</span>` : marker(c.comparison)}</td>`
        : html`<td class="num missing">—</td>`,
    )}${r.mean === undefined ? html`<td class="num missing">—</td>` : numCell(r.mean, fmtScore(r.mean), r.mean === bestMean ? 'best' : '')}</tr>`,
  )}</tbody></table></div>
</section>`;
}

function datasetSection(view: DatasetView, svgs: ReadonlyMap<string, string>, stats: ReportStatistics | undefined): Html {
  const { metrics } = view;
  const primary = metrics[0];
  const untimed = view.rows.length > 0 && view.timedRows.length === 0;
  const ann = [...new Map(view.rows.filter((r) => finite(r.annRecall)).map((r) => [r.retriever.name, retrieverLabel(r)])).values()];
  return html`<section id="${view.anchor}">
<h2>Dataset: ${view.name}</h2>
${view.selectionFor !== undefined ? html`<p class="callout">This split only chooses configurations for <b>${view.selectionFor}</b> (<code>selectOn</code>); its decisions are there.</p>` : ''}
${view.summary ? html`<p class="muted">${fmtInt(view.summary.evaluatedQueries)} evaluated queries over ${fmtInt(view.summary.docs)} documents (split ${view.summary.split}).</p>` : ''}
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
${view.charts.efSearch ? html`<h3>HNSW recall vs efSearch</h3>${figure(view.charts.efSearch, svgs)}` : ''}
${view.charts.interpolation ? html`<h3>Interpolation weight</h3>${figure(view.charts.interpolation, svgs)}` : ''}
<h3>Cost: rerank throughput and latency per stage</h3>
${view.charts.throughput ? figure(view.charts.throughput, svgs) : html`<p class="note">${untimed ? 'No timing pass in this run (latency.skip).' : 'No reranker was timed.'}</p>`}
${latencyTable(view.timedRows)}
${standInSection(view, svgs)}
${primary ? resultsTable(view, metrics, stats) : ''}
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
${nav(views, crossDataset(views) !== undefined)}
${decisionSection(results, views, svgs)}
${crossDatasetSection(views)}
${views.map((v) => datasetSection(v, svgs, results.statistics))}
${runSection(results)}
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

