import { line, type ScaleLinear, scaleLinear } from 'd3';
import type { BreakerChange, CooldownSpan, FaultBand, FaultMark, RunDigest } from './digest.ts';
import {
  faultColor,
  fmt,
  fmtInt,
  type G,
  gradeName,
  renderSvg,
  type Svg,
  seriesColor,
  stateColor,
} from './svg.ts';

/**
 * The run's time series on one shared time axis (simulated seconds), one panel under another, with
 * the faults drawn on every panel as in Jepsen's perf plots (jepsen/checker/perf.clj
 * `with-nemeses`): one band row per fault kind, a vertical line at each start and stop. The breaker
 * panel is a state timeline (Grafana's state-timeline panel), half-open included.
 *
 * Every panel carries a `line.cursor` the report's scrubber moves; the root SVG's `data-x0`,
 * `data-x1` and `data-t1` map the cursor's x to simulated ms.
 */

export const TIMESERIES_ID = 'timeseries';

const WIDTH = 960;
const LEFT = 64;
const RIGHT = 150;
const PANEL = 110;
const GAP = 34;
const TOP = 40;

interface LinePanel {
  readonly kind: 'lines';
  readonly title: string;
  readonly unit: string;
  readonly series: readonly { readonly name: string; readonly values: readonly (number | null)[] }[];
}

interface StatePanel {
  readonly kind: 'states';
  readonly title: string;
  readonly rows: readonly BreakerRow[];
}

interface SpanPanel {
  readonly kind: 'spans';
  readonly title: string;
  readonly rows: readonly { readonly name: string; readonly spans: readonly CooldownSpan[] }[];
}

type Panel = LinePanel | StatePanel | SpanPanel;

/** The panels drawn for a digest, in order; panels with nothing to show are left out. */
export function panelsOf(d: RunDigest): Panel[] {
  const s = d.series;
  const perSecond = (a: readonly number[]) => a.map((v) => (v * 1000) / s.bucketMs);
  const nonZero = (a: readonly (number | null)[]) => a.some((v) => v !== null && v !== 0);
  const panels: Panel[] = [
    {
      kind: 'lines',
      title: 'Throughput',
      unit: 'responses/s',
      series: [
        { name: 'all', values: perSecond(s.responses) },
        { name: 'ok', values: perSecond(s.ok) },
      ],
    },
    {
      kind: 'lines',
      title: 'Latency',
      unit: 'ms',
      series: [
        { name: 'p50', values: s.p50 },
        { name: 'p99', values: s.p99 },
      ],
    },
  ];
  const bad = (
    [
      ['failed', s.failed],
      ['limited', s.limited],
      ['blocked', s.blocked],
      ['refused', s.refused],
      ['fallback', s.fallback],
    ] as const
  ).filter(([, v]) => nonZero(v));
  if (bad.length > 0)
    panels.push({
      kind: 'lines',
      title: 'Errors, limited, blocked, refused, fallback',
      unit: '/s',
      series: bad.map(([name, v]) => ({ name, values: perSecond(v) })),
    });
  const tiers = Object.entries(s.tiers).filter(
    ([name]) => name !== 'upstream' || Object.keys(s.tiers).length > 1,
  );
  if (tiers.length > 0)
    panels.push({
      kind: 'lines',
      title: 'Answers per tier',
      unit: '/s',
      series: tiers.map(([name, v]) => ({ name, values: perSecond(v) })),
    });
  panels.push({
    kind: 'lines',
    title: 'In flight',
    unit: 'requests',
    series: [{ name: 'in flight', values: s.inflight }],
  });
  const rows = breakerRows(d.breaker);
  if (rows.length > 0)
    panels.push({
      kind: 'states',
      title: 'Breaker state (green CLOSED, red OPEN, amber HALF_OPEN, purple: changes under a pixel apart)',
      rows,
    });
  const models = [...new Set(d.cooldowns.map((c) => c.model))].sort();
  if (models.length > 0)
    panels.push({
      kind: 'spans',
      title: 'Provider cooldowns',
      rows: models.map((name) => ({ name, spans: d.cooldowns.filter((c) => c.model === name) })),
    });
  return panels;
}

/** One breaker's row of the state timeline. */
export interface BreakerRow {
  /** `resource (grade)`: the scrubber names breakers the same way. */
  readonly name: string;
  readonly resource: string;
  readonly grade: string;
  readonly changes: readonly BreakerChange[];
}

/** One state-timeline row per breaker, in order of first transition. */
export function breakerRows(changes: readonly BreakerChange[]): BreakerRow[] {
  const rows = new Map<string, { resource: string; grade: string; changes: BreakerChange[] }>();
  for (const c of changes) {
    const name = `${c.resource} (${c.grade})`;
    const row = rows.get(name) ?? { resource: c.resource, grade: c.grade, changes: [] };
    row.changes.push(c);
    rows.set(name, row);
  }
  return [...rows.entries()].map(([name, row]) => ({ name, ...row }));
}

/** Fault kinds with a band row, sorted: the verbs that started a band. */
export function bandKinds(bands: readonly FaultBand[]): string[] {
  return [...new Set(bands.map((b) => b.kind))].sort();
}

/** The time-series SVG. */
export function renderTimeseries(d: RunDigest): string {
  const panels = panelsOf(d);
  const heights = panels.map((p) => (p.kind === 'lines' ? PANEL : Math.max(40, 30 * p.rows.length)));
  const height = TOP + heights.reduce((a, h) => a + h + GAP, 0) + 10;
  const x = scaleLinear()
    .domain([0, Math.max(1, d.endMs)])
    .range([LEFT, WIDTH - RIGHT]);
  return renderSvg(TIMESERIES_ID, { width: WIDTH, height }, 'Time series with fault bands', (svg) => {
    svg
      .attr('data-x0', LEFT)
      .attr('data-x1', WIDTH - RIGHT)
      .attr('data-t1', d.endMs);
    faultLegend(svg, bandKinds(d.bands));
    let top = TOP;
    panels.forEach((p, i) => {
      const h = heights[i] ?? PANEL;
      const g = svg
        .append('g')
        .attr('class', 'panel')
        .attr('data-panel', p.title)
        .attr('transform', `translate(0,${top})`);
      g.append('text').attr('x', LEFT).attr('y', -8).attr('font-weight', 'bold').text(p.title);
      faultBands(g, d.bands, d.faults, x, h, d.endMs);
      if (p.kind === 'lines') linePanel(g, p, d, x, h);
      else if (p.kind === 'states') statePanel(g, p, x, h, d.endMs);
      else spanPanel(g, p, x, h);
      timeAxis(g, x, h);
      g.append('line')
        .attr('class', 'cursor')
        .attr('x1', LEFT)
        .attr('x2', LEFT)
        .attr('y1', 0)
        .attr('y2', h)
        .attr('stroke', '#000')
        .attr('stroke-width', 1.5)
        .attr('visibility', 'hidden');
      top += h + GAP;
    });
  });
}

function faultLegend(svg: Svg, kinds: readonly string[]): void {
  const g = svg.append('g').attr('class', 'fault-legend');
  g.append('text')
    .attr('x', LEFT)
    .attr('y', 14)
    .text(kinds.length === 0 ? 'No faults in this run' : 'Faults:');
  kinds.forEach((kind, i) => {
    const x0 = LEFT + 50 + i * 120;
    g.append('rect')
      .attr('x', x0)
      .attr('y', 4)
      .attr('width', 14)
      .attr('height', 12)
      .attr('fill', faultColor(kind));
    g.append('text')
      .attr('x', x0 + 18)
      .attr('y', 14)
      .text(kind);
  });
}

/** Band rows (one per fault kind, the panel's height split between them) and a line per fault event. */
function faultBands(
  g: G,
  bands: readonly FaultBand[],
  marks: readonly FaultMark[],
  x: ScaleLinear<number, number>,
  h: number,
  endMs: number,
): void {
  const kinds = bandKinds(bands);
  const rowH = kinds.length === 0 ? h : h / kinds.length;
  const layer = g.append('g').attr('class', 'faults');
  for (const b of bands) {
    const row = kinds.indexOf(b.kind);
    const x0 = x(b.startMs);
    const x1 = x(b.endMs ?? endMs);
    layer
      .append('rect')
      .attr('class', 'fault-band')
      .attr('data-kind', b.kind)
      .attr('data-target', b.target)
      .attr('x', fmt(x0))
      .attr('y', fmt(row * rowH))
      .attr('width', fmt(Math.max(1, x1 - x0)))
      .attr('height', fmt(rowH))
      .attr('fill', faultColor(b.kind))
      .attr('fill-opacity', 0.45)
      .append('title')
      .text(`${b.kind} ${b.target}`);
  }
  for (const m of marks) {
    layer
      .append('line')
      .attr('class', 'fault-line')
      .attr('data-verb', m.verb)
      .attr('x1', fmt(x(m.t)))
      .attr('x2', fmt(x(m.t)))
      .attr('y1', 0)
      .attr('y2', h)
      .attr('stroke', '#666')
      .attr('stroke-dasharray', '3,2')
      .append('title')
      .text(`${fmt(m.t / 1000, 3)} s ${m.verb} ${m.target}`);
  }
}

function linePanel(g: G, p: LinePanel, d: RunDigest, x: ScaleLinear<number, number>, h: number): void {
  const max = Math.max(1, ...p.series.flatMap((s) => s.values.map((v) => v ?? 0)));
  const y = scaleLinear().domain([0, max]).nice(4).range([h, 0]);
  const bucketMs = d.series.bucketMs;
  for (const t of y.ticks(4)) {
    g.append('line')
      .attr('x1', LEFT)
      .attr('x2', WIDTH - RIGHT)
      .attr('y1', fmt(y(t)))
      .attr('y2', fmt(y(t)))
      .attr('stroke', '#E5E5E5');
    g.append('text')
      .attr('x', LEFT - 6)
      .attr('y', fmt(y(t) + 4))
      .attr('text-anchor', 'end')
      .attr('font-size', 10)
      .text(fmtInt(t));
  }
  g.append('text')
    .attr('x', 4)
    .attr('y', h / 2)
    .attr('font-size', 10)
    .attr('fill', '#555')
    .text(p.unit);
  p.series.forEach((s, i) => {
    // A bucket's value is drawn at the middle of the bucket; empty buckets break the line.
    const points = s.values.map((v, b) => [x(b * bucketMs + bucketMs / 2), v] as const);
    const path = line<readonly [number, number | null]>()
      .defined(([, v]) => v !== null)
      .x(([px]) => px)
      .y(([, v]) => y(v ?? 0))
      .digits(1)(points);
    g.append('path')
      .attr('class', 'series')
      .attr('data-series', s.name)
      .attr('d', path ?? '')
      .attr('fill', 'none')
      .attr('stroke', seriesColor(i))
      .attr('stroke-width', 1.5);
    g.append('text')
      .attr('x', WIDTH - RIGHT + 8)
      .attr('y', 12 + 14 * i)
      .attr('fill', seriesColor(i))
      .text(s.name);
  });
}

/** A stretch of one state on the timeline, in ms. */
interface Segment {
  readonly state: string;
  readonly from: number;
  readonly to: number;
}

/**
 * A breaker's segments, with runs of two or more that are each under a pixel wide merged into one
 * `FLAPPING` segment (a breaker flapping thousands of times would otherwise be thousands of rects).
 */
export function stateSegments(
  changes: readonly BreakerChange[],
  endMs: number,
  msPerPixel: number,
): (Segment & { readonly changes: number })[] {
  const raw: Segment[] = [];
  let state = changes[0]?.prev ?? 'CLOSED';
  let from = 0;
  for (const c of changes) {
    raw.push({ state, from, to: c.t });
    state = c.next;
    from = c.t;
  }
  raw.push({ state, from, to: Math.max(from, endMs) });
  const out: (Segment & { changes: number })[] = [];
  let run: Segment[] = [];
  const flush = () => {
    const first = run[0];
    const last = run[run.length - 1];
    if (first !== undefined && last !== undefined) {
      if (run.length === 1) out.push({ ...first, changes: 1 });
      else out.push({ state: 'FLAPPING', from: first.from, to: last.to, changes: run.length });
    }
    run = [];
  };
  for (const seg of raw) {
    if (seg.to - seg.from < msPerPixel) {
      run.push(seg);
      continue;
    }
    flush();
    out.push({ ...seg, changes: 1 });
  }
  flush();
  return out;
}

function statePanel(g: G, p: StatePanel, x: ScaleLinear<number, number>, h: number, endMs: number): void {
  const rowH = h / Math.max(1, p.rows.length);
  const msPerPixel = (x.domain()[1] ?? 1) / Math.max(1, (x.range()[1] ?? 1) - (x.range()[0] ?? 0));
  p.rows.forEach((row, i) => {
    const r = g.append('g').attr('class', 'state-row').attr('data-breaker', row.name);
    for (const seg of stateSegments(row.changes, endMs, msPerPixel)) {
      const what = seg.state === 'FLAPPING' ? `${seg.changes} states` : seg.state;
      r.append('rect')
        .attr('class', 'state')
        .attr('data-state', seg.state)
        .attr('x', fmt(x(seg.from)))
        .attr('y', fmt(i * rowH + 2))
        // A state held for no time (HALF_OPEN whose probe failed at once) still shows: 2 px at least.
        .attr('width', fmt(Math.max(seg.state === 'CLOSED' ? 0.5 : 2, x(seg.to) - x(seg.from))))
        .attr('height', fmt(rowH - 4))
        .attr('fill', stateColor(seg.state))
        .append('title')
        .text(`${what} ${fmt(seg.from / 1000, 3)}–${fmt(seg.to / 1000, 3)} s`);
    }
    const label = g
      .append('text')
      .attr('x', WIDTH - RIGHT + 8)
      .attr('font-size', 10);
    label
      .append('tspan')
      .attr('x', WIDTH - RIGHT + 8)
      .attr('y', fmt(i * rowH + rowH / 2 - 2))
      .text(row.resource);
    label
      .append('tspan')
      .attr('x', WIDTH - RIGHT + 8)
      .attr('y', fmt(i * rowH + rowH / 2 + 10))
      .text(`(${gradeName(row.grade)})`);
  });
}

/** One row per deployment: a bar while it is out of rotation, titled with the reason. */
function spanPanel(g: G, p: SpanPanel, x: ScaleLinear<number, number>, h: number): void {
  const rowH = h / Math.max(1, p.rows.length);
  p.rows.forEach((row, i) => {
    const r = g.append('g').attr('class', 'span-row').attr('data-model', row.name);
    for (const c of row.spans) {
      r.append('rect')
        .attr('class', 'cooldown')
        .attr('x', fmt(x(c.startMs)))
        .attr('y', fmt(i * rowH + 2))
        .attr('width', fmt(Math.max(2, x(c.endMs) - x(c.startMs))))
        .attr('height', fmt(rowH - 4))
        .attr('fill', '#F0AD4E')
        .append('title')
        .text(
          `${row.name} cooling down ${fmt(c.startMs / 1000, 3)}–${fmt(c.endMs / 1000, 3)} s: ${c.reason}`,
        );
    }
    g.append('text')
      .attr('x', WIDTH - RIGHT + 8)
      .attr('y', fmt(i * rowH + rowH / 2 + 4))
      .attr('font-size', 10)
      .text(row.name);
  });
}

function timeAxis(g: G, x: ScaleLinear<number, number>, h: number): void {
  const axis = g.append('g').attr('class', 'axis').attr('transform', `translate(0,${h})`);
  axis
    .append('line')
    .attr('x1', LEFT)
    .attr('x2', WIDTH - RIGHT)
    .attr('stroke', '#333');
  for (const t of x.ticks(10)) {
    axis
      .append('line')
      .attr('x1', fmt(x(t)))
      .attr('x2', fmt(x(t)))
      .attr('y2', 4)
      .attr('stroke', '#333');
    axis
      .append('text')
      .attr('x', fmt(x(t)))
      .attr('y', 15)
      .attr('text-anchor', 'middle')
      .attr('font-size', 10)
      .text(`${fmt(t / 1000, 1)} s`);
  }
}
