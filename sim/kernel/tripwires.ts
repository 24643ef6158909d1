/**
 * Tripwires: while a simulation runs, the globals that leak real time, real timers or real
 * entropy into simulated code are replaced by functions that throw a `TripwireError` naming the
 * call and the virtual time. A run is one uninterrupted chain of microtasks and kernel ticks, so
 * nothing but simulated code (and the kernel, which kept the originals) can call them meanwhile.
 *
 * `process.nextTick` is a tripwire only under the default `nextTick` barrier, whose correctness
 * depends on simulated code never queueing ticks; the `setImmediate` barrier tolerates it.
 */

/** Thrown by a tripwire; also fails the run even if simulated code catches it. */
export class TripwireError extends Error {
  override readonly name = 'TripwireError';
}

/** The real functions, captured at load time, for the kernel's own use. */
export const realNextTick: typeof process.nextTick = process.nextTick.bind(process);
export const realSetImmediate: typeof setImmediate = globalThis.setImmediate;

export interface TripwireOptions {
  /** Also trip `process.nextTick` (true under the `nextTick` barrier). */
  readonly nextTick: boolean;
  /** Called with each violation before it is thrown, so the kernel can fail the run. */
  readonly onTrip: (error: TripwireError) => void;
  /** Describes where the run is, for the message, e.g. `'t=1200 ms, seed 42'`. */
  readonly where: () => string;
}

/** Installs the tripwires and returns the function that removes them. Not re-entrant. */
export function installTripwires(options: TripwireOptions): () => void {
  const restores: Array<() => void> = [];
  // While console output is being written the tripwires stand aside: a `console.log` in a task is
  // how people debug, and console implementations (Node's streams, vitest's capture) use ticks and
  // timers of their own that never touch simulated state.
  let consoleDepth = 0;
  const trip = (call: string, instead: string): never => {
    const error = new TripwireError(
      `hasim tripwire: simulated code called ${call} at ${options.where()}; ` +
        `it leaks real time or entropy and breaks same-seed-same-trace. Use ${instead}.`,
    );
    options.onTrip(error);
    throw error;
  };
  const replace = <T extends object, K extends keyof T>(target: T, key: K, value: T[K]) => {
    const own = Object.getOwnPropertyDescriptor(target, key);
    const real = target[key];
    // Inside console output the real function answers; everywhere else the tripwire does.
    const guarded =
      typeof value === 'function' && typeof real === 'function' && key !== 'Date'
        ? (function (this: unknown, ...args: unknown[]) {
            if (consoleDepth > 0) return (real as (...a: unknown[]) => unknown).apply(this, args);
            return (value as (...a: unknown[]) => unknown).apply(this, args);
          } as T[K])
        : value;
    if (guarded !== value) Object.assign(guarded as object, value); // e.g. process.hrtime.bigint
    Object.defineProperty(target, key, { value: guarded, configurable: true, writable: true });
    restores.push(() => {
      if (own) Object.defineProperty(target, key, own);
      else delete target[key];
    });
  };

  const RealDate = Date;
  const clockAdvice = 'the injected Clock (clock.now())';
  function TripDate(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return consoleDepth > 0 ? RealDate() : trip('Date()', clockAdvice);
    if (args.length === 0 && consoleDepth === 0) return trip('new Date()', clockAdvice);
    return Reflect.construct(RealDate, args, new.target) as Date;
  }
  TripDate.prototype = RealDate.prototype;
  TripDate.now = () => (consoleDepth > 0 ? RealDate.now() : trip('Date.now()', clockAdvice));
  TripDate.parse = RealDate.parse;
  TripDate.UTC = RealDate.UTC;
  replace(globalThis, 'Date', TripDate as unknown as DateConstructor);

  replace(Math, 'random', () => trip('Math.random()', 'the injected Random (random.fork(name).next())'));
  replace(performance, 'now', () => trip('performance.now()', clockAdvice));
  const realHrtime = process.hrtime;
  const hrtime = Object.assign(() => trip('process.hrtime()', clockAdvice), {
    bigint: () => (consoleDepth > 0 ? realHrtime.bigint() : trip('process.hrtime.bigint()', clockAdvice)),
  });
  replace(process, 'hrtime', hrtime as unknown as typeof process.hrtime);

  const timerAdvice = 'clock.sleep(ms) or clock.schedule(ms, fn)';
  replace(globalThis, 'setTimeout', (() =>
    trip('setTimeout()', timerAdvice)) as unknown as typeof setTimeout);
  replace(globalThis, 'setInterval', (() =>
    trip('setInterval()', timerAdvice)) as unknown as typeof setInterval);
  replace(globalThis, 'setImmediate', (() =>
    trip('setImmediate()', 'clock.sleep(0)')) as unknown as typeof setImmediate);
  if (options.nextTick) {
    replace(process, 'nextTick', () =>
      trip(
        'process.nextTick()',
        "clock.sleep(0), or run with { barrier: 'setImmediate' } for code that must queue ticks",
      ),
    );
  }
  const entropyAdvice = 'the injected Random';
  replace(globalThis.crypto, 'randomUUID', () => trip('crypto.randomUUID()', entropyAdvice));
  replace(globalThis.crypto, 'getRandomValues', (() =>
    trip('crypto.getRandomValues()', entropyAdvice)) as typeof crypto.getRandomValues);

  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const) {
    const real = console[method] as (...args: unknown[]) => void;
    const own = Object.getOwnPropertyDescriptor(console, method);
    Object.defineProperty(console, method, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        consoleDepth++;
        try {
          real.apply(console, args);
        } finally {
          consoleDepth--;
        }
      },
    });
    restores.push(() => {
      if (own) Object.defineProperty(console, method, own);
      else delete (console as unknown as Record<string, unknown>)[method];
    });
  }

  return () => {
    for (let i = restores.length - 1; i >= 0; i--) restores[i]!();
  };
}
