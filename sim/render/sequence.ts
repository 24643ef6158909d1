import { familyOf } from '../../src/ports/trace-events.ts';
import type { DigestEvent, RequestTrail } from './digest.ts';
import { arrowMarker, fmt, renderSvg } from './svg.ts';

/**
 * A sequence (Lamport) diagram of one sampled request, as Maelstrom draws them from its network
 * journal: one lifeline per layer or backend the request touched, time flowing down, one row per
 * event of the request (every event carries its `id`), an arrow where the request moves from one
 * lifeline to another. Upstream attempts show the attempt trail: which model, and why the policy
 * moved on (`next`: retry, fallback, cooldown, exhausted).
 */

/** Lifelines in the order of the request path; families not listed follow in order of appearance. */
const ORDER: readonly string[] = [
  'client',
  'gateway',
  'token-bucket',
  'redis-limiter',
  'sentinel',
  'chat-history',
  'cache',
  'coalesce',
  'executor',
  'upstream',
];

const COL = 96;
const ROW = 26;
const LEFT = 70;
const TOP = 56;
/** Room for the event labels right of the lifelines; longer labels end in `…`. */
const LABEL_WIDTH = 520;
const LABEL_CHARS_MAX = 90;

/** The lifelines of a trail, in path order. */
export function lifelines(events: readonly DigestEvent[]): string[] {
  const seen = [...new Set(events.map((e) => familyOf(e.c)))];
  const known = ORDER.filter((f) => seen.includes(f));
  return [...known, ...seen.filter((f) => !ORDER.includes(f))];
}

/** The text beside an event: its kind and the fields a reader needs (not `id`). */
export function eventLabel(e: DigestEvent): string {
  const keys = [
    'outcome',
    'servedBy',
    'by',
    'tier',
    'model',
    'n',
    'status',
    'next',
    'error',
    'reason',
    'ms',
    'waitedMs',
  ];
  const parts = keys.filter((k) => e[k] !== undefined).map((k) => `${k}=${String(e[k])}`);
  return parts.length === 0 ? e.k : `${e.k} ${parts.join(' ')}`;
}

function clip(text: string): string {
  return text.length <= LABEL_CHARS_MAX ? text : `${text.slice(0, LABEL_CHARS_MAX - 1)}…`;
}

export function sequenceId(trail: RequestTrail): string {
  return `sequence-${trail.id}`;
}

export function renderSequence(trail: RequestTrail): string {
  const lanes = lifelines(trail.events);
  const width = LEFT + COL * lanes.length + LABEL_WIDTH;
  const height = TOP + ROW * trail.events.length + 30;
  const t0 = trail.events[0]?.t ?? 0;
  const x = (family: string) => LEFT + COL * lanes.indexOf(family) + COL / 2;
  const title = `Request ${trail.id} (${trail.why}): ${trail.outcome} in ${fmt(trail.ms)} ms`;
  return renderSvg(sequenceId(trail), { width, height }, title, (svg) => {
    const marker = arrowMarker(svg);
    svg.append('text').attr('x', 10).attr('y', 16).attr('font-weight', 'bold').text(title);
    lanes.forEach((lane) => {
      const g = svg.append('g').attr('class', 'lifeline').attr('data-lifeline', lane);
      g.append('text')
        .attr('x', x(lane))
        .attr('y', TOP - 18)
        .attr('text-anchor', 'middle')
        .attr('font-weight', 'bold')
        .text(lane);
      g.append('line')
        .attr('x1', x(lane))
        .attr('x2', x(lane))
        .attr('y1', TOP - 10)
        .attr('y2', height - 10)
        .attr('stroke', '#999')
        .attr('stroke-dasharray', '4,3');
    });
    let previous: string | undefined;
    trail.events.forEach((e, i) => {
      const lane = familyOf(e.c);
      const y = TOP + ROW * i + ROW / 2;
      const g = svg.append('g').attr('class', 'event').attr('data-kind', e.k).attr('data-lifeline', lane);
      g.append('text')
        .attr('x', 6)
        .attr('y', y + 4)
        .attr('font-size', 10)
        .attr('fill', '#555')
        .text(`+${fmt(e.t - t0)} ms`);
      if (previous !== undefined && previous !== lane) {
        g.append('line')
          .attr('class', 'message')
          .attr('x1', x(previous))
          .attr('y1', y - ROW)
          .attr('x2', x(lane))
          .attr('y2', y - 4)
          .attr('stroke', '#444')
          .attr('marker-end', marker);
      }
      const failed =
        /failed|refused|blocked|limited|error/.test(e.k) || e.outcome === 'failed' || e.outcome === 'refused';
      g.append('circle')
        .attr('cx', x(lane))
        .attr('cy', y)
        .attr('r', 4)
        .attr('fill', failed ? '#D9534F' : '#1F77B4');
      g.append('text')
        .attr('x', LEFT + COL * lanes.length + 4)
        .attr('y', y + 4)
        .attr('font-size', 10)
        .text(clip(`${e.c} ${eventLabel(e)}`));
      previous = lane;
    });
  });
}
