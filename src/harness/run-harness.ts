import { assert } from '../assert.ts';
import type { Clock, TimerHandle } from '../ports/clock.ts';

/** A component with background work (gossip, crons, heartbeats, flush timers) to stop at the end. */
export interface Stoppable {
  /** Cancels every timer the component arms on its own; idempotent. */
  stop(): void;
}

/** Options of `RunHarness`. */
export interface RunHarnessOptions {
  /**
   * Longest wait for requests still in flight after the last arrival, ms; past it the harness
   * stops anyway and reports the stragglers. @defaultValue 600_000 (ten minutes)
   */
  readonly drainTimeoutMs?: number;
}

/** What a harness run reports. */
export interface HarnessResult {
  /** Requests started. */
  readonly started: number;
  /** Requests that settled (resolved or rejected). */
  readonly settled: number;
  /** Requests still in flight when the drain timed out (0 after a clean drain). */
  readonly abandoned: number;
}

/**
 * The run loop shared by simulation and live runs: start the arrivals, track every request they
 * spawn, wait for the in-flight ones once arrivals are over (bounded by `drainTimeoutMs`), then
 * stop every background component and timer. In a simulation nothing is left on the clock after
 * that, so `sim.run()` returns on its own without `untilMs`; live, the process can exit.
 *
 * Phases, in order: `arriving` → `draining` → `stopped`. A request tracked after `stopped` is a bug.
 */
export class RunHarness {
  readonly #clock: Clock;
  readonly #drainTimeoutMs: number;
  readonly #owned: Stoppable[] = [];
  readonly #timers = new Set<TimerHandle>();
  #phase: 'idle' | 'arriving' | 'draining' | 'stopped' = 'idle';
  #started = 0;
  #settled = 0;
  #onIdle: (() => void) | undefined;

  constructor(options: RunHarnessOptions, ports: { readonly clock: Clock }) {
    this.#clock = ports.clock;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 600_000;
    if (!(this.#drainTimeoutMs >= 0) || !Number.isFinite(this.#drainTimeoutMs)) {
      throw new RangeError(
        `RunHarness: drainTimeoutMs must be a finite number >= 0 (ms), got ${this.#drainTimeoutMs}`,
      );
    }
  }

  /** Requests started and not yet settled. */
  get inFlight(): number {
    return this.#started - this.#settled;
  }

  /** Registers a background component; it is stopped when the run ends, in registration order. */
  own(component: Stoppable): void {
    assert(this.#phase !== 'stopped', 'RunHarness.own after the run stopped');
    this.#owned.push(component);
  }

  /** Schedules `fn` after `delayMs` unless the run has stopped by then; cancelled at stop. */
  at(delayMs: number, fn: () => void): void {
    assert(this.#phase !== 'stopped', 'RunHarness.at after the run stopped');
    const handle = this.#clock.schedule(delayMs, () => {
      this.#timers.delete(handle);
      fn();
    });
    this.#timers.add(handle);
  }

  /** Tracks one request: the drain waits for it. Its rejection is the caller's to handle. */
  track<T>(request: Promise<T>): Promise<T> {
    // Checked before the message is built: a template argument would make a string per request.
    if (this.#phase !== 'arriving' && this.#phase !== 'draining')
      assert(false, `RunHarness.track while ${this.#phase}`);
    this.#started++;
    request.then(this.#done, this.#done);
    return request;
  }

  /** A tracked request settled. One function for every request (not a closure made per request). */
  readonly #done = (): void => {
    this.#settled++;
    assert(this.#settled <= this.#started, 'RunHarness: more requests settled than started');
    if (this.#settled === this.#started) this.#onIdle?.();
  };

  /**
   * Runs `arrivals` (which starts requests through `track` and resolves when no more will come),
   * drains, runs `afterDrain` (final reads), and stops. Resolves with the counts; never leaves a
   * timer of its own behind.
   */
  async run(arrivals: () => Promise<void>, afterDrain?: () => Promise<void>): Promise<HarnessResult> {
    assert(this.#phase === 'idle', 'RunHarness.run called twice');
    this.#phase = 'arriving';
    try {
      await arrivals();
      this.#phase = 'draining';
      await this.#drain();
      // Final reads (what the checkers compare acknowledged writes against) need the backends'
      // timers still running, so they come before the stop.
      if (afterDrain !== undefined) await afterDrain();
    } finally {
      this.#stop();
    }
    return { started: this.#started, settled: this.#settled, abandoned: this.#started - this.#settled };
  }

  #drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.#clock.schedule(this.#drainTimeoutMs, () => {
        this.#onIdle = undefined;
        resolve();
      });
      this.#onIdle = () => {
        this.#onIdle = undefined;
        timer.cancel();
        resolve();
      };
    });
  }

  #stop(): void {
    this.#phase = 'stopped';
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    for (const component of this.#owned) component.stop();
  }
}
