/** Chart SVG ids: scoped per chart, independent of render order, references kept, text untouched. */
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../src/report/render.js';
import { qualityLatencySpec } from '../../src/report/specs.js';
import { metricInfos, qualityPoints } from '../../src/report/select.js';
import { scopeSvgIds } from '../../src/report/svg.js';
import { syntheticResults } from './fixture.js';

describe('scopeSvgIds', () => {
  it('renames defined ids and their references, leaves text and undefined ids alone', () => {
    const svg =
      '<svg><g clip-path="url(#clip7)" aria-label="a url(#clip7) id=&quot;clip7&quot;"><text>id="clip7" url(#clip7)</text>' +
      '<path fill="url(#gradient_2)" stroke="url(#other)"/><use href="#clip7"/></g><defs><clipPath id="clip7"><rect/></clipPath><linearGradient id="gradient_2"/></defs></svg>';
    expect(scopeSvgIds(svg, 'c')).toBe(
      '<svg><g clip-path="url(#c-1)" aria-label="a url(#clip7) id=&quot;clip7&quot;"><text>id="clip7" url(#clip7)</text>' +
        '<path fill="url(#c-2)" stroke="url(#other)"/><use href="#c-1"/></g><defs><clipPath id="c-1"><rect/></clipPath><linearGradient id="c-2"/></defs></svg>',
    );
  });

  it('an SVG without ids is returned as is', () => {
    expect(scopeSvgIds('<svg><rect width="1"/></svg>', 'x')).toBe('<svg><rect width="1"/></svg>');
  });

  it('makes repeated renders of a chart identical (Vega numbers clip paths process-wide)', async () => {
    const r = syntheticResults();
    const m = metricInfos(r);
    const spec = qualityLatencySpec(qualityPoints(r.results, m), m);
    const a = await renderSvg(spec);
    const b = await renderSvg(spec);
    expect(a).toMatch(/clip-path="url\(#clip\d+\)"/);
    expect(a).not.toBe(b); // Vega's raw output differs between renders...
    expect(scopeSvgIds(a, 'q')).toBe(scopeSvgIds(b, 'q')); // ...the scoped one does not.
    expect(scopeSvgIds(a, 'q')).toMatch(/clip-path="url\(#q-1\)"/);
    expect(scopeSvgIds(a, 'q')).toContain('id="q-1"');
  });
});
