import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchCase, Measurement } from '../harness.ts';

// A one-hour simulated run of the smoke scenario (200 req/s, ~1.4 M events, ~90 MB of trace) in
// a fresh `hasim run` process, measured once: events per second of wall time, and the process's
// peak resident memory. The trace streams to disk, so peak RSS should stay far below the 300 MB
// the design allows; a figure above it is printed as such (test/slow/long-run.test.ts checks
// that the run completes, this prints what it cost).
const ROOT = resolve(import.meta.dirname, '../..');
const PEAK_RSS_BOUND_MB = 300;
let peakRssMb: number | undefined;

function oneHourScenario(dir: string): string {
  const smoke = readFileSync(join(ROOT, 'scenarios/smoke.yaml'), 'utf8');
  const path = join(dir, 'one-hour.yaml');
  writeFileSync(
    path,
    smoke.replace(/^durationMs: \d+/m, 'durationMs: 3600000').replace('name: smoke', 'name: one-hour'),
  );
  return path;
}

async function oneHour(): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'hasim-bench-long-'));
  try {
    const out = join(dir, 'out');
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/hasim.mjs'), 'run', oneHourScenario(dir), '--seed', '1', '--out', out, '--quiet'],
      { encoding: 'utf8', timeout: 600_000 },
    );
    if (r.status !== 0) throw new Error(`hasim run failed (${r.status}): ${r.stderr.trim()}`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    peakRssMb = summary.peakRssMb;
    return { ops: summary.events, ms: summary.wallMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const cases: BenchCase[] = [
  {
    name: 'one simulated hour of the smoke scenario in a fresh hasim process (trace streamed to disk)',
    unit: 'events/s',
    ours: { label: 'hasim run (one hour, seed 1)', run: oneHour },
    rounds: 1,
    notes: () => [
      `peak RSS ${peakRssMb} MB (${
        peakRssMb !== undefined && peakRssMb < PEAK_RSS_BOUND_MB ? 'within' : 'ABOVE'
      } the ${PEAK_RSS_BOUND_MB} MB bound)`,
    ],
  },
];
