import type { VlSpec } from './charts';

type Vega = typeof import('vega');
// moduleResolution node does not read vega-lite's exports map: its declarations by path.
type VegaLite = typeof import('vega-lite/build/index');

/**
 * vega and vega-lite ship as ES modules only; this package compiles to CommonJS, whose `import()`
 * TypeScript would turn into require(). A real dynamic import keeps them loadable from Node 20.
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the one way to a real import() from CommonJS output
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;
let loaded: Promise<[Vega, VegaLite]> | null = null;

/** A vega-lite spec as an SVG string, rendered headless (vega's SVG string renderer needs no canvas). */
export async function renderSvg(spec: VlSpec): Promise<string> {
  loaded ??= Promise.all([importEsm<Vega>('vega'), importEsm<VegaLite>('vega-lite')]);
  const [vega, vl] = await loaded;
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
