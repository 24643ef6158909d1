import type { RunDigest } from './digest.ts';
import { arrow, arrowMarker, box, fmt, renderSvg, type Svg } from './svg.ts';

/**
 * The article's diagram 2: the Redis Cluster. Masters with their slot ranges (16384 hash slots,
 * Redis cluster.c `CLUSTER_SLOTS`), each master's replicas under it, and what happened to them in
 * the run: crashed nodes, the failovers the fault timeline asked for, and the cluster's own events
 * about failovers and promotions (any `redis-cluster` kind naming a failover, promotion or epoch).
 */

export const REDIS_CLUSTER_ID = 'diagram-redis-cluster';

const W = 760;
const COL = 240;
/** A node box's height (room for five lines) and the step from one row of nodes to the next. */
const NODE_H = 80;
const STEP = 110;

type RedisNode = NonNullable<NonNullable<RunDigest['topology']>['redis']>['nodes'][number];

/** Whether a string field of the event names this node (its id or its fault target). */
function mentions(e: Readonly<Record<string, unknown>>, n: RedisNode): boolean {
  return Object.entries(e).some(
    ([k, v]) => k !== 'k' && typeof v === 'string' && (v === n.id || v === n.target),
  );
}

/** The lines under the diagram: the run's failovers and promotions, in time order. */
export function redisHappenings(d: RunDigest): string[] {
  const faults = d.faults
    .filter((f) => f.target.startsWith('redis/'))
    .map((f) => ({ t: f.t, text: `${f.verb} ${f.target}` }));
  const events = d.notable
    .filter((e) => e.c.startsWith('redis-cluster'))
    .map((e) => ({ t: e.t, text: `${e.k} ${e.c}${nodeField(e)}` }));
  return [...faults, ...events].sort((a, b) => a.t - b.t).map((x) => `${fmt(x.t / 1000, 3)} s  ${x.text}`);
}

function nodeField(e: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(e)
    .filter(([k, v]) => !['t', 'c', 'k'].includes(k) && (typeof v === 'string' || typeof v === 'number'))
    .map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

export function renderRedisClusterDiagram(d: RunDigest): string {
  const redis = d.topology?.redis;
  const masters = redis?.nodes.filter((n) => n.role === 'master') ?? [];
  const replicasOf = (m: RedisNode) =>
    redis?.nodes.filter((n) => n.role === 'replica' && n.replicaOf === m.id) ?? [];
  const depth = Math.max(1, ...masters.map((m) => replicasOf(m).length));
  const happenings = redisHappenings(d).slice(0, 20);
  const height = 140 + depth * STEP + 16 * happenings.length + 20;
  const width = Math.max(W, 20 + COL * masters.length);
  return renderSvg(
    REDIS_CLUSTER_ID,
    { width, height },
    'Redis Cluster: masters, replicas, slots, failovers',
    (svg) => {
      svg
        .append('text')
        .attr('x', 10)
        .attr('y', 18)
        .attr('font-weight', 'bold')
        .text(
          redis === undefined
            ? 'Redis Cluster: none in this run’s topology'
            : `Redis Cluster: ${masters.length} masters, ${redis.nodes.length - masters.length} replicas, cluster-node-timeout ${fmt(redis.nodeTimeoutMs)} ms`,
        );
      if (redis === undefined) return;
      const marker = arrowMarker(svg);
      masters.forEach((m, i) => {
        const x = 20 + COL * i;
        drawNode(svg, d, m, { x, y: 40, width: COL - 40, height: NODE_H });
        replicasOf(m).forEach((r, j) => {
          const y = 40 + STEP * (j + 1);
          drawNode(svg, d, r, { x, y, width: COL - 40, height: NODE_H });
          arrow(
            svg,
            [x + (COL - 40) / 2, 40 + NODE_H + STEP * j],
            [x + (COL - 40) / 2, y],
            marker,
            'replicates',
            'edge replication',
          );
        });
      });
      const list = svg.append('g').attr('class', 'happenings');
      const y0 = 40 + STEP * (depth + 1);
      list
        .append('text')
        .attr('x', 10)
        .attr('y', y0)
        .attr('font-weight', 'bold')
        .text(happenings.length === 0 ? 'No Redis faults or failovers in this run' : 'In this run:');
      happenings.forEach((text, i) => {
        list
          .append('text')
          .attr('class', 'happening')
          .attr('x', 20)
          .attr('y', y0 + 16 * (i + 1))
          .attr('font-size', 10)
          .text(text);
      });
    },
  );
}

function drawNode(
  svg: Svg,
  d: RunDigest,
  n: RedisNode,
  at: { x: number; y: number; width: number; height: number },
): void {
  const crashed = d.faults.some((f) => f.target === n.target && f.verb === 'crash');
  const failedOver =
    d.faults.some((f) => f.target === n.target && f.verb === 'failover') ||
    d.notable.some((e) => e.c.startsWith('redis-cluster') && /failover|promot/.test(e.k) && mentions(e, n));
  // sim/redis failover.ts: `promoted {node, replaces}` names the winner and the master it replaced.
  const promoted = d.notable.find((e) => e.k === 'promoted' && e.node === n.id);
  const replacedBy = d.notable.find((e) => e.k === 'promoted' && e.replaces === n.id);
  const slots = (n.slots ?? []).map(([a, b]) => `${a}–${b}`).join(', ');
  const lines = [n.target];
  if (slots !== '') lines.push(`slots ${slots}`);
  if (crashed) lines.push('crashed in this run');
  if (promoted !== undefined) lines.push(`promoted at ${fmt(promoted.t / 1000, 3)} s`);
  else if (replacedBy !== undefined) lines.push(`replaced by ${String(replacedBy.node)}`);
  else if (failedOver) lines.push('failover in this run');
  box(svg, at, `${n.role} ${n.id}`, {
    fill: n.role === 'master' ? '#FDE9D9' : '#EAF1FB',
    stroke: crashed ? '#D9534F' : failedOver ? '#F0AD4E' : '#555',
    cls: `node redis-${n.role}`,
    lines,
  });
}
