import { countOf } from './counts.ts';
import type { RunDigest } from './digest.ts';
import { arrow, arrowMarker, box, fmtInt, gradeName, renderSvg, type Svg, stateColor } from './svg.ts';
import { breakerRows } from './timeseries.ts';

/**
 * The article's diagram 1: Sentinel circuit breaking and flow control. The breaker's state machine
 * (Sentinel 1.8 `AbstractCircuitBreaker`: CLOSED → OPEN when a rule's threshold is exceeded,
 * OPEN → HALF_OPEN when `timeWindow` has elapsed and a call arrives, HALF_OPEN → CLOSED or back to
 * OPEN on that probe's outcome), annotated with the scenario's rules and how often each transition
 * happened in the run.
 */

export const BREAKER_ID = 'diagram-breaker';

const W = 760;

/** Transition counts `prev→next` over every breaker of the run. */
export function transitionCounts(d: RunDigest): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of d.breaker) counts.set(`${c.prev}→${c.next}`, (counts.get(`${c.prev}→${c.next}`) ?? 0) + 1);
  return counts;
}

function ruleText(rule: Readonly<Record<string, string | number>>): string {
  return Object.entries(rule)
    .filter(([k]) => k !== 'resource')
    .map(([k, v]) => `${k} ${k === 'grade' ? gradeName(String(v)) : v}`)
    .join(', ');
}

export function renderBreakerDiagram(d: RunDigest): string {
  const sentinel = d.topology?.sentinel;
  const lines = [
    ...(sentinel?.degradeRules ?? []).map((r) => `DegradeRule: ${ruleText(r)}`),
    ...(sentinel?.flowRules ?? []).map((r) => `FlowRule: ${ruleText(r)}`),
  ];
  if (lines.length === 0) lines.push('No rules in the topology');
  const top = 70 + 14 * lines.length;
  const rows = breakerRows(d.breaker);
  const height = top + 250 + 14 * rows.length;
  return renderSvg(BREAKER_ID, { width: W, height }, 'Sentinel circuit breaking and flow control', (svg) => {
    svg
      .append('text')
      .attr('x', 10)
      .attr('y', 18)
      .attr('font-weight', 'bold')
      .text(`Sentinel: resource ${sentinel?.resource ?? '(none in the topology)'}`);
    const rules = svg.append('g').attr('class', 'rules');
    lines.forEach((text, i) => {
      rules
        .append('text')
        .attr('class', 'rule')
        .attr('x', 10)
        .attr('y', 38 + 14 * i)
        .attr('font-size', 10)
        .text(text);
    });
    stateMachine(svg, d, top);
    // Sentinel's own `block` and the gateway layer's `blocked` report the same refusal twice in a
    // gateway run; a Sentinel used alone reports only `block`.
    const blocked = Math.max(countOf(d, 'sentinel', 'blocked'), countOf(d, 'sentinel', 'block'));
    const fallback = countOf(d, 'sentinel', 'fallback');
    svg
      .append('text')
      .attr('class', 'flow-summary')
      .attr('x', 10)
      .attr('y', top + 236)
      .text(
        `In this run: ${fmtInt(d.breaker.length)} transitions, ${fmtInt(blocked)} calls blocked by a rule, ${fmtInt(fallback)} answered by the fallback`,
      );
    // Each breaker (one per degrade rule) on its own line: the edges of the state machine sum them.
    rows.forEach((row, i) => {
      const per = new Map<string, number>();
      for (const c of row.changes) per.set(`${c.prev}→${c.next}`, (per.get(`${c.prev}→${c.next}`) ?? 0) + 1);
      const parts = [...per.entries()].map(([k, n]) => `${k} ×${fmtInt(n)}`).join(', ');
      svg
        .append('text')
        .attr('class', 'breaker-line')
        .attr('x', 20)
        .attr('y', top + 252 + 14 * i)
        .attr('font-size', 10)
        .text(`${row.resource} (${gradeName(row.grade)}): ${parts}`);
    });
  });
}

/** The three states and four transitions, each edge labelled with how often the run took it. */
function stateMachine(svg: Svg, d: RunDigest, top: number): void {
  const counts = transitionCounts(d);
  const times = (from: string, to: string) => `×${fmtInt(counts.get(`${from}→${to}`) ?? 0)}`;
  const marker = arrowMarker(svg);
  const closed = { x: 40, y: top, width: 150, height: 56 };
  const open = { x: W - 190, y: top, width: 150, height: 56 };
  const half = { x: W / 2 - 75, y: top + 150, width: 150, height: 56 };
  const entered = (s: string) => d.breaker.filter((c) => c.next === s).length;
  for (const [state, at] of [
    ['CLOSED', closed],
    ['OPEN', open],
    ['HALF_OPEN', half],
  ] as const) {
    box(svg, at, state, {
      fill: stateColor(state),
      cls: `node state-${state}`,
      lines: [`entered ×${fmtInt(entered(state))}`],
    });
  }
  arrow(
    svg,
    [closed.x + closed.width, closed.y + 16],
    [open.x, open.y + 16],
    marker,
    `threshold exceeded ${times('CLOSED', 'OPEN')}`,
    'edge edge-CLOSED-OPEN',
  );
  arrow(
    svg,
    [open.x + 40, open.y + open.height],
    [half.x + half.width - 20, half.y],
    marker,
    `timeWindow elapsed, a call probes ${times('OPEN', 'HALF_OPEN')}`,
    'edge edge-OPEN-HALF_OPEN',
    { dx: 14, dy: 4, anchor: 'start' },
  );
  arrow(
    svg,
    [half.x + half.width - 50, half.y],
    [open.x + 10, open.y + open.height],
    marker,
    `probe fails ${times('HALF_OPEN', 'OPEN')}`,
    'edge edge-HALF_OPEN-OPEN',
    { dx: -14, dy: -4, anchor: 'end' },
  );
  arrow(
    svg,
    [half.x, half.y + half.height / 2],
    [closed.x + closed.width / 2, closed.y + closed.height],
    marker,
    `probe succeeds ${times('HALF_OPEN', 'CLOSED')}`,
    'edge edge-HALF_OPEN-CLOSED',
  );
}
