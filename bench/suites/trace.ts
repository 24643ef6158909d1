import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlTrace } from '../../src/adapters/jsonl-trace.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// The trace file of a long run, written with its hash on the writer thread (what `hasim run` does
// from 20,000 expected requests on) against the same trace written inline. Measured on the
// simulation's side: the time from the first event to a closed file, which is what a run waits
// for. Lines like the gateway's (a request id, a user, a latency, an outcome: ~110 bytes each).
const EVENTS = 1_000_000;

function writeTrace(thread: boolean): Measurement {
  const dir = mkdtempSync(join(tmpdir(), 'hasim-bench-trace-'));
  try {
    let now = 0;
    const clock = { now: () => now, sleep: async () => {}, schedule: () => ({ cancel() {} }) };
    const t0 = performance.now();
    const trace = new JsonlTrace(clock, {
      path: join(dir, 'trace.jsonl'),
      header: { hasim: 'trace' },
      thread,
      check: 'off',
    });
    for (let i = 0; i < EVENTS; i++) {
      now = i >> 3;
      trace.emit(i % 3 === 0 ? 'gateway' : 'redis/shard-1/master', i % 2 === 0 ? 'response' : 'command', {
        id: i >> 4,
        user: `u-${i % 20_000}`,
        ms: i % 997,
        outcome: 'ok',
        servedBy: 'l1',
      });
    }
    trace.close({ end: 'ok', traceHash: trace.hash });
    return { ops: EVENTS, ms: performance.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const cases: BenchCase[] = [
  {
    name: `trace: ${EVENTS.toLocaleString('en-US')} event lines to a file with their SHA-256 (a long run's trace writer)`,
    unit: 'events/s',
    ours: { label: 'hashed and written on the writer thread', run: async () => writeTrace(true) },
    peer: { label: 'the same, inline on the simulation thread', run: async () => writeTrace(false) },
  },
];
