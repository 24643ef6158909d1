import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SimLlmUpstream } from '../../sim/llm/upstream.ts';
import type { GatewayScenario } from '../../sim/scenarios/gateway-schema.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { RequestMix } from '../../sim/workload/requests.ts';
import { JsonlTrace } from '../../src/adapters/jsonl-trace.ts';
import {
  connectMysql,
  connectRedis,
  type HostPort,
  type LiveMysql,
  type LiveRedis,
  probeTcp,
} from '../../src/adapters/live-backends.ts';
import { type ProcessPauses, pausesText, watchProcessPauses } from '../../src/adapters/process-pauses.ts';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import { SystemClock } from '../../src/adapters/system-clock.ts';
import { buildGateways } from '../../src/gateway/build.ts';
import type { GatewayConfig } from '../../src/gateway/config.ts';
import { waitForReplicas } from '../../src/gateway/replica-wait.ts';
import type { LlmRequest, LlmResponse, LlmUpstream } from '../../src/ports/llm.ts';
import type { SqlPort } from '../../src/ports/sql.ts';
import type { BenchCase, Measurement } from '../harness.ts';
import { procCpu } from '../proc-stat.ts';

// Live overhead (issue 15): the composed gateway of scenarios/bench/live-overhead.yaml (three
// instances, every layer) on the real Redis Cluster 127.0.0.1:7000-7005 and MariaDB semi-sync
// pair 3307/3308 of scripts/backends.sh, driven open-loop at HASIM_BENCH_LIVE_RATE requests/s
// (default 1,200, so that 1,000 answers/s is shown with room) for 10 s on the system clock, in this process. The figure is answers per second
// (offered rate / the time until the last answer); the notes give the gateway's own overhead per
// request, p50/p99/max:
// - "providers answering at once": the providers resolve immediately, so a request's whole latency
//   is the gateway's own overhead (its layers, the Redis and MariaDB round trips, the trace);
// - "simulated providers": the scenario's providers on real time (TTFT ~150-200 ms); the overhead
//   is the latency minus the request's own provider call, for the requests that made one (cache
//   hits and merged followers have no call of their own and are counted apart).
// Beside it, the peer a user would otherwise write: the same round trips by hand per request
// (the article's fixed-window limiter script, a cache GET and SET, the history SELECT and INSERT
// on the primary) with the same clients, no hasim layers. The SELECT goes to the primary because
// the gateway's does: the 'fixed' variant reads the history with ShardingSphere's write-route-only
// hint (read-your-writes; src/gateway/build.ts), so the replica only applies the INSERTs.
const ROOT = resolve(import.meta.dirname, '../..');
const SCENARIO = join(ROOT, 'scenarios/bench/live-overhead.yaml');
const RATE = Number(process.env.HASIM_BENCH_LIVE_RATE ?? 1200);
const DURATION_MS = 10_000;
/** Longest wait for the answers still in flight after the last arrival. */
const DRAIN_MS = 30_000;
const REDIS_NODES: HostPort[] = [7000, 7001, 7002, 7003, 7004, 7005].map((port) => ({
  host: '127.0.0.1',
  port,
}));
const PRIMARY = { host: '127.0.0.1', port: 3307, user: 'root', database: 'hasim' };
const REPLICA = { host: '127.0.0.1', port: 3308, user: 'root', database: 'hasim' };

interface OpenLoopFigures {
  offered: number;
  ok: number;
  notOk: number;
  wallMs: number;
  /** Overhead per request, ms, sorted. */
  overheadMs: Float64Array;
  /** Requests without a provider call of their own (cache hits, merged followers). */
  withoutCall: number;
  /** Longest lag of the generator behind its schedule, ms. */
  lagMsMax: number;
  /** The first request that threw, if one did. */
  firstError?: string;
  /** CPU ms (user + system) spent during the open loop, by process: this one, then the servers'. */
  cpuMs: ReadonlyMap<string, number>;
  /** This process's GC pauses and event-loop delay during the open loop. */
  pauses: ProcessPauses;
}

// CPU per request: this process's process.cpuUsage() and each server's utime + stime from
// /proc/<pid>/stat (bench/proc-stat.ts), read at the start and end of the open loop. The servers'
// pids come from the pid files scripts/backends.sh writes; a server whose pid changed in between
// (restarted) is left out rather than counted from another process's start.
const BACKENDS_DIR = process.env.HASIM_BACKENDS_DIR ?? '/tmp/hasim-backends';
const SERVER_PID_FILES: readonly (readonly [string, string])[] = [
  ['mariadb primary', 'mariadb/primary.pid'],
  ['mariadb replica', 'mariadb/replica.pid'],
  ...[7000, 7001, 7002, 7003, 7004, 7005].map(
    (port) => [`redis ${port}`, `redis-cluster/${port}/redis.pid`] as const,
  ),
];

/** CPU ms so far by process name, with the pid it was read from. */
type CpuSnapshot = Map<string, { readonly pid: string; readonly ms: number }>;

function cpuSnapshot(): CpuSnapshot {
  const usage = process.cpuUsage();
  const out: CpuSnapshot = new Map([
    ['node (this process)', { pid: 'self', ms: (usage.user + usage.system) / 1000 }],
  ]);
  for (const [name, file] of SERVER_PID_FILES) {
    let pid: string;
    try {
      pid = readFileSync(join(BACKENDS_DIR, file), 'utf8').trim();
    } catch {
      continue;
    }
    const cpu = procCpu(pid);
    if (cpu !== undefined) out.set(name, { pid, ms: cpu.ownMs });
  }
  return out;
}

function cpuSince(before: CpuSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, now] of cpuSnapshot()) {
    const was = before.get(name);
    if (was !== undefined && was.pid === now.pid) out.set(name, now.ms - was.ms);
  }
  return out;
}

const figures = new Map<string, OpenLoopFigures>();

/**
 * Sends `RATE` requests per second for `durationMs` through `send` (request numbers from
 * `firstId` on), on a 1 ms timer that catches up with the schedule (so a slow tick is a burst, not
 * fewer requests); waits for every answer.
 */
async function openLoop(
  send: (i: number) => Promise<{ ok: boolean; overheadMs: number | undefined }>,
  durationMs = DURATION_MS,
  firstId = 0,
): Promise<OpenLoopFigures> {
  const total = Math.round((RATE * durationMs) / 1000);
  const overhead: number[] = [];
  let ok = 0;
  let notOk = 0;
  let withoutCall = 0;
  let settled = 0;
  let sent = 0;
  let lagMsMax = 0;
  let firstError: string | undefined;
  const cpuBefore = cpuSnapshot();
  const pausesWatch = watchProcessPauses();
  const start = performance.now();
  let lastAnswer = start;
  await new Promise<void>((done) => {
    const onSettled = (r: { ok: boolean; overheadMs: number | undefined }) => {
      if (r.ok) ok++;
      else notOk++;
      if (r.ok && r.overheadMs === undefined) withoutCall++;
      else if (r.overheadMs !== undefined) overhead.push(r.overheadMs);
      lastAnswer = performance.now();
      if (++settled === total) done();
    };
    const tick = () => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed * RATE) / 1000) + 1);
      if (due - sent > 1) lagMsMax = Math.max(lagMsMax, ((due - sent - 1) * 1000) / RATE);
      while (sent < due) {
        send(firstId + sent++).then(onSettled, (error: unknown) => {
          firstError ??= error instanceof Error ? error.message.slice(0, 160) : String(error);
          onSettled({ ok: false, overheadMs: undefined });
        });
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
    setTimeout(done, durationMs + DRAIN_MS).unref();
  });
  const cpuMs = cpuSince(cpuBefore);
  const pauses = pausesWatch.stop();
  return {
    offered: total,
    cpuMs,
    pauses,
    ok,
    notOk,
    wallMs: lastAnswer - start,
    overheadMs: Float64Array.from(overhead).sort(),
    withoutCall,
    lagMsMax,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Requests sent, unmeasured, before the clock starts: JIT, connection pools and caches warm up. */
const WARM_UP_REQUESTS = 2_000;
/**
 * Request numbers of the warm-up: its waves from here, its open loop from twice this; the measured
 * window's start at 0, so a number below this is a measured request.
 */
const WARM_UP_IDS_FROM = 1_000_000_000;
/**
 * Then an unmeasured open loop at the measured rate, ms: the waves compile the code and open the
 * pools; the measured window starts in the open loop's steady state (its heap sizes and timer
 * rhythm), as load tools discard their ramp. The p99 still varies run to run on this machine by
 * more than the case-to-case differences: docs/benchmarks.md gives repeated runs.
 */
const WARM_UP_OPEN_LOOP_MS = 3_000;

/**
 * Sends `WARM_UP_REQUESTS` in waves of 100 (the pools open their connections, V8 compiles the hot
 * path) and `WARM_UP_OPEN_LOOP_MS` of the open loop, then measures `openLoop` with request numbers
 * that continue after the warm-up's.
 */
async function warmThenOpenLoop(
  send: (i: number) => Promise<{ ok: boolean; overheadMs: number | undefined }>,
): Promise<OpenLoopFigures> {
  for (let wave = 0; wave < WARM_UP_REQUESTS; wave += 100) {
    const sent = Promise.allSettled(Array.from({ length: 100 }, (_, i) => send(WARM_UP_IDS_FROM + wave + i)));
    // A wave whose requests never all answer must not hold the bench forever (the open loops
    // stop waiting after DRAIN_MS too): it fails the case, naming the wave.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), DRAIN_MS);
    });
    const outcome = await Promise.race([sent, late]);
    clearTimeout(timer);
    if (outcome === 'late')
      throw new Error(`warm-up wave ${wave / 100 + 1}: not every request answered within ${DRAIN_MS} ms`);
  }
  await openLoop(send, WARM_UP_OPEN_LOOP_MS, 2 * WARM_UP_IDS_FROM);
  return openLoop(send);
}

interface Connected {
  readonly redis: LiveRedis;
  readonly primary: LiveMysql;
  readonly replica: LiveMysql;
}

async function connectAll(): Promise<Connected> {
  const redis = await connectRedis('cluster', REDIS_NODES);
  const primary = await connectMysql(PRIMARY);
  const replica = await connectMysql(REPLICA);
  return { redis, primary, replica };
}

async function closeAll(c: Connected): Promise<void> {
  await Promise.allSettled([c.redis.close(), c.primary.close(), c.replica.close()]);
}

/** A provider that answers at once: the whole latency of a request is then the gateway's. */
function instantProvider(model: string): LlmUpstream {
  const response: LlmResponse = { model, text: `answer from ${model}`, inputTokens: 8, outputTokens: 32 };
  return { model, complete: () => Promise.resolve(response) };
}

/** Wraps a provider and records how long each request id's own calls took, ms. */
function timedProvider(inner: LlmUpstream, callMs: Map<number, number>): LlmUpstream {
  return {
    model: inner.model,
    async complete(request: LlmRequest, signal?: AbortSignal) {
      const t0 = performance.now();
      try {
        return await inner.complete(request, signal);
      } finally {
        callMs.set(request.id, (callMs.get(request.id) ?? 0) + performance.now() - t0);
      }
    },
  };
}

/** `historyBatchRows`: the scenario's, or this (a group commit of the chat history's INSERTs). */
async function gatewayRun(
  providers: 'instant' | 'simulated',
  historyBatchRows?: number,
): Promise<OpenLoopFigures> {
  const loaded = loadScenarioFile(SCENARIO) as GatewayScenario;
  const scenario =
    historyBatchRows === undefined
      ? loaded
      : {
          ...loaded,
          topology: { ...loaded.topology, mysql: { ...loaded.topology.mysql, historyBatchRows } },
        };
  const c = await connectAll();
  const clock = new SystemClock();
  const random = new SeededRandom(1);
  const runId = randomBytes(4).toString('hex');
  const names = { keyPrefix: `hasim:bench${runId}:`, tablePrefix: `hbench${runId}_` };
  const callMs = new Map<number, number>();
  const upstreams = new Map<string, LlmUpstream>();
  for (const { name, ...config } of scenario.topology.providers) {
    upstreams.set(
      name,
      providers === 'instant'
        ? instantProvider(config.model)
        : timedProvider(new SimLlmUpstream(config, { clock, random: random.fork(`llm/${name}`) }), callMs),
    );
  }
  // The trace a live run keeps: every event formatted and hashed; no file (no disk in the figure)
  // unless HASIM_BENCH_LIVE_TRACE names one.
  const trace = new JsonlTrace(
    clock,
    process.env.HASIM_BENCH_LIVE_TRACE ? { path: process.env.HASIM_BENCH_LIVE_TRACE } : {},
  );
  const dataSources = new Map<string, SqlPort>([
    ['ds-master', c.primary.port],
    ['ds-slave-0', c.replica.port],
  ]);
  const built = buildGateways(
    scenario.topology satisfies GatewayConfig,
    'fixed',
    { redis: c.redis.port, dataSources, providers: upstreams },
    { clock, random: random.fork('gateway'), trace },
    names,
  );
  try {
    await built.history?.createTables();
    // The tables reach the replica before the first request (a history read routed there would
    // otherwise find no table).
    if (built.primary !== undefined) await waitForReplicas(built.primary, built.replicas);
    const mix = new RequestMix(
      { users: scenario.workload.users ?? 1000, prompts: scenario.workload.prompts ?? 10_000, zipf: 0.9 },
      { random: random.fork('workload') },
    );
    const gateways = built.gateways;
    return await warmThenOpenLoop(async (id) => {
      const gateway = gateways[id % gateways.length]!;
      const t0 = performance.now();
      const outcome = await gateway.handle({ id, ...mix.next() });
      const ms = performance.now() - t0;
      const ok = outcome.kind === 'admitted';
      if (providers === 'instant') return { ok, overheadMs: ms };
      const own = callMs.get(id);
      callMs.delete(id);
      return { ok, overheadMs: own === undefined ? undefined : ms - own };
    });
  } finally {
    for (const s of built.stoppables) s.stop();
    trace.close({ end: 'ok', events: trace.events });
    await c.redis.deleteKeys(names.keyPrefix).catch(() => 0);
    for (const table of built.history?.tables ?? [])
      await c.primary.port.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await closeAll(c);
  }
}

// The article's fixed-window limiter script (its section 4.2), as the peer would paste it.
const LIMITER_LUA = `local c = redis.call('incr', KEYS[1])
if c == 1 then redis.call('expire', KEYS[1], ARGV[1]) end
if c > tonumber(ARGV[2]) then return 0 end
return 1`;

/** The by-hand loop's round trips in its measured window, ms, by command (in the order first seen). */
const byHandRoundTrips = new Map<string, number[]>();

async function byHandRun(): Promise<OpenLoopFigures> {
  const c = await connectAll();
  const runId = randomBytes(4).toString('hex');
  const prefix = `hasim:bench${runId}:`;
  const tables = [0, 1, 2, 3].map((i) => `hbench${runId}_peer_${i}`);
  const random = new SeededRandom(1);
  const redis = c.redis.port;
  try {
    for (const table of tables)
      await c.primary.port.query(
        `CREATE TABLE IF NOT EXISTS ${table} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id VARCHAR(64) NOT NULL, prompt TEXT NOT NULL, answer TEXT NOT NULL, created_ms BIGINT NOT NULL, KEY idx_user (user_id))`,
      );
    const mix = new RequestMix(
      { users: 2000, prompts: 20_000, zipf: 0.9 },
      { random: random.fork('workload') },
    );
    byHandRoundTrips.clear();
    return await warmThenOpenLoop(async (id) => {
      // Each round trip's time is kept for the measured window's requests only: where the loop's
      // tail comes from, command by command.
      const times = id < WARM_UP_IDS_FROM ? byHandRoundTrips : undefined;
      const { userId, prompt } = mix.next();
      const t0 = performance.now();
      let t = t0;
      const lap = (command: string) => {
        const now = performance.now();
        if (times !== undefined) {
          let list = times.get(command);
          if (list === undefined) {
            list = [];
            times.set(command, list);
          }
          list.push(now - t);
        }
        t = now;
      };
      const admitted = await redis.eval(LIMITER_LUA, 1, `${prefix}{${userId}}:limit`, '60', '10000000');
      lap('EVAL');
      if (admitted !== 1) return { ok: false, overheadMs: performance.now() - t0 };
      const table = tables[userId.length % tables.length]!;
      await c.primary.port.query(`SELECT id FROM ${table} WHERE user_id = ? ORDER BY id DESC LIMIT 10`, [
        userId,
      ]);
      lap('SELECT');
      const key = `${prefix}cache:${prompt}`;
      let answer = await redis.get(key);
      lap('GET');
      if (answer === null) {
        answer = `answer to ${prompt}`;
        await redis.set(key, answer, 'PX', 3_600_000);
        lap('SET');
      }
      await c.primary.port.query(
        `INSERT INTO ${table} (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?)`,
        [userId, prompt, answer, Date.now()],
      );
      lap('INSERT');
      return { ok: true, overheadMs: performance.now() - t0 };
    });
  } finally {
    await c.redis.deleteKeys(prefix).catch(() => 0);
    for (const table of tables)
      await c.primary.port.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await closeAll(c);
  }
}

const quantile = (xs: Float64Array, q: number) =>
  xs.length === 0 ? Number.NaN : xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

function measured(label: string, run: () => Promise<OpenLoopFigures>): () => Promise<Measurement> {
  return async () => {
    const f = await run();
    figures.set(label, f);
    return { ops: f.ok, ms: Math.max(f.wallMs, DURATION_MS) };
  };
}

/** The by-hand loop's round trips, p50 / p99 / max ms each: which command holds the tail. */
function roundTripsNote(): string {
  const parts = [...byHandRoundTrips].map(([command, list]) => {
    const xs = Float64Array.from(list).sort();
    const max = xs[xs.length - 1] ?? Number.NaN;
    return `${command} ${quantile(xs, 0.5).toFixed(2)} / ${quantile(xs, 0.99).toFixed(2)} / ${max.toFixed(1)} (${xs.length})`;
  });
  return `round trips ms, p50 / p99 / max (count): ${parts.join(', ')}`;
}

/** CPU µs per offered request during the open loop: this process, MariaDB, the six Redis nodes. */
function cpuNote(f: OpenLoopFigures): string {
  const perRequest = (ms: number) => ((ms * 1000) / f.offered).toFixed(0);
  let redis = 0;
  let total = 0;
  const parts: string[] = [];
  for (const [name, ms] of f.cpuMs) {
    total += ms;
    if (name.startsWith('redis ')) redis += ms;
    else parts.push(`${name} ${perRequest(ms)}`);
  }
  if (f.cpuMs.size > 1) parts.push(`redis (6 nodes) ${perRequest(redis)}`);
  return `CPU µs per request: ${parts.join(', ')}; total ${perRequest(total)}`;
}

function notes(labels: readonly string[]): () => string[] {
  return () =>
    labels.flatMap((label) => {
      const f = figures.get(label);
      if (f === undefined) return [];
      const o = f.overheadMs;
      const p99 = quantile(o, 0.99);
      return [
        `${label}: ${f.ok}/${f.offered} answered (${f.notOk} not), last answer at ${(f.wallMs / 1000).toFixed(2)} s, generator lag max ${f.lagMsMax.toFixed(1)} ms${f.firstError === undefined ? '' : `; first error: ${f.firstError}`}`,
        `  overhead ms p50 ${quantile(o, 0.5).toFixed(2)}, p99 ${p99.toFixed(2)}, max ${(o[o.length - 1] ?? Number.NaN).toFixed(2)} over ${o.length} requests${f.withoutCall > 0 ? ` (${f.withoutCall} cache hits or merged without a call of their own)` : ''}; target p99 < 10 ms: ${p99 < 10 ? 'met' : 'NOT met'}`,
        `  ${cpuNote(f)}`,
        `  GC pauses in this process: ${pausesText(f.pauses)}`,
        ...(label === BY_HAND ? [`  ${roundTripsNote()}`] : []),
      ];
    });
}

const up = await Promise.all([7000, 3307, 3308].map((port) => probeTcp({ host: '127.0.0.1', port }, 1000)));
const missing = up.some((problem) => problem !== undefined);
if (missing) {
  console.log(
    '[bench live] skipping: the Redis Cluster (7000-7005) or MariaDB pair (3307/3308) is not up (bash scripts/backends.sh up)',
  );
}

const INSTANT = 'hasim gateway, providers at once';
const SIMULATED = 'hasim gateway, simulated providers';
const BY_HAND = 'the same round trips by hand';
/** The chat history's exchanges per INSERT in the third case (topology.mysql.historyBatchRows). */
const BATCH_ROWS = 32;
const BATCHED = `hasim gateway, providers at once, historyBatchRows ${BATCH_ROWS}`;

export const cases: BenchCase[] = missing
  ? []
  : [
      {
        name: `live: every layer on real Redis Cluster + MariaDB, ${RATE} requests/s offered for ${DURATION_MS / 1000} s (providers answering at once)`,
        unit: 'answers/s',
        ours: { label: INSTANT, run: measured(INSTANT, () => gatewayRun('instant')) },
        peer: { label: BY_HAND, run: measured(BY_HAND, byHandRun) },
        rounds: 1,
        targets: { minOpsPerSecond: 1000 },
        notes: notes([INSTANT, BY_HAND]),
      },
      {
        name: `live: the same with the scenario's simulated providers on real time (TTFT ~150-200 ms)`,
        unit: 'answers/s',
        ours: { label: SIMULATED, run: measured(SIMULATED, () => gatewayRun('simulated')) },
        rounds: 1,
        targets: { minOpsPerSecond: 1000 },
        notes: notes([SIMULATED]),
      },
      {
        name: `live: the first case with the chat history's INSERTs group-committed (topology.mysql.historyBatchRows: ${BATCH_ROWS}; the exchanges of a table that arrive while its INSERT is in flight go next as one)`,
        unit: 'answers/s',
        ours: { label: BATCHED, run: measured(BATCHED, () => gatewayRun('instant', BATCH_ROWS)) },
        rounds: 1,
        targets: { minOpsPerSecond: 1000 },
        notes: notes([BATCHED]),
      },
    ];
