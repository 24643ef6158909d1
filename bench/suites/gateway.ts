import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchCase, Measurement } from '../harness.ts';
import { procCpu } from '../proc-stat.ts';

// The composed gateway at scale: scenarios/bench/gateway-300k.yaml (3 instances, every layer, the
// simulated Redis Cluster and MariaDB, 500 req/s for 10 simulated minutes = 300,000 requests, a
// provider outage and a Redis failover) in a fresh `hasim run` process, once. Figures: simulated
// requests per wall second and the process's peak RSS. The goal is the whole run in 20 s (15,000
// requests/s) under 400 MB; the bench prints what it measured against that.
const ROOT = resolve(import.meta.dirname, '../..');
const SCENARIO = join(ROOT, 'scenarios/bench/gateway-300k.yaml');
const TARGET_WALL_MS = 20_000;
const TARGET_RSS_MB = 400;
let last:
  | { wallMs: number; cpuMs: number | undefined; peakRssMb: number; requests: number; events: number }
  | undefined;

/** CPU time of this process's waited-for children, ms: on a shared machine it says more than wall time. */
const childrenCpuMs = () => procCpu('self')?.childrenMs;

let bundled = false;

function runOnce(scenario: string): Measurement {
  // The first hasim process after a source change builds the start-up bundle (bin/bundle.mjs):
  // build it before anything is measured.
  if (!bundled) spawnSync(process.execPath, [join(ROOT, 'bin/hasim.mjs'), '--version'], { encoding: 'utf8' });
  bundled = true;
  const dir = mkdtempSync(join(tmpdir(), 'hasim-bench-gateway-'));
  try {
    const out = join(dir, 'out');
    const cpuBefore = childrenCpuMs();
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/hasim.mjs'), 'run', scenario, '--out', out, '--quiet'],
      {
        encoding: 'utf8',
        timeout: 1_800_000,
      },
    );
    if (r.status !== 0 && r.status !== 3)
      throw new Error(`hasim run failed (${r.status}): ${r.stderr.trim()}`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const cpuAfter = childrenCpuMs();
    last = {
      wallMs: summary.wallMs,
      cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
      peakRssMb: summary.peakRssMb,
      requests: summary.report.requests,
      events: summary.events,
    };
    return { ops: summary.report.requests, ms: summary.wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const cases: BenchCase[] = [
  {
    name: 'the full gateway, 300,000 requests over 10 simulated minutes (scenarios/bench/gateway-300k.yaml)',
    unit: 'requests/s',
    ours: { label: 'hasim run gateway-300k (seed 1)', run: async () => runOnce(SCENARIO) },
    rounds: 1,
    targets: { minOpsPerSecond: 300_000 / (TARGET_WALL_MS / 1000) },
    notes: () =>
      last === undefined
        ? []
        : [
            `${last.requests} requests, ${last.events} events in ${(last.wallMs / 1000).toFixed(1)} s wall (goal ${TARGET_WALL_MS / 1000} s)${last.cpuMs === undefined ? '' : `, ${(last.cpuMs / 1000).toFixed(1)} s CPU (the whole process, start-up included)`}`,
            `peak RSS ${last.peakRssMb} MB (${last.peakRssMb < TARGET_RSS_MB ? 'within' : 'ABOVE'} the ${TARGET_RSS_MB} MB goal)`,
          ],
  },
];
