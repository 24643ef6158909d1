/**
 * Hit-rate simulator in the manner of Caffeine's (`simulator/`, `product.Caffeine` policy): replay
 * a key trace through each policy at several sizes and tabulate the hit rates side by side.
 * `hasim hitrate [trace] [--sizes N,N,...]` (cli/verbs/hitrate.ts) drives it.
 */
import { existsSync } from 'node:fs';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import type { Random } from '../../src/ports/random.ts';
import { defaultPolicies, type ReplayPolicy } from './policies.ts';
import {
  type KeyTrace,
  loopTrace,
  REAL_TRACES,
  type RealTraceName,
  readRealTrace,
  readTraceFile,
  scanZipfTrace,
  zipfTrace,
} from './traces.ts';

/** The seed of the synthetic traces (each trace draws from its own fork). */
export const HIT_RATE_SEED = 'hit-rate';

/** The synthetic traces by name, each built from its own fork of `random`. */
export const SYNTHETIC_TRACES = {
  /** Scrambled Zipf, exponent 0.99 over 10,000 keys (Caffeine simulator's default distribution). */
  zipf: (random: Random) =>
    zipfTrace(random.fork('zipf'), { requests: 100_000, distinct: 10_000, exponent: 0.99 }),
  /** 50 passes over 1,200 keys: LRU's worst case at any size below 1,200. */
  loop: () => loopTrace({ distinct: 1_200, cycles: 50 }),
  /** The Zipf trace with 30% of requests replaced by a sweep of never-reused keys. */
  'scan-zipf': (random: Random) =>
    scanZipfTrace(random.fork('scan-zipf'), {
      requests: 100_000,
      distinct: 10_000,
      exponent: 0.99,
      scanShare: 0.3,
    }),
} as const;
export type SyntheticTraceName = keyof typeof SYNTHETIC_TRACES;

/** Default sizes per trace (entries). */
export const DEFAULT_SIZES: Record<RealTraceName | SyntheticTraceName, readonly number[]> = {
  web07: [100, 500, 1_000, 2_000, 5_000],
  web12: [100, 500, 1_000, 2_000, 5_000],
  zipf: [100, 500, 1_000, 2_000],
  loop: [250, 500, 1_000],
  'scan-zipf': [100, 500, 1_000, 2_000],
};

/** One row of the table: hits per policy at one size. */
export interface HitRateRow {
  readonly trace: string;
  readonly maximumSize: number;
  readonly requests: number;
  /** Hits per policy, in the order of the policies given. */
  readonly hits: readonly number[];
}

/** Replays `trace` through each policy at each size. */
export function simulateHitRates(
  trace: KeyTrace,
  sizes: readonly number[],
  policies: readonly ReplayPolicy[] = defaultPolicies(),
): HitRateRow[] {
  return sizes.map((maximumSize) => ({
    trace: trace.name,
    maximumSize,
    requests: trace.keys.length,
    hits: policies.map((p) => p.replay(trace.keys, maximumSize)),
  }));
}

/** Renders rows as a fixed-width table of hit rates in percent (two decimals). */
export function formatHitRateTable(rows: readonly HitRateRow[], policies: readonly ReplayPolicy[]): string {
  const header = ['trace', 'size', ...policies.map((p) => p.name)];
  const body = rows.map((r) => [
    r.trace,
    String(r.maximumSize),
    ...r.hits.map((h) => `${((100 * h) / r.requests).toFixed(2)} %`),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Resolves a trace argument: a real or synthetic name, or a file path (an unknown one throws). */
export function loadTrace(
  name: string,
  random: Random = new SeededRandom(HIT_RATE_SEED),
  options: { readonly realTracesDir?: string; readonly maxKeys?: number } = {},
): { trace: KeyTrace; defaultSizes: readonly number[] } {
  if ((REAL_TRACES as readonly string[]).includes(name)) {
    const real = name as RealTraceName;
    return { trace: readRealTrace(real, options.realTracesDir), defaultSizes: DEFAULT_SIZES[real] };
  }
  if (name in SYNTHETIC_TRACES) {
    const synthetic = name as SyntheticTraceName;
    return { trace: SYNTHETIC_TRACES[synthetic](random), defaultSizes: DEFAULT_SIZES[synthetic] };
  }
  if (!existsSync(name)) {
    throw new Error(
      `unknown trace '${name}': expected ${[...REAL_TRACES, ...Object.keys(SYNTHETIC_TRACES)].join(', ')}, all, or a file of big-endian int32 keys`,
    );
  }
  return { trace: readTraceFile(name, options.maxKeys), defaultSizes: [100, 500, 1_000, 2_000, 5_000] };
}
