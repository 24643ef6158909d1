import FakeTimers from '@sinonjs/fake-timers';
import seedrandom from 'seedrandom';
import { Simulation } from '../../sim/kernel/simulation.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// The same async workload on both: W concurrent workers, each making R sequential "requests",
// each request an async function awaiting 3 virtual sleeps of 1..20 ms (the shape DESIGN's kernel figures were measured on).
const W = 1_000;
const R = 50;

async function request(
  sleep: (ms: number) => Promise<void>,
  d: () => number,
  count: () => void,
): Promise<void> {
  await sleep(d());
  count();
  await sleep(d());
  count();
  await sleep(d());
  count();
}

async function worker(
  sleep: (ms: number) => Promise<void>,
  d: () => number,
  count: () => void,
): Promise<void> {
  for (let j = 0; j < R; j++) await request(sleep, d, count);
}

async function kernel(): Promise<Measurement> {
  const sim = new Simulation({ seed: 1 });
  const rng = seedrandom.alea('bench');
  const d = () => 1 + Math.floor(rng() * 20);
  let events = 0;
  const count = () => {
    events++;
  };
  const sleep = (ms: number) => sim.clock.sleep(ms);
  for (let w = 0; w < W; w++) sim.spawn(() => worker(sleep, d, count));
  const t0 = performance.now();
  await sim.run();
  return { ops: events, ms: performance.now() - t0 };
}

async function fakeTimers(): Promise<Measurement> {
  const clock = FakeTimers.createClock(0, 1e9);
  const rng = seedrandom.alea('bench');
  const d = () => 1 + Math.floor(rng() * 20);
  let events = 0;
  const count = () => {
    events++;
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      clock.setTimeout(() => resolve(), ms);
    });
  const done: Promise<void>[] = [];
  const t0 = performance.now();
  for (let w = 0; w < W; w++) done.push(worker(sleep, d, count));
  while (clock.countTimers() > 0) await clock.tickAsync(1_000);
  await Promise.all(done);
  return { ops: events, ms: performance.now() - t0 };
}

export const cases: BenchCase[] = [
  {
    name: `kernel: awaited virtual sleeps/s (${W.toLocaleString('en')} concurrent workers x ${R} requests x 3 sleeps)`,
    unit: 'events/s',
    ours: { label: 'hasim Simulation', run: kernel },
    peer: { label: '@sinonjs/fake-timers tickAsync', run: fakeTimers },
    targets: { minOpsPerSecond: 500_000, minRatio: 4 },
  },
];
