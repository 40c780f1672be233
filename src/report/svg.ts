/**
 * Makes the element ids of a Vega-rendered SVG unique to one chart and independent of render order.
 *
 * Vega numbers clip paths (and gradients) with a process-wide counter: `clip1`, `clip3`, ... depend on how
 * many charts were rendered before, which would make the page differ between `rbench run` and
 * `rbench report`, and two inline SVGs in one page must not share an id. Every id the SVG defines becomes
 * `<prefix>-<n>` (n by first appearance), and references to it (`url(#id)` in presentation attributes,
 * `href="#id"`) follow.
 *
 * Only attributes are touched, never text: in Vega's SVG output, text nodes and attribute values have `<`
 * and `>` escaped and attribute values have `"` escaped, so tags are exactly the `<...>` runs and attribute
 * values exactly the `"..."` runs inside them (chart text such as a dataset name may contain `id="clip1"`).
 */
const TAG = /<[^<>]+>/g;
const ATTR = /(\s)([A-Za-z_:][-A-Za-z0-9_:.]*)="([^"]*)"/g;
/** Attributes whose value may hold `url(#id)` (SVG presentation attributes that reference paint servers etc.). */
const URL_ATTRS = new Set(['clip-path', 'fill', 'stroke', 'mask', 'filter', 'marker-start', 'marker-mid', 'marker-end', 'style']);

export function scopeSvgIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const tag of svg.match(TAG) ?? []) {
    for (const m of tag.matchAll(ATTR)) if (m[2] === 'id' && !ids.has(m[3])) ids.set(m[3], `${prefix}-${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg.replace(TAG, (tag) =>
    tag.replace(ATTR, (whole, sp: string, name: string, value: string) => {
      if (name === 'id') return `${sp}id="${ids.get(value) ?? value}"`;
      if (name === 'href' || name === 'xlink:href') return value.startsWith('#') && ids.has(value.slice(1)) ? `${sp}${name}="#${ids.get(value.slice(1))}"` : whole;
      if (URL_ATTRS.has(name)) return `${sp}${name}="${value.replace(/url\(#([^)]+)\)/g, (u, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : u))}"`;
      return whole;
    }),
  );
}
