import { axisBottom, axisLeft, line, scaleLinear, scaleLog } from 'd3';
import { fmt, renderSvg, seriesColor } from '../../sim/render/svg.ts';

/**
 * A small line chart for notebook cells (hit rate against cache size, admitted against offered
 * load): d3 on the renderers' headless document (sim/render/svg.ts), so the same fixed font, number
 * formats and id scheme as the report's charts.
 */
export interface LineChart {
  readonly title: string;
  readonly x: readonly number[];
  /** One line per name, one value per x (null: no point). */
  readonly series: Readonly<Record<string, readonly (number | null)[]>>;
  readonly xLabel: string;
  readonly yLabel: string;
  /** A logarithmic x axis (sizes spanning decades). @defaultValue false */
  readonly logX?: boolean;
  /** The y axis from 0 to this (e.g. 100 for percentages). @defaultValue the largest value */
  readonly yMax?: number;
}

const WIDTH = 640;
const HEIGHT = 300;
const MARGIN = { top: 34, right: 190, bottom: 42, left: 56 };
/** Up to this many x values, each gets a tick; past it, d3 chooses about 10. */
const X_TICKS_MAX = 12;

export function renderLineChart(id: string, c: LineChart): string {
  return renderSvg(id, { width: WIDTH, height: HEIGHT }, c.title, (svg) => {
    const xs = c.x;
    const values = Object.values(c.series).flatMap((s) => s.filter((v): v is number => v !== null));
    const yMax = c.yMax ?? Math.max(1, ...values);
    const first = xs[0] ?? 0;
    const last = xs[xs.length - 1] ?? 1;
    const x = (c.logX ? scaleLog() : scaleLinear())
      .domain([first, last])
      .range([MARGIN.left, WIDTH - MARGIN.right]);
    const y = scaleLinear()
      .domain([0, yMax])
      .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
    svg.append('text').attr('x', MARGIN.left).attr('y', 18).attr('font-weight', 'bold').text(c.title);
    svg
      .append('g')
      .attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`)
      .call(
        (xs.length <= X_TICKS_MAX ? axisBottom(x).tickValues([...xs]) : axisBottom(x).ticks(10)).tickFormat(
          (v) => fmt(Number(v), 2),
        ),
      );
    svg
      .append('g')
      .attr('transform', `translate(${MARGIN.left},0)`)
      .call(
        axisLeft(y)
          .ticks(5)
          .tickFormat((v) => fmt(Number(v), 1)),
      );
    svg
      .append('text')
      .attr('x', (MARGIN.left + WIDTH - MARGIN.right) / 2)
      .attr('y', HEIGHT - 8)
      .attr('text-anchor', 'middle')
      .text(c.xLabel);
    svg
      .append('text')
      .attr('transform', `translate(14,${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)`)
      .attr('text-anchor', 'middle')
      .text(c.yLabel);
    Object.entries(c.series).forEach(([name, ys], i) => {
      const points = xs.flatMap((v, j) => {
        const w = ys[j];
        return w === null || w === undefined ? [] : [[x(v), y(w)] as [number, number]];
      });
      svg
        .append('path')
        .attr('d', line()(points) ?? '')
        .attr('fill', 'none')
        .attr('stroke', seriesColor(i))
        .attr('stroke-width', 2);
      for (const [px, py] of points)
        svg.append('circle').attr('cx', px).attr('cy', py).attr('r', 3).attr('fill', seriesColor(i));
      svg
        .append('text')
        .attr('x', WIDTH - MARGIN.right + 10)
        .attr('y', MARGIN.top + 10 + i * 16)
        .attr('fill', seriesColor(i))
        .text(name);
    });
  });
}
