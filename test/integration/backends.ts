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

/** backends.sh's Redis Cluster layout: each master's port, slot range and fixed replica. */
export const BACKENDS_CLUSTER_LAYOUT: readonly {
  readonly master: number;
  readonly slots: string;
  readonly replica: number;
}[] = [
  { master: 7000, slots: '0-5460', replica: 7003 },
  { master: 7001, slots: '5461-10922', replica: 7004 },
  { master: 7002, slots: '10923-16383', replica: 7005 },
];

/**
 * Sends one command to 127.0.0.1:`port` in RESP and resolves with its bulk-string reply (or
 * rejects), within `timeoutMs`; enough for CLUSTER NODES, CLUSTER INFO and INFO.
 */
function redisText(port: number, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let reply = Buffer.alloc(0);
    const done = (error: Error | undefined, text?: string) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(text ?? '');
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`:${port} did not answer in ${timeoutMs} ms`)));
    socket.once('error', (error) => done(error));
    socket.on('data', (data: Buffer) => {
      reply = Buffer.concat([reply, data]);
      const text = reply.toString('utf8');
      if (text.startsWith('-')) return done(new Error(`:${port}: ${text.trim()}`));
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header === null) return;
      const length = Number(header[1]);
      const start = header[0].length;
      if (reply.length >= start + length)
        done(undefined, reply.subarray(start, start + length).toString('utf8'));
    });
    socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

/**
 * What keeps the cluster from backends.sh's layout now, as seen by every node, or undefined when
 * it is in it: each node reports `cluster_state:ok` and, in its CLUSTER NODES, 7000-7002 as masters
 * of their slot ranges and 7003-7005 as their replicas, none flagged `fail` or `fail?`; each
 * replica's link to its master is up.
 */
export async function clusterLayoutProblem(timeoutMs = 2_000): Promise<string | undefined> {
  const ports = BACKENDS_CLUSTER_LAYOUT.flatMap((s) => [s.master, s.replica]);
  for (const port of ports) {
    try {
      const info = await redisText(port, ['CLUSTER', 'INFO'], timeoutMs);
      if (!/^cluster_state:ok/m.test(info)) return `:${port} does not report cluster_state:ok`;
      const lines = (await redisText(port, ['CLUSTER', 'NODES'], timeoutMs)).trim().split('\n');
      const byPort = new Map(
        lines.map((line) => {
          const f = line.split(' ');
          return [Number(/:(\d+)/.exec(f[1] ?? '')?.[1]), f] as const;
        }),
      );
      for (const shard of BACKENDS_CLUSTER_LAYOUT) {
        const m = byPort.get(shard.master);
        const r = byPort.get(shard.replica);
        const flags = (f: readonly string[] | undefined) => (f?.[2] ?? '').split(',');
        if (m === undefined || r === undefined)
          return `:${port} does not list :${shard.master} and :${shard.replica}`;
        if (!flags(m).includes('master') || m.slice(8).join(' ') !== shard.slots)
          return `:${port} sees :${shard.master} as ${flags(m).join(',')} with slots '${m.slice(8).join(' ')}', not master of ${shard.slots}`;
        if (!flags(r).includes('slave') || r[3] !== m[0])
          return `:${port} sees :${shard.replica} as ${flags(r).join(',')} of ${r[3]}, not replica of :${shard.master}`;
        for (const f of [m, r])
          if (flags(f).some((flag) => flag === 'fail' || flag === 'fail?'))
            return `:${port} flags ${f[1]} ${flags(f).join(',')}`;
      }
      if (ports.indexOf(port) % 2 === 1) {
        const replication = await redisText(port, ['INFO', 'replication'], timeoutMs);
        if (!/^master_link_status:up/m.test(replication)) return `:${port}'s link to its master is not up`;
      }
    } catch (error) {
      return (error as Error).message;
    }
  }
  return undefined;
}

/**
 * Waits (bounded) until the cluster is in backends.sh's layout (see {@link clusterLayoutProblem}),
 * for a suite that names nodes by their backends.sh role: suites before it fail nodes over, kill
 * and freeze them, and restore them, and a restored node's peers learn of it by gossip a little
 * later. Throws with the last problem seen when `limitMs` passes.
 */
export async function waitForClusterLayout(limitMs = 60_000): Promise<void> {
  let last: string | undefined = 'not checked';
  const ok = await pollUntil(
    async () => {
      last = await clusterLayoutProblem();
      return last === undefined ? true : undefined;
    },
    limitMs,
    100,
  );
  if (ok !== true)
    throw new Error(`the Redis Cluster is not in backends.sh's layout after ${limitMs} ms: ${last}`);
}
