import { createRequire } from 'node:module';
import { type Selection, select } from 'd3';
import type { JSDOM as JsdomClass } from 'jsdom';

/**
 * Headless SVG with d3 7 on jsdom 27, deterministic: the same input gives the same bytes. Each
 * chart's ids are namespaced by the chart's id (`<chartId>-arrow`), numbers go through the fixed
 * formats below, and the font family is set on every root SVG (resvg ignores a generic family and
 * the `font:` shorthand: thx/resvg-js PR #208, #404).
 */

/** The one font family every chart names (Debian `fonts-dejavu-core`). */
export const FONT_FAMILY = 'DejaVu Sans';

export type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
export type G = Selection<SVGGElement, unknown, null, undefined>;

let shared: Document | undefined;

/**
 * One jsdom document for every chart of the process; charts are drawn into detached holders.
 * jsdom is required here, at the first chart, not imported: every `hasim` command loads this
 * module through the verb table, and jsdom costs about 1 s of CPU and 75 MB at load.
 */
function documentOnce(): Document {
  if (shared === undefined) {
    const { JSDOM } = createRequire(import.meta.url)('jsdom') as { JSDOM: typeof JsdomClass };
    shared = new JSDOM('<!DOCTYPE html><html><body></body></html>').window.document;
  }
  return shared;
}

/**
 * Renders one standalone SVG: `draw` gets the root (`id`, `viewBox`, `font-family` set, a `<title>`)
 * and returns nothing; the result is the SVG's markup with its `xmlns`.
 */
export function renderSvg(
  id: string,
  size: { readonly width: number; readonly height: number },
  title: string,
  draw: (svg: Svg) => void,
): string {
  const holder = documentOnce().createElement('div');
  const svg: Svg = select(holder)
    .append('svg')
    .attr('xmlns', 'http://www.w3.org/2000/svg')
    .attr('id', id)
    .attr('class', 'hasim-chart')
    .attr('viewBox', `0 0 ${size.width} ${size.height}`)
    .attr('width', size.width)
    .attr('height', size.height)
    .attr('font-family', FONT_FAMILY)
    .attr('font-size', 11);
  svg.append('title').text(title);
  draw(svg);
  return holder.innerHTML;
}

/** An arrow-head marker, id `<chartId>-arrow`; returns `url(#...)` for `marker-end`. */
export function arrowMarker(svg: Svg, color = '#444'): string {
  const id = `${svg.attr('id')}-arrow`;
  svg
    .append('defs')
    .append('marker')
    .attr('id', id)
    .attr('viewBox', '0 0 10 10')
    .attr('refX', 9)
    .attr('refY', 5)
    .attr('markerWidth', 7)
    .attr('markerHeight', 7)
    .attr('orient', 'auto-start-reverse')
    .append('path')
    .attr('d', 'M0,0L10,5L0,10z')
    .attr('fill', color);
  return `url(#${id})`;
}

/** A number with at most `digits` decimals, trailing zeros dropped; `–` for null. */
export function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const fixed = v.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** An integer with thin groups: 12345 → `12,345`. */
export function fmtInt(v: number): string {
  const s = String(Math.round(Math.abs(v))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return v < 0 ? `-${s}` : s;
}

/** Simulated ms as seconds: 12500 → `12.5 s`. */
export function fmtSeconds(ms: number): string {
  return `${fmt(ms / 1000, 3)} s`;
}

/** A fixed colour per fault kind (Jepsen's perf bands give each nemesis its own colour). */
export const FAULT_COLORS: Readonly<Record<string, string>> = {
  crash: '#E9A0A0',
  freeze: '#A0C8E9',
  partition: '#E9DCA0',
  slow: '#C8A0E9',
  'stop-io-thread': '#B4A7D6',
  'stop-sql-thread': '#A2C4C9',
  outage: '#F4B183',
  slowdown: '#B6D7A8',
  'rate-limit-storm': '#FFD966',
  'fail-next': '#F8CECC',
};

export function faultColor(kind: string): string {
  return FAULT_COLORS[kind] ?? '#CCCCCC';
}

/** Sentinel breaker states (Sentinel 1.8 `CircuitBreaker.State`). */
export const STATE_COLORS: Readonly<Record<string, string>> = {
  CLOSED: '#5BA55B',
  OPEN: '#D9534F',
  HALF_OPEN: '#F0AD4E',
  /** Many changes, each under a pixel wide, drawn as one stretch. */
  FLAPPING: '#A05C8C',
};

/**
 * A degrade rule's grade as Sentinel 1.8 names it (`RuleConstant.DEGRADE_GRADE_RT` = 0,
 * `DEGRADE_GRADE_EXCEPTION_RATIO` = 1, `DEGRADE_GRADE_EXCEPTION_COUNT` = 2); other text as given.
 */
export function gradeName(grade: string): string {
  return { '0': 'RT', '1': 'EXCEPTION_RATIO', '2': 'EXCEPTION_COUNT' }[grade] ?? grade;
}

export function stateColor(state: string): string {
  return STATE_COLORS[state] ?? '#999999';
}

/** Line colours for series, in order. */
export const SERIES_COLORS: readonly string[] = [
  '#1F77B4',
  '#FF7F0E',
  '#2CA02C',
  '#D62728',
  '#9467BD',
  '#8C564B',
  '#E377C2',
  '#7F7F7F',
];

export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length] ?? '#000000';
}

/** A box with a centred label (and optional smaller lines below it). */
export function box(
  g: G | Svg,
  at: { x: number; y: number; width: number; height: number },
  label: string,
  options: { fill?: string; stroke?: string; lines?: readonly string[]; cls?: string } = {},
): void {
  const node = g.append('g').attr('class', options.cls ?? 'node');
  node
    .append('rect')
    .attr('x', at.x)
    .attr('y', at.y)
    .attr('width', at.width)
    .attr('height', at.height)
    .attr('rx', 6)
    .attr('fill', options.fill ?? '#F5F5F5')
    .attr('stroke', options.stroke ?? '#555');
  const lines = options.lines ?? [];
  const top = at.y + at.height / 2 - (lines.length * 12) / 2 + 4;
  node
    .append('text')
    .attr('x', at.x + at.width / 2)
    .attr('y', top)
    .attr('text-anchor', 'middle')
    .attr('font-weight', 'bold')
    .text(label);
  lines.forEach((line, i) => {
    node
      .append('text')
      .attr('x', at.x + at.width / 2)
      .attr('y', top + 13 * (i + 1))
      .attr('text-anchor', 'middle')
      .attr('font-size', 10)
      .text(line);
  });
}

/** A straight arrow from (x1,y1) to (x2,y2), with an optional label at its middle. */
export function arrow(
  g: G | Svg,
  from: readonly [number, number],
  to: readonly [number, number],
  marker: string,
  label?: string,
  cls = 'edge',
  labelAt: { readonly dx: number; readonly dy: number; readonly anchor: 'start' | 'middle' | 'end' } = {
    dx: 4,
    dy: -4,
    anchor: 'start',
  },
): void {
  const e = g.append('g').attr('class', cls);
  e.append('line')
    .attr('x1', from[0])
    .attr('y1', from[1])
    .attr('x2', to[0])
    .attr('y2', to[1])
    .attr('stroke', '#444')
    .attr('marker-end', marker);
  if (label !== undefined) {
    e.append('text')
      .attr('x', (from[0] + to[0]) / 2 + labelAt.dx)
      .attr('y', (from[1] + to[1]) / 2 + labelAt.dy)
      .attr('text-anchor', labelAt.anchor)
      .attr('font-size', 10)
      .text(label);
  }
}
