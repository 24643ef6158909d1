import { ConsecutiveBreaker, circuitBreaker, handleAll, SamplingBreaker } from 'cockatiel';
import CircuitBreaker from 'opossum';
import { SystemClock } from '../../src/adapters/system-clock.ts';
import { TickClock } from '../../src/adapters/tick-clock.ts';
import type { Clock } from '../../src/ports/clock.ts';
import { ARTICLE_RT_DEGRADE_RULE, Sentinel } from '../../src/sentinel/index.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// One CLOSED breaker guarding trivial work, called sequentially with `await`, on the real clock
// (what a live gateway does per request). Each library in its documented default shape:
// - hasim: `await sentinel.entry(r)`, work, `entry.exit()`, one slow-ratio DegradeRule (the article's,
//   ARTICLE_RT_DEGRADE_RULE), on the clock Sentinel reads: TimeUtil's millisecond, refreshed by a
//   ticking thread (TickClock), not the OS clock per read. The same on SystemClock (`Date.now()`
//   for both of an entry's timestamps) is a context case below;
// - opossum 9: `new CircuitBreaker(fn)` (defaults: 10 s timeout timer per call, rolling stats), `await fire()`;
// - cockatiel 3: `circuitBreaker(handleAll, { halfOpenAfter, breaker: new ConsecutiveBreaker(5) })`, `await execute(fn)`.
const N = 100_000;
const R = ARTICLE_RT_DEGRADE_RULE.resource;

let sink = 0;
const work = (i: number): number => {
  sink = (sink + i * 31) | 0;
  return sink;
};

// One ticking clock for the suite, made on first use (its thread then ticks until the process ends).
let ticking: TickClock | undefined;
const tickClock = (): TickClock => {
  ticking ??= new TickClock();
  return ticking;
};

async function sentinel(): Promise<Measurement> {
  return sentinelOn(tickClock());
}

async function sentinelOnSystemClock(): Promise<Measurement> {
  return sentinelOn(new SystemClock());
}

async function sentinelOn(clock: Clock): Promise<Measurement> {
  const s = new Sentinel({}, { clock });
  s.loadDegradeRules([ARTICLE_RT_DEGRADE_RULE]);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const e = await s.entry(R);
    work(i);
    e.exit();
  }
  const ms = performance.now() - t0;
  if (s.circuitBreakers(R)[0]!.state !== 'CLOSED') throw new Error('bench: breaker left CLOSED');
  return { ops: N, ms };
}

// The same loop on a clock that returns a constant: what the breaker logic itself costs, without
// the two clock reads. Context only; the headline cases above use the real clock.
async function sentinelConstantClock(): Promise<Measurement> {
  const t = Date.now();
  const clock = { now: () => t, sleep: () => Promise.resolve(), schedule: () => ({ cancel() {} }) };
  const s = new Sentinel({}, { clock });
  s.loadDegradeRules([ARTICLE_RT_DEGRADE_RULE]);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const e = await s.entry(R);
    work(i);
    e.exit();
  }
  return { ops: N, ms: performance.now() - t0 };
}

async function sentinelRun(): Promise<Measurement> {
  const s = new Sentinel({}, { clock: tickClock() });
  s.loadDegradeRules([ARTICLE_RT_DEGRADE_RULE]);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await s.run(R, () => work(i));
  return { ops: N, ms: performance.now() - t0 };
}

async function opossum(): Promise<Measurement> {
  let i = 0;
  const breaker = new CircuitBreaker(async () => work(i));
  const t0 = performance.now();
  for (i = 0; i < N; i++) await breaker.fire();
  const ms = performance.now() - t0;
  breaker.shutdown();
  return { ops: N, ms };
}

async function cockatiel(): Promise<Measurement> {
  const policy = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await policy.execute(() => work(i));
  return { ops: N, ms: performance.now() - t0 };
}

// The gateway's real shape: the guarded call is async (an LLM request). Same async function on both
// sides; run() then awaits its promise before the entry exits. Context only.
const workAsync = async (i: number): Promise<number> => work(i);

async function sentinelRunAsync(): Promise<Measurement> {
  const s = new Sentinel({}, { clock: tickClock() });
  s.loadDegradeRules([ARTICLE_RT_DEGRADE_RULE]);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await s.run(R, () => workAsync(i));
  return { ops: N, ms: performance.now() - t0 };
}

// attempt() reports an Outcome instead of throwing; on the admitted path it should cost what run() does.
async function sentinelAttemptAsync(): Promise<Measurement> {
  const s = new Sentinel({}, { clock: tickClock() });
  s.loadDegradeRules([ARTICLE_RT_DEGRADE_RULE]);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const out = await s.attempt(R, () => workAsync(i));
    if (out.kind !== 'admitted') throw new Error('bench: attempt was not admitted');
  }
  return { ops: N, ms: performance.now() - t0 };
}

async function cockatielAsync(): Promise<Measurement> {
  const policy = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await policy.execute(() => workAsync(i));
  return { ops: N, ms: performance.now() - t0 };
}

// cockatiel's windowed breaker: a failure ratio over a time window, the closer analogue of a Sentinel
// ratio rule; it reads Date.now() once per call. Context only: the headline peer is ConsecutiveBreaker.
async function cockatielSampling(): Promise<Measurement> {
  const policy = circuitBreaker(handleAll, {
    halfOpenAfter: 10_000,
    breaker: new SamplingBreaker({ threshold: 0.5, duration: 60_000 }),
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await policy.execute(() => work(i));
  return { ops: N, ms: performance.now() - t0 };
}

// The floor under any Sentinel-faithful entry/exit on this machine: the same loop with no breaker
// at all, only what the contract itself needs (an awaited, already-resolved promise per entry and
// the two clock reads for createTimestamp and completeTimestamp, on the headline's clock). Context only.
async function floor(): Promise<Measurement> {
  const clock = tickClock();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const e = await Promise.resolve({ created: clock.now(), completed: 0 });
    work(i);
    e.completed = clock.now();
  }
  return { ops: N, ms: performance.now() - t0 };
}

// Context for the ratios: every hasim entry reads the injected clock twice (creation, exit) as
// Sentinel stamps createTimestamp and completeTimestamp; opossum's and cockatiel's CLOSED paths
// read none. On a VM without a fast clock source, an OS clock read is a large part of the cost:
// that is why Sentinel reads TimeUtil's ticking millisecond.
async function clockReads(): Promise<Measurement> {
  return readsOf(new SystemClock());
}

async function tickReads(): Promise<Measurement> {
  return readsOf(tickClock());
}

async function readsOf(clock: Clock): Promise<Measurement> {
  let x = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) x += clock.now();
  const ms = performance.now() - t0;
  if (x === 0) throw new Error('unreachable');
  return { ops: N, ms };
}

export const cases: BenchCase[] = [
  {
    name: `sentinel: entry/exit per second, one CLOSED breaker (${N.toLocaleString('en')} sequential awaited calls)`,
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel entry/exit', run: sentinel },
    peer: { label: 'opossum 9 fire()', run: opossum },
    targets: { minRatio: 1 },
  },
  {
    name: `sentinel: entry/exit per second, one CLOSED breaker (${N.toLocaleString('en')} sequential awaited calls)`,
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel entry/exit', run: sentinel },
    peer: { label: 'cockatiel 3 execute()', run: cockatiel },
    // Issue 11: Sentinel entry/exit at least 1.5x cockatiel's breaker.
    targets: { minRatio: 1.5 },
  },
  {
    name: `sentinel: run() wrapper per second vs cockatiel execute() (${N.toLocaleString('en')} calls)`,
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel run()', run: sentinelRun },
    peer: { label: 'cockatiel 3 execute()', run: cockatiel },
    targets: { minRatio: 1 },
  },
  {
    name: 'sentinel: context — entry/exit on SystemClock (Date.now() for both timestamps) vs cockatiel execute()',
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel, SystemClock', run: sentinelOnSystemClock },
    peer: { label: 'cockatiel 3 execute()', run: cockatiel },
  },
  {
    name: 'sentinel: context — entry/exit on a constant clock (breaker logic without the two clock reads)',
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel, constant clock', run: sentinelConstantClock },
    peer: { label: 'cockatiel 3 execute()', run: cockatiel },
  },
  {
    name: 'sentinel: context — run() vs cockatiel execute(), the guarded function async (the shape of an LLM call)',
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel run(async fn)', run: sentinelRunAsync },
    peer: { label: 'cockatiel 3 execute(async fn)', run: cockatielAsync },
  },
  {
    name: 'sentinel: context — attempt() (an Outcome) vs run(), the guarded function async',
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel attempt(async fn)', run: sentinelAttemptAsync },
    peer: { label: 'hasim Sentinel run(async fn)', run: sentinelRunAsync },
  },
  {
    name: 'sentinel: context — entry/exit vs cockatiel SamplingBreaker (windowed ratio, one Date.now() per call)',
    unit: 'calls/s',
    ours: { label: 'hasim Sentinel entry/exit', run: sentinel },
    peer: { label: 'cockatiel 3 SamplingBreaker', run: cockatielSampling },
  },
  {
    name: 'sentinel: context — floor: awaited resolved promise + two TickClock.now(), no breaker',
    unit: 'calls/s',
    ours: { label: 'floor (no breaker logic)', run: floor },
    peer: { label: 'cockatiel 3 execute()', run: cockatiel },
  },
  {
    name: 'sentinel: context — clock reads per second (two per hasim entry/exit): TickClock vs SystemClock',
    unit: 'reads/s',
    ours: { label: 'TickClock.now()', run: tickReads },
    peer: { label: 'SystemClock.now() (Date.now())', run: clockReads },
  },
];
