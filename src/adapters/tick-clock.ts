import { Worker } from 'node:worker_threads';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import { timerSleep, wholeMs } from './system-clock.ts';

/**
 * The clock Sentinel itself reads: `TimeUtil.currentTimeMillis()` (sentinel-core 1.8.0,
 * com/alibaba/csp/sentinel/util/TimeUtil.java), a millisecond that a daemon thread
 * ("sentinel-time-tick-thread") refreshes from `System.currentTimeMillis()` and then sleeps 1 ms,
 * so that an entry and an exit read a volatile field instead of the OS clock. Here a worker
 * thread writes `Date.now()` into shared memory every millisecond and `now()` reads it: on this
 * kind of VM one `Date.now()` costs ~100-160 ns, which made the two clock reads of an entry/exit
 * pair (createTimestamp, completeTimestamp) most of its cost.
 *
 * Like Sentinel's, the time read may be up to a tick (1 ms, more when the machine is loaded) old,
 * and it never goes backwards (if the wall clock steps back, it waits for it). If the thread could
 * not start, fails or ends (past 24.8 days of ticks), `now()` reads `Date.now()` itself from then
 * on, once Node has delivered the worker's 'error' or 'exit' event. Timers (`sleep`, `schedule`) are
 * Node's, as for `SystemClock`. The worker is unref'd: it never keeps a process alive.
 *
 * For live runs only; simulations use the virtual clock.
 */
export class TickClock implements Clock {
  constructor() {
    startTicking();
  }

  now(): number {
    return readTick();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return timerSleep(wholeMs(ms), signal);
  }

  schedule(delayMs: number, callback: () => void): TimerHandle {
    const timer = setTimeout(callback, wholeMs(delayMs));
    return { cancel: () => clearTimeout(timer) };
  }
}

/** The tick counts ms from the clock's start in an int32: past this (24.8 days) the thread ends. */
const TICK_MAX = 2 ** 31 - 1;

// The shared tick, one per process: [ms since `base`, 1 once the ticking thread has written it],
// int32s that the ticking thread writes and `now()` reads (aligned int32 accesses to shared
// memory are tear-free, ECMA-262 "Shared Memory Guidelines"). Until the thread's first write
// (worker start-up takes tens of ms), and once it has ended, `now()` reads Date.now().
let tick: Int32Array<ArrayBufferLike> = new Int32Array(2);
let base = 0;
let worker: Worker | undefined;
/** The latest time read: `now()` never returns less. */
let last = 0;
/**
 * The tick `last` was made from; -1 when it came from Date.now() (a stopped or unstarted thread
 * leaves `tick` all zeros, so a read then never matches and goes to Date.now()).
 */
let lastElapsed = -1;

// The ticking thread: Sentinel's TimeUtil.run, with Atomics.wait as its 1 ms sleep.
const TICKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { buffer, base } = workerData;
const tick = new Int32Array(buffer);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  const elapsed = Date.now() - base;
  if (elapsed > ${TICK_MAX}) break;
  Atomics.store(tick, 0, elapsed);
  Atomics.store(tick, 1, 1);
  Atomics.wait(sleeper, 0, 0, 1);
}
`;

/** Starts the ticking thread, once per process. */
function startTicking(): void {
  if (worker !== undefined) return;
  base = Date.now();
  const shared = new Int32Array(new SharedArrayBuffer(8));
  try {
    worker = new Worker(TICKER_SOURCE, {
      eval: true,
      workerData: { buffer: shared.buffer, base },
      stdout: false,
      stderr: false,
    });
  } catch {
    return; // no thread: `tick[1]` stays 0 and every read is Date.now()
  }
  worker.unref();
  // A thread that fails or ends stops ticking: reads go back to Date.now().
  const stop = () => {
    tick = new Int32Array(2);
    lastElapsed = -1;
  };
  worker.on('error', stop);
  worker.on('exit', stop);
  tick = shared;
}

// Kept a few bytes long so that V8 inlines it (with now()) into an entry/exit: the common read
// is the same tick as the last one, and returns the number already made (no new heap number).
function readTick(): number {
  return tick[0] === lastElapsed ? last : readNewTick();
}

function readNewTick(): number {
  const shared = tick;
  let now: number;
  let elapsed = -1;
  if (shared[1] === 0) {
    now = Date.now();
  } else {
    elapsed = shared[0] as number;
    now = base + elapsed;
  }
  // Never backwards: a tick may lag a Date.now() read made before the thread's first write.
  if (now < last) return last;
  last = now;
  lastElapsed = elapsed;
  return now;
}

/** Stops the ticking thread (tests); reads use `Date.now()` from then on. */
export async function stopTickClock(): Promise<void> {
  tick = new Int32Array(2);
  lastElapsed = -1;
  await worker?.terminate();
}
