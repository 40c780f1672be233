/**
 * HTML building blocks with escaping by default: the `html` tagged template escapes every interpolated
 * value unless it is already `Html` (produced by `html` or, for markup we generated ourselves such as the
 * SVG from Vega, by `trusted`). Dataset names, ids, warnings and config values may contain `<` or `&`.
 *
 * Hand-written: a template literal tag is ~30 lines; a templating library would add a dependency for that.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Interpolation = string | number | boolean | null | undefined | Html | readonly Interpolation[];

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** Markup we produced ourselves (never user text): inserted as is. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

function interpolate(v: Interpolation): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(interpolate).join('');
  return escapeHtml(String(v));
}

/** Tagged template: literal parts as written, interpolations escaped (arrays joined, null/undefined/false empty). */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += interpolate(v) + strings[i + 1];
  });
  return new Html(out);
}

/**
 * JSON for the inside of a `<script type="application/json">` element: `<`, `>` and `&` become `\u003c`
 * etc. so no string can close the element (`</script>`) or open a comment, and U+2028/U+2029 are escaped.
 * `JSON.parse` of the element's text gives back the value unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A library's JavaScript for an inline `<script>` element. Refuses code containing `</script` or `<!--`
 * (which would end the element or change how the HTML parser reads it) rather than patching minified code.
 */
export function inlineScript(code: string, name: string): Html {
  if (/<\/script|<!--/i.test(code)) throw new Error(`cannot inline ${name}: its code contains "</script" or "<!--"`);
  return new Html(`<script>${code}</script>`);
}

// ----- number formatting (display only; results.json keeps full precision) -----

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Quality scores: 4 decimals, as trec_eval prints them. */
export function fmtScore(x: number | null | undefined): string {
  return finite(x) ? x.toFixed(4) : '—';
}

/** Times and rates: 3 significant digits (0.0377, 1.08, 202, 2560), thousands separated. */
export function fmtSig(x: number | null | undefined): string {
  if (!finite(x)) return '—';
  const v = Number(x.toPrecision(3));
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(v);
}

export function fmtInt(x: number | null | undefined): string {
  return finite(x) ? Math.round(x).toLocaleString('en-US') : '—';
}

/** Seconds as `12.3 s`, `1 min 35 s`, `2 h 05 min`. */
export function fmtDuration(sec: number): string {
  if (!finite(sec)) return '—';
  if (sec < 60) return `${sec.toFixed(1)} s`;
  if (sec < 3600) return `${Math.floor(sec / 60)} min ${String(Math.round(sec % 60)).padStart(2, '0')} s`;
  return `${Math.floor(sec / 3600)} h ${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')} min`;
}

/** `2026-11-26T00:17:19.329Z` → `2026-11-26 00:17:19 UTC`; anything else as written. */
export function fmtDate(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

/** A numeric table cell: right-aligned, with its exact value in `data-v` for sorting. */
export function numCell(x: number | null | undefined, text: string, cls = ''): Html {
  const c = `num${cls ? ` ${cls}` : ''}`;
  return finite(x) ? html`<td class="${c}" data-v="${x}">${text}</td>` : html`<td class="${c} missing">${text}</td>`;
}

/** A signed difference: `+0.0312`, `−0.0040` (a real minus sign), 4 decimals. */
export function fmtDelta(x: number | null | undefined): string {
  return finite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}` : '—';
}

/** A p-value: `< 0.001` below 0.001, else 3 decimals; `n/a` when missing. */
export function fmtP(p: number | null | undefined): string {
  return finite(p) ? (p < 0.001 ? '< 0.001' : p.toFixed(3)) : 'n/a';
}

/** A 95 % interval as `[0.6410, 0.7650]`; '' when either bound is missing. */
export function fmtCi(ci: readonly [number, number] | null | undefined): string {
  return ci && finite(ci[0]) && finite(ci[1]) ? `[${ci[0].toFixed(4)}, ${ci[1].toFixed(4)}]` : '';
}

/** Total latency in ms: 3 significant digits, `ms` appended; `—` when missing or infinite (untimed). */
export function fmtMs(x: number | null | undefined): string {
  return finite(x) ? `${fmtSig(x)} ms` : '—';
}

/**
 * The significance marker of a comparison with the baseline: ▲ significantly better, ▼ significantly
 * worse, '' otherwise (not significant, or no comparison).
 */
export function sigMarker(c: { delta: number; significant: boolean } | null | undefined): '▲' | '▼' | '' {
  if (!c || !c.significant || !finite(c.delta) || c.delta === 0) return '';
  return c.delta > 0 ? '▲' : '▼';
}
