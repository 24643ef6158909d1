// Shared gate for the integration suites that talk to real servers on loopback.
//
// Why: on a developer machine without the servers the suites must be skipped with a reason the
// reader can see (in the suite title and on stderr), while in CI (`CI=true`) a missing server is
// a failure, never a silent skip (DESIGN.md "Real backends"). The probe runs once at module load
// (top-level await) so that a suite can be declared with `describe.skipIf(gate.skip)`.
//
// Only 127.0.0.1 is ever contacted.
import net from 'node:net';

/** Default connect timeout of {@link probeTcp}, in milliseconds. */
export const PROBE_TIMEOUT_MS = 1_000;

/**
 * Resolves true when something accepts a TCP connection on `host:port` within `timeoutMs`.
 * The socket is closed straight away; nothing is sent.
 */
export function probeTcp(port: number, host = '127.0.0.1', timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const finish = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** What a suite needs to know about its backend, decided once before the suite is declared. */
export interface BackendGate {
  /** True when every port answered; the suite runs normally. */
  readonly available: boolean;
  /** True when the suite must be skipped: a port is silent and `CI` is not `'true'`. */
  readonly skip: boolean;
  /**
   * True when a port is silent under `CI=true`: the suite must register one failing test
   * (see {@link BackendGate.assertAvailable}) instead of its real tests.
   */
  readonly mustFail: boolean;
  /** Suite title; carries the reason when the suite is skipped or must fail. */
  readonly title: string;
  /** Why the backend counts as absent, or `undefined` when it is available. */
  readonly reason: string | undefined;
  /** Throws an Error carrying {@link BackendGate.reason} unless the backend is available. */
  assertAvailable(): void;
}

/** Options of {@link gateBackend}. */
export interface GateOptions {
  /** Plain suite name, e.g. `'redis cluster smoke'`. */
  readonly name: string;
  /** Loopback ports that must all accept connections. */
  readonly ports: readonly number[];
  /** What to do to bring the backend up, e.g. `'run scripts/backends.sh up'`. */
  readonly hint: string;
  /** Host to probe. @defaultValue `'127.0.0.1'` */
  readonly host?: string;
  /** Per-port probe timeout in milliseconds. @defaultValue {@link PROBE_TIMEOUT_MS} */
  readonly timeoutMs?: number;
}

/** True when the process runs under CI (`CI=true`), where a missing backend is a failure. */
export function inCi(): boolean {
  return process.env.CI === 'true';
}

/**
 * Probes every port of a backend and decides whether its suite runs, is skipped (with the
 * reason in the title and on stderr) or, under `CI=true`, fails.
 */
export async function gateBackend(options: GateOptions): Promise<BackendGate> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const answers = await Promise.all(options.ports.map((port) => probeTcp(port, host, timeoutMs)));
  const silent = options.ports.filter((_, i) => !answers[i]);
  if (silent.length === 0) {
    return {
      available: true,
      skip: false,
      mustFail: false,
      title: options.name,
      reason: undefined,
      assertAvailable() {},
    };
  }
  const where = portRanges(silent)
    .map(([low, high]) => (low === high ? `${host}:${low}` : `${host}:${low}-${high}`))
    .join(', ');
  const reason = `nothing listening on ${where} - ${options.hint}`;
  const ci = inCi();
  if (ci) {
    console.error(`[integration] ${options.name}: FAILING under CI=true: ${reason}`);
  } else {
    console.warn(`[integration] ${options.name}: skipped: ${reason}`);
  }
  return {
    available: false,
    skip: !ci,
    mustFail: ci,
    title: `${options.name} [${ci ? 'MISSING in CI' : 'skipped'}: ${reason}]`,
    reason,
    assertAvailable() {
      throw new Error(`${options.name}: backend missing under CI=true: ${reason}`);
    },
  };
}

/** Groups ports into runs of consecutive numbers: [7000, 7001, 7002, 9000] -> [[7000, 7002], [9000, 9000]]. */
function portRanges(ports: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const port of [...ports].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && port === last[1] + 1) last[1] = port;
    else runs.push([port, port]);
  }
  return runs;
}

/** Hint shown for the servers that `scripts/backends.sh up` starts. */
export const BACKENDS_SH_HINT = 'run scripts/backends.sh up';

/** Hint shown for the servers the machine itself is expected to run (Redis 6379, MariaDB 3306). */
export const MACHINE_SERVICE_HINT = "start the machine's own service (see DESIGN.md 'Real backends')";

/**
 * Polls `probe` every `intervalMs` until it returns a value other than `undefined`, or gives
 * up after `limitMs` and returns `undefined`. A bounded wait, never a timing assertion.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  limitMs: number,
  intervalMs = 50,
): Promise<T | undefined> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A name no other run shares (pid + random suffix), for keys and tables the tests create. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
}
