import { renderBreakerDiagram } from '../../sim/render/breaker-diagram.ts';
import type { DigestEvent, RunDigest } from '../../sim/render/digest.ts';
import { renderLimitingDiagram } from '../../sim/render/limiting-diagram.ts';
import { renderMysqlDiagram } from '../../sim/render/mysql-diagram.ts';
import { renderRedisClusterDiagram } from '../../sim/render/redis-cluster-diagram.ts';
import { escapeHtml } from '../../sim/render/report.ts';
import { renderSequence } from '../../sim/render/sequence.ts';
import { fmt, fmtInt, gradeName } from '../../sim/render/svg.ts';
import { renderTimeseries } from '../../sim/render/timeseries.ts';

/**
 * What a notebook cell can show of a finished run: the report's own drawings (sim/render/), and
 * small HTML tables. Every SVG's ids are prefixed per figure, because one page may hold the same
 * chart of two runs (the article's variant and the fix) and ids must stay unique on the page.
 */

/** The figures a `show=` option may name. */
export const FIGURE_NAMES = [
  'expectations',
  'summary',
  'timeseries',
  'breaker',
  'redis-cluster',
  'mysql',
  'limiting',
  'sequence',
] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

export function isFigureName(s: string): s is FigureName {
  return (FIGURE_NAMES as readonly string[]).includes(s);
}

/**
 * Prefixes every `id` in an SVG (and each `url(#id)` and `href="#id"` pointing at one) with
 * `prefix`, so that several charts with the same ids can share one HTML page.
 */
export function prefixIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (m[1] !== undefined) ids.add(m[1]);
  return svg.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (whole, lead: string, id: string) =>
    ids.has(id) ? `${lead}${prefix}${id}` : whole,
  );
}

/** An HTML table; cells are text (escaped). */
export function tableHtml(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const th = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(cellText(c))}</td>`).join('')}</tr>`);
  return `<table>\n<tr>${th}</tr>\n${body.join('\n')}\n</table>`;
}

function cellText(c: unknown): string {
  if (typeof c === 'number') return Number.isInteger(c) ? fmtInt(c) : fmt(c, 3);
  if (c === null || c === undefined) return '–';
  return typeof c === 'string' ? c : JSON.stringify(c);
}

/** The expectation table, k6 style: ✓ or ✗, the expectation, what it measured. */
export function expectationsHtml(d: RunDigest): string {
  const { expectations, verdict } = d.run;
  if (expectations.length === 0) return '<p>This scenario states no expectations.</p>';
  const rows = expectations.map(
    (x) =>
      `<tr><td class="${x.ok ? 'ok' : 'fail'}">${x.ok ? '✓' : '✗'}</td><td>${escapeHtml(x.text)}</td><td>${escapeHtml(x.measured)}</td></tr>`,
  );
  return `<table class="expectations"><tr><th>${escapeHtml(verdict ?? '')}</th><th>expectation</th><th>measured</th></tr>\n${rows.join('\n')}\n</table>`;
}

/**
 * What the run did, from the scenario kind's report: requests and their outcomes, who answered,
 * latency, and each layer's counts. No wall time or memory: those vary from run to run.
 */
export function summaryHtml(report: Readonly<Record<string, unknown>>): string {
  const rows: [string, string][] = [];
  const n = (v: unknown) => (typeof v === 'number' ? fmtInt(v) : String(v));
  for (const key of ['requests', 'ok', 'refused', 'failed', 'timeout', 'rateLimited', 'serverError']) {
    if (key in report) rows.push([key, n(report[key])]);
  }
  const servedBy = report.servedBy as Record<string, number> | undefined;
  if (servedBy !== undefined)
    rows.push([
      'served by',
      Object.entries(servedBy)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(' · '),
    ]);
  const l = report.latencyMs as Record<string, number | null> | undefined;
  if (l !== undefined)
    rows.push([
      'latency',
      Object.entries(l)
        .map(([q, v]) => `${q} ${v === null ? '–' : `${n(v)} ms`}`)
        .join(' · '),
    ]);
  const layers = report.layers as Record<string, Record<string, number>> | undefined;
  for (const [family, kinds] of Object.entries(layers ?? {})) {
    rows.push([
      family,
      Object.entries(kinds)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(' · '),
    ]);
  }
  return tableHtml(['', ''], rows).replace('<tr><th></th><th></th></tr>\n', '');
}

/** One figure of a run, its ids prefixed with `prefix`. */
export function figureHtml(
  name: FigureName,
  d: RunDigest,
  report: Readonly<Record<string, unknown>>,
  prefix: string,
): string {
  switch (name) {
    case 'expectations':
      return expectationsHtml(d);
    case 'summary':
      return summaryHtml(report);
    case 'timeseries':
      return prefixIds(renderTimeseries(d), prefix);
    case 'breaker':
      return prefixIds(renderBreakerDiagram(d), prefix);
    case 'redis-cluster':
      return prefixIds(renderRedisClusterDiagram(d), prefix);
    case 'mysql':
      return prefixIds(renderMysqlDiagram(d), prefix);
    case 'limiting':
      return prefixIds(renderLimitingDiagram(d), prefix);
    case 'sequence':
      return d.trails
        .map(
          (t) =>
            `<figure><figcaption>Sampled request ${t.id}: ${escapeHtml(t.why)}</figcaption>\n${prefixIds(renderSequence(t), prefix)}</figure>`,
        )
        .join('\n');
  }
}

/** What every component's state was at `t` (ms): the report's scrubber panel, frozen at one instant. */
export function stateAtRows(d: RunDigest, t: number): [string, string][] {
  const rows: [string, string][] = [];
  const breakers = new Map<string, string>();
  for (const c of d.breaker) {
    const name = `breaker ${c.resource} (${gradeName(c.grade)})`;
    if (!breakers.has(name)) breakers.set(name, c.prev);
    if (c.t <= t) breakers.set(name, c.next);
  }
  for (const [name, state] of breakers) rows.push([name, state]);
  const faults = d.bands.filter((b) => b.startMs <= t && (b.endMs === null || t < b.endMs));
  rows.push(['faults active', faults.map((b) => `${b.kind} ${b.target}`).join(', ') || 'none']);
  const cooling = d.cooldowns.filter((c) => c.startMs <= t && t < c.endMs).map((c) => c.model);
  if (d.cooldowns.length > 0) rows.push(['providers cooling down', cooling.join(', ') || 'none']);
  const bucket = Math.min(d.series.buckets - 1, Math.floor(t / d.series.bucketMs));
  rows.push(['requests in flight', fmtInt(d.series.inflight[bucket] ?? 0)]);
  return rows;
}

/** A trace event as one table row: time, component, kind and its other fields. */
export function eventRow(e: DigestEvent): [string, string, string, string] {
  const { t, c, k, ...fields } = e;
  const rest = Object.entries(fields)
    .map(([key, v]) => `${key}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return [`${fmt(t / 1000, 3)} s`, c, k, rest.length > 160 ? `${rest.slice(0, 159)}…` : rest];
}
