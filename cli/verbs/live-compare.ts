import { join } from 'node:path';
import { runScenario } from '../../sim/run.ts';
import type { GatewayScenario } from '../../sim/scenarios/gateway-schema.ts';
import type { Variant } from '../../sim/scenarios/registry.ts';
import { type CompareFigures, type CompareRow, compareRows, figuresOfTrace } from '../../src/live/compare.ts';
import type { LiveSummary } from '../../src/live/run-live.ts';

/** What `--compare` adds: the summary's `compare` object and the printed table. */
export interface LiveComparison {
  readonly json: {
    readonly simulated: {
      readonly traceHash: string;
      readonly verdict: string;
      readonly figures: CompareFigures;
    };
    readonly live: { readonly figures: CompareFigures };
    readonly rows: readonly CompareRow[];
  };
  readonly table: string;
}

/**
 * `hasim live --compare`: runs the scenario simulated with the same seed and variant (its trace in
 * `<out>/sim/`), measures the same figures from both traces, and lays them side by side.
 */
export async function compareLive(
  scenario: GatewayScenario,
  live: LiveSummary,
  run: {
    readonly seed: number | string;
    readonly variant: Variant;
    readonly outDir: string;
    readonly file: string;
  },
): Promise<LiveComparison> {
  const simDir = join(run.outDir, 'sim');
  const simulated = await runScenario(scenario, {
    seed: run.seed,
    variant: run.variant,
    outDir: simDir,
    source: run.file,
  });
  const simFigures = await figuresOfTrace(join(simDir, 'trace.jsonl'), simulated.result.report);
  const liveFigures = await figuresOfTrace(join(run.outDir, 'trace.jsonl'), live.result.report);
  const rows = compareRows(simFigures, liveFigures);
  return {
    json: {
      simulated: {
        traceHash: simulated.result.traceHash,
        verdict: simulated.result.verdict,
        figures: simFigures,
      },
      live: { figures: liveFigures },
      rows,
    },
    table: compareTable(rows, simulated.result.verdict, live.result.verdict),
  };
}

const LABELS: Record<keyof CompareFigures, string> = {
  failoverUnavailableMs: 'failover unavailability (ms)',
  promotionMs: 'fault to promotion (ms)',
  redisErrors: 'redis errors seen by layers',
  failedResponses: 'failed responses in it',
  ackedWritesLost: 'acknowledged writes lost',
  ackedWrites: 'acknowledged writes',
  staleReads: 'stale reads',
  limiterOverAdmission: 'limiter over-admission',
  p50Ms: 'latency p50 (ms)',
  p99Ms: 'latency p99 (ms)',
  l1HitRate: 'L1 hit rate',
  l2HitRate: 'L2 hit rate',
};

function cell(metric: keyof CompareFigures, v: number | null, signed = false): string {
  if (v === null) return '-';
  const text = metric.endsWith('HitRate') ? `${(100 * v).toFixed(1)}%` : String(Math.round(v * 10) / 10);
  return signed && v > 0 ? `+${text}` : text;
}

/** The side-by-side table. */
export function compareTable(rows: readonly CompareRow[], simVerdict: string, liveVerdict: string): string {
  const lines = [
    `compare     ${'metric'.padEnd(30)}${'simulated'.padStart(11)}${'live'.padStart(11)}${'live - sim'.padStart(12)}`,
    `            ${'verdict'.padEnd(30)}${simVerdict.padStart(11)}${liveVerdict.padStart(11)}`,
  ];
  for (const r of rows) {
    lines.push(
      `            ${LABELS[r.metric].padEnd(30)}${cell(r.metric, r.simulated).padStart(11)}${cell(r.metric, r.live).padStart(11)}${cell(r.metric, r.difference, true).padStart(12)}`,
    );
  }
  return lines.join('\n');
}
