import { join } from 'node:path';
import type { RunSummary } from '../../sim/run.ts';
import { group } from '../output.ts';

/**
 * The table `hasim run` prints at the end: what was simulated, what it cost, the report's counts.
 * `live` (hasim live): the first row is the scenario time the run took at its time scale.
 */
export function summaryTable(
  { result, cost }: RunSummary,
  outDir: string,
  live?: { readonly timeScale: number },
): string {
  const r = result.report as Record<string, unknown> & { latencyMs?: Record<string, number | null> };
  const n = (v: unknown) => (typeof v === 'number' ? group(v) : String(v));
  const pct = (v: unknown) =>
    typeof v === 'number' && typeof r.requests === 'number' && r.requests > 0
      ? ` ${((100 * v) / r.requests).toFixed(1).padStart(5)}%`
      : '';
  const speed = cost.wallMs > 0 ? `${group(Math.round(result.simulatedMs / cost.wallMs))}× real time` : '';
  const rows: Array<[string, string]> = [
    live === undefined
      ? [
          'simulated',
          `${(result.simulatedMs / 1000).toFixed(1)} s    wall ${(cost.wallMs / 1000).toFixed(2)} s   ${speed}`,
        ]
      : [
          'live',
          `${(result.simulatedMs / 1000).toFixed(1)} s of scenario time    wall ${(cost.wallMs / 1000).toFixed(2)} s   time scale ${live.timeScale}`,
        ],
    ['events', `${n(result.events)}    peak RSS ${cost.peakRssMb} MB`],
    ['trace hash', result.traceHash.slice(0, 16)],
  ];
  for (const key of ['requests', 'ok', 'refused', 'failed', 'timeout', 'rateLimited', 'serverError']) {
    if (key in r) {
      rows.push([
        key === 'requests' ? 'requests' : `  ${key}`,
        `${n(r[key]).padStart(9)}${key === 'requests' ? '' : pct(r[key])}`,
      ]);
    }
  }
  const servedBy = r.servedBy as Record<string, number> | undefined;
  if (servedBy !== undefined) {
    rows.push([
      'served by',
      Object.entries(servedBy)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join('   '),
    ]);
  }
  const l = r.latencyMs;
  if (l) {
    const parts = (['p50', 'p95', 'p99'] as const).filter((q) => q in l).map((q) => `${q} ${n(l[q])} ms`);
    rows.push(['latency', `${parts.join('   ')}   max ${n(l.max)} ms`]);
  }
  const layers = r.layers as Record<string, Record<string, number>> | undefined;
  if (layers !== undefined) rows.push(...layerRows(layers));
  rows.push(['written', `${join(outDir, 'trace.jsonl')}  ${join(outDir, 'summary.json')}`]);
  return rows.map(([k, v]) => `  ${k.padEnd(16)}${v}`).join('\n');
}

// The per-layer summary: for each layer of the path (and each backend), what it did, in the
// order a request meets them.
const LAYER_ORDER: readonly [string, string, readonly string[]][] = [
  ['token-bucket', 'token bucket', ['admitted', 'limited']],
  ['redis-limiter', 'redis limiter', ['admitted', 'limited', 'error']],
  ['sentinel', 'sentinel', ['blocked', 'fallback', 'state']],
  [
    'chat-history',
    'chat history',
    ['read', 'read-failed', 'write-acked', 'write-failed', 'write-indeterminate'],
  ],
  ['cache', 'cache', ['l1-hit', 'l2-hit', 'l1-miss', 'l2-miss', 'load', 'load-error']],
  ['coalesce', 'merge', ['call', 'merged']],
  ['executor', 'executor', ['started', 'refused', 'rejected', 'caller-runs', 'worker-start']],
  ['upstream', 'providers', ['attempt', 'attempt-failed', 'answered', 'cooldown']],
  ['redis-cluster', 'redis cluster', ['crash', 'pfail', 'fail', 'promoted', 'restart']],
  ['mysql', 'mysql', ['commit', 'semisync-status', 'crash', 'promote', 'sql-error']],
  ['fault', 'faults', ['inject']],
];

function layerRows(layers: Record<string, Record<string, number>>): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const [family, label, kinds] of LAYER_ORDER) {
    const counts = layers[family];
    if (counts === undefined) continue;
    const shown = kinds.filter((k) => (counts[k] ?? 0) > 0).map((k) => `${k} ${group(counts[k] ?? 0)}`);
    if (shown.length > 0) rows.push([`  ${label}`, shown.join('   ')]);
  }
  return rows.length > 0 ? [['layers', ''], ...rows] : [];
}

/** The expectation table: each expectation, what it measured, and whether it held. */
export function expectationTable({ result }: RunSummary): string {
  const width = Math.min(70, Math.max(...result.expectations.map((x) => x.text.length)));
  const lines = result.expectations.map(
    (x) =>
      `  ${x.sometimes ? (x.ok ? 'seen' : '-   ') : x.ok ? 'ok  ' : 'FAIL'}  ${x.text.padEnd(width)}  ${x.measured}`,
  );
  return [`  expectations (${result.verdict})`, ...lines].join('\n');
}
