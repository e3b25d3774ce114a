// Charts: vega-lite specs compiled by vega-lite, rendered to SVG headlessly by vega, rasterized
// to PNG by resvg. All three are dev dependencies, loaded only when a chart is drawn.

let libraries;

/** { vega, vl, Resvg }, or null when the charting dev dependencies are not installed. */
export async function chartLibraries() {
  if (libraries !== undefined) return libraries;
  try {
    const [vega, vl, resvg] = await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]);
    libraries = { vega, vl, Resvg: resvg.Resvg ?? resvg.default.Resvg };
  } catch {
    libraries = null;
  }
  return libraries;
}

/** A vega-lite spec as an SVG string. */
export async function renderSvg(spec) {
  const libs = await chartLibraries();
  if (libs === null) throw new Error('vega and vega-lite are not installed');
  const { vega, vl } = libs;
  const compiled = vl.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec }).spec;
  return new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
}

/** An SVG string as PNG bytes at `scale` times its size, on a white background. */
export async function svgToPng(svg, scale = 2) {
  const libs = await chartLibraries();
  if (libs === null) throw new Error('@resvg/resvg-js is not installed');
  const resvg = new libs.Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
