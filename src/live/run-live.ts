import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ExpectationJudge } from '../../sim/checkers/expectations/evaluate.ts';
import { INVARIANTS } from '../../sim/checkers/invariants.ts';
import { observedTrace } from '../../sim/checkers/observe.ts';
import { wallNowMs } from '../../sim/kernel/wall-clock.ts';
import { HASIM_VERSION, type RunSummary, type ScenarioResult, TRACE_FORMAT } from '../../sim/run.ts';
import { driveGateway, GatewayTally, gatewayDurationMs, timelineOf } from '../../sim/scenarios/gateway.ts';
import type { GatewayScenario } from '../../sim/scenarios/gateway-schema.ts';
import { kindOf } from '../../sim/scenarios/registry.ts';
import { JsonlTrace } from '../adapters/jsonl-trace.ts';
import {
  connectMysql,
  connectRedis,
  type HostPort,
  type LiveMysql,
  LiveServerError,
  type LiveTimeouts,
  type MysqlServer,
  type ProxiedAddresses,
  probeAll,
} from '../adapters/live-backends.ts';
import { type ProcessPauses, watchProcessPauses } from '../adapters/process-pauses.ts';
import { ScaledClock } from '../adapters/scaled-clock.ts';
import { SeededRandom } from '../adapters/seeded-random.ts';
import { SystemClock } from '../adapters/system-clock.ts';
import { ARTICLE_DEFAULTS } from '../gateway/config.ts';
import { expandTimeline } from '../harness/fault-timeline.ts';
import { repeat } from '../ports/clock.ts';
import type { FaultAction, Faults } from '../ports/faults.ts';
import type { TraceSink } from '../ports/trace.ts';
import { ClusterObserver } from './cluster-observer.ts';
import { LiveFaults } from './faults/live-faults.ts';
import { type ProxiedServers, startFaultProxies } from './faults/network.ts';
import { discoverBackends, type LiveServers as LiveServersFound } from './faults/servers.ts';
import { Watchdog } from './watchdog.ts';
import { buildLiveWorld, type LiveBackends } from './world.ts';

/** The real servers of a live run. */
export interface LiveServers {
  readonly redis: { readonly mode: 'cluster' | 'standalone'; readonly nodes: readonly HostPort[] };
  readonly mysql: { readonly primary: MysqlServer; readonly replicas: readonly MysqlServer[] };
}

/** Options of `runLive`. */
export interface LiveRunOptions {
  readonly seed: number | string;
  readonly variant: 'article' | 'fixed';
  readonly servers: LiveServers;
  /** Scenario ms per real ms. @defaultValue 1 */
  readonly timeScale?: number;
  /** Directory for `trace.jsonl`; none: nothing written. */
  readonly outDir?: string;
  /** Where the scenario came from, for the trace header. */
  readonly source?: string;
  /** Leave the run's keys and tables in place. @defaultValue false */
  readonly keep?: boolean;
  /** A fixed run id (tests); default 8 random hex digits. */
  readonly runId?: string;
  /** Client connect and command timeouts. */
  readonly timeouts?: LiveTimeouts;
  /** Told what the fault driver could not undo at the end (a node not restarted, a shard not failed back). */
  readonly onRestoreProblems?: (problems: readonly string[]) => void;
  /** An OpenAI-compatible endpoint (`http://host:port/v1`) for every provider. @defaultValue the simulated providers */
  readonly providerUrl?: string;
  /** Let faults act on servers hasim did not start. @defaultValue false */
  readonly allowForeignFaults?: boolean;
  /** Real ms a server may stay unreachable mid-run before the run fails. @defaultValue 15000 */
  readonly deadAfterMs?: number;
  /** Called about twice a second with the fraction of the arrival phases done. */
  readonly onProgress?: (fraction: number) => void;
}

/** What a live run adds to a run's summary. */
export interface LiveInfo {
  readonly runId: string;
  readonly timeScale: number;
  readonly keyPrefix: string;
  readonly tablePrefix: string;
  readonly servers: { readonly redis: string; readonly mysql: readonly string[] };
  /** What the cleanup removed, `kept` with `--keep`, or why it failed. */
  readonly cleanup: { readonly keys: number; readonly tables: number } | 'kept' | { readonly error: string };
  /** ioredis client errors during the run (connections lost, timeouts). */
  readonly redisClientErrors: number;
  /** Injections that failed, in order. */
  readonly faultErrors: readonly string[];
  /**
   * What held this process still during the run (its GC pauses, its event loop's delay): every
   * request in flight waited through them, so the run's tail latencies are read beside them.
   */
  readonly process: ProcessPauses;
}

/** A live run's summary: a simulated run's fields, then the live ones. */
export interface LiveSummary extends RunSummary {
  readonly live: LiveInfo;
}

/** A fault of the timeline no live driver can inject: an input error, found before anything connects. */
export class LiveFaultError extends Error {
  override readonly name = 'LiveFaultError';
}

/**
 * Refuses what no live run can do (a nemesis); says whether the timeline faults real servers, and
 * whether with network verbs (which need the clients behind fault proxies).
 */
function checkFaults(scenario: GatewayScenario): {
  readonly serverFaults: boolean;
  readonly networkFaults: boolean;
} {
  if (scenario.nemesis !== undefined) {
    throw new LiveFaultError('nemesis: is not supported live (give an explicit faults: timeline)');
  }
  const actions = expandTimeline(timelineOf(scenario));
  // A replica's apply cost is the simulation's knob; the fault proxy slows by latency only. Said
  // before anything connects, not when the fault fires minutes in.
  for (const { atMs, action } of actions) {
    if (action.verb === 'slow' && action.args?.latencyMs === undefined)
      throw new LiveFaultError(
        `fault slow ${action.target} at ${atMs} ms: args.applyCostMs is simulated only; a live run slows a server with args.latencyMs (give both to run the file simulated and live)`,
      );
  }
  const onServers = actions.filter(({ action }) => !action.target.startsWith('upstream/'));
  return {
    serverFaults: onServers.length > 0,
    networkFaults: onServers.some(({ action }) => NETWORK_VERBS.has(action.verb)),
  };
}

const NETWORK_VERBS: ReadonlySet<string> = new Set(['partition', 'repair', 'slow']);

/** Every injection of the timeline names a target and a verb the live world has. */
function checkTargets(scenario: GatewayScenario, faults: Faults): void {
  const targets = new Map(faults.targets().map((t) => [t.name, t.verbs]));
  for (const { action } of expandTimeline(timelineOf(scenario))) {
    const verbs = targets.get(action.target);
    if (verbs === undefined)
      throw new LiveFaultError(
        `fault ${action.verb} ${action.target}: no such target live (targets: ${[...targets.keys()].join(', ')})`,
      );
    if (!verbs.includes(action.verb))
      throw new LiveFaultError(
        `fault ${action.verb} ${action.target}: the target has no verb '${action.verb}' live (verbs: ${verbs.join(', ')})`,
      );
  }
}

/**
 * Runs a `kind: gateway` scenario against real servers on the scaled system clock: the same
 * world-driving code as a simulated run (`driveGateway`), the same judge and invariants, a trace in
 * the same schema. Keys get the prefix `hasim:<runid>:` (no hash tag of its own, so the limiter's
 * `{user}` tags still decide the slot and its single-key scripts run where they would) and tables
 * `h<runid>_`; both are removed at the end unless `keep`. A server unreachable at the start throws
 * `LiveServerError`; one that stays unreachable mid-run for `deadAfterMs` fails the run with a
 * `LiveServerError` too (the caller tells them apart by `LiveRunFailure`).
 */
export async function runLive(scenario: GatewayScenario, options: LiveRunOptions): Promise<LiveSummary> {
  const { serverFaults, networkFaults } = checkFaults(scenario);
  const wallStart = wallNowMs();
  const runId = options.runId ?? randomBytes(4).toString('hex');
  const keyPrefix = `hasim:${runId}:`;
  const tablePrefix = `h${runId}_`;
  let backends = await connect(scenario, options);
  let faults: LiveFaults | undefined;
  let proxied: ProxiedServers | undefined;
  try {
    if (serverFaults) {
      const servers = await discoverServers(scenario, backends, options);
      if (networkFaults) {
        // Network faults need every client connection to go through a fault proxy: reconnect.
        proxied = await startFaultProxies(servers, {
          clock: new SystemClock(),
          random: new SeededRandom(`${options.seed}/proxies`),
        });
        const direct = backends;
        backends = await connect(scenario, options, proxied);
        await closeBackends(direct);
      }
      faults = new LiveFaults(
        { servers, allowForeign: options.allowForeignFaults === true },
        { clock: new SystemClock(), ...(proxied === undefined ? {} : { network: proxied.network }) },
      );
    }
    return await runConnected(scenario, options, backends, faults, {
      runId,
      keyPrefix,
      tablePrefix,
      wallStart,
    });
  } finally {
    // Every fault still in force is undone (crashed nodes started, shards failed back), whatever happened.
    const problems = (await faults?.restoreAll().catch((e: unknown) => [String(e)])) ?? [];
    if (problems.length > 0) options.onRestoreProblems?.(problems);
    await closeBackends(backends);
    await proxied?.close();
  }
}

async function closeBackends(backends: LiveBackends): Promise<void> {
  await Promise.allSettled([
    backends.redis.close(),
    ...[backends.primary, ...backends.replicas].map((m) => m?.close()),
  ]);
}

/** A live run that started and then failed: `cause` says why (a `LiveServerError` for a server that died). */
export class LiveRunFailure extends Error {
  override readonly name = 'LiveRunFailure';
}

/**
 * The real servers as the fault driver sees them: every node of the cluster (from CLUSTER SLOTS),
 * the MariaDB servers, their roles and which ones scripts/backends.sh started. Refuses foreign
 * servers unless `--allow-foreign-faults`.
 */
async function discoverServers(
  scenario: GatewayScenario,
  backends: LiveBackends,
  options: LiveRunOptions,
): Promise<LiveServersFound> {
  const redisTopology = await backends.redis.topology();
  const hostPort = (id: string) => {
    const colon = id.lastIndexOf(':');
    return { host: id.slice(0, colon), port: Number(id.slice(colon + 1)) };
  };
  const mysqlServers = [backends.primary, ...backends.replicas]
    .filter((m) => m !== undefined)
    .map((m) => ({ host: m.server.host, port: m.server.port, user: m.server.user }));
  const servers = await discoverBackends({
    redis: redisTopology.nodes.map((n) => hostPort(n.id)),
    mysql: mysqlServers,
  });
  if (options.allowForeignFaults !== true) refuseForeign(scenario, servers);
  return servers;
}

/**
 * Without `--allow-foreign-faults`, a timeline that faults `redis/...` (or `mysql/...`) targets is
 * refused before the run when a server of that kind was not started by hasim (scripts/backends.sh):
 * which node a role names is only known when the fault fires, so every one of them must be hasim's.
 */
function refuseForeign(scenario: GatewayScenario, servers: LiveServersFound): void {
  for (const { action } of expandTimeline(timelineOf(scenario))) {
    const kind = action.target.split('/')[0];
    const pool = kind === 'redis' ? servers.redis : kind === 'mysql' ? servers.mysql : [];
    const foreign = pool.find((s) => !s.managed);
    if (foreign !== undefined)
      throw new LiveFaultError(
        `fault ${action.verb} ${action.target}: ${foreign.host}:${foreign.port} was not started by hasim (scripts/backends.sh); pass --allow-foreign-faults to fault servers hasim did not start`,
      );
  }
}

async function connect(
  scenario: GatewayScenario,
  options: LiveRunOptions,
  via?: ProxiedAddresses,
): Promise<LiveBackends> {
  const { servers, timeouts } = options;
  if (options.providerUrl !== undefined) {
    const url = new URL(options.providerUrl);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    await probeAll('the LLM provider', [{ host: url.hostname, port }], timeouts?.connectTimeoutMs ?? 2000);
  }
  const redis = await connectRedis(servers.redis.mode, servers.redis.nodes, timeouts, via);
  const layers = scenario.topology.layers ?? ARTICLE_DEFAULTS.layers;
  if (!layers.includes('chat-history')) return { redis, primary: undefined, replicas: [] };
  const opened: LiveMysql[] = [];
  try {
    for (const server of [servers.mysql.primary, ...servers.mysql.replicas])
      opened.push(await connectMysql(server, timeouts, via));
  } catch (error) {
    await Promise.allSettled([redis.close(), ...opened.map((m) => m.close())]);
    throw error;
  }
  const [primary, ...replicas] = opened;
  return { redis, primary, replicas };
}

async function runConnected(
  scenario: GatewayScenario,
  options: LiveRunOptions,
  backends: LiveBackends,
  serverFaults: LiveFaults | undefined,
  run: { runId: string; keyPrefix: string; tablePrefix: string; wallStart: number },
): Promise<LiveSummary> {
  const { variant, seed } = options;
  const clock = new ScaledClock({ timeScale: options.timeScale ?? 1 });
  const random = new SeededRandom(seed);
  const trace = openLiveTrace(scenario, options, clock, run.runId);
  const excused = new Set<string>();
  const { sink, guarded } = trace;
  const judge = new ExpectationJudge(gatewayExpectationsOf(scenario, variant), INVARIANTS);
  const observed =
    judge.families.size === 0
      ? guarded
      : observedTrace(guarded, clock, judge.families, (e) => judge.observe(e));
  const tally = new GatewayTally(variant, observed);
  const world = await buildLiveWorld(
    scenario,
    variant,
    backends,
    { clock, random, trace: tally.trace },
    run,
    serverFaults === undefined
      ? undefined
      : tracedFaults(serverFaults, tally.trace, (action) => excuse(excused, backends, action)),
    options.providerUrl,
  );
  checkTargets(scenario, world.faults);
  const faultErrors: string[] = [];
  const drive = driveGateway(scenario, world, {
    clock,
    random,
    trace: tally.trace,
    onFaultError: (error, action) =>
      faultErrors.push(`fault ${action.verb} ${action.target} failed: ${String(error)}`),
  });
  const durationMs = gatewayDurationMs(scenario);
  const observer = new ClusterObserver({}, { redis: backends.redis, trace: tally.trace });
  await observer.start();
  const pausesWatch = watchProcessPauses();
  let pauses: ProcessPauses;
  try {
    await runWatched(drive.run, { ...backends, excused }, options, trace.fail, () =>
      Math.min(1, clock.now() / durationMs),
    );
  } finally {
    pauses = pausesWatch.stop();
    observer.stop();
  }
  const endMs = clock.now();
  const expectations = judge.finish(endMs);
  const result: ScenarioResult = {
    scenario: scenario.name,
    kind: scenario.kind,
    seed,
    variant,
    traceHash: sink.hash,
    events: sink.events,
    simulatedMs: endMs,
    hasimVersion: HASIM_VERSION,
    verdict: expectations.every((x) => x.ok || x.sometimes === true) ? 'pass' : 'fail',
    expectations,
    report: { ...tally.report(world.gateways.gateways.length, drive.abandoned()) },
  };
  sink.close({ end: 'ok', events: result.events, traceHash: result.traceHash, simulatedMs: endMs });
  const cleanup =
    options.keep === true
      ? ('kept' as const)
      : await removeRunData(backends, world, run.keyPrefix).catch((error: unknown) => ({
          error: (error as Error).message.slice(0, 200),
        }));
  return {
    result,
    cost: {
      wallMs: Math.round(wallNowMs() - run.wallStart),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    },
    live: liveInfo(options, backends, clock.timeScale, run, cleanup, faultErrors, pauses),
  };
}

/**
 * Runs `run` with the watchdog beside it and progress reported every 500 ms (`done`: the fraction
 * of the arrival phases so far). A server declared dead, or the run itself failing, calls
 * `onFail` and throws `LiveRunFailure`.
 */
async function runWatched(
  run: () => Promise<void>,
  backends: LiveBackends & { readonly excused: ReadonlySet<string> },
  options: LiveRunOptions,
  onFail: () => void,
  done: () => number,
): Promise<void> {
  const watchdog = new Watchdog(
    {
      deadAfterMs: options.deadAfterMs ?? 15_000,
      probeTimeoutMs: options.timeouts?.connectTimeoutMs ?? 2000,
    },
    {
      redis: backends.redis,
      mysql: [backends.primary, ...backends.replicas].filter((m) => m !== undefined),
      excused: backends.excused,
    },
  );
  const progress = repeat(new SystemClock(), 500, () => options.onProgress?.(done()));
  try {
    await Promise.race([run(), watchdog.death()]);
  } catch (error) {
    onFail();
    throw new LiveRunFailure(error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    progress.cancel();
    watchdog.stop();
  }
}

/**
 * Keeps `excused` (the watchdog's servers down on purpose) in step with the timeline: a crash or a
 * freeze of a MariaDB target or of a standalone Redis adds its server, the restart or resume
 * removes it. Cluster nodes need no excuse: the watchdog asks the cluster whether it covered.
 */
function excuse(excused: Set<string>, backends: LiveBackends, action: FaultAction): void {
  const down = action.verb === 'crash' || action.verb === 'freeze';
  if (!down && action.verb !== 'restart' && action.verb !== 'resume') return;
  let server: { readonly host: string; readonly port: number } | undefined;
  if (action.target === 'mysql/primary') server = backends.primary?.server;
  const replica = /^mysql\/replica-(\d+)$/.exec(action.target);
  if (replica !== null) server = backends.replicas[Number(replica[1]) - 1]?.server;
  if (action.target.startsWith('redis/') && backends.redis.mode === 'standalone')
    server = backends.redis.servers[0];
  if (server === undefined) return;
  const key = `${server.host}:${server.port}`;
  if (down) excused.add(key);
  else excused.delete(key);
}

/** The `live` part of a run's summary. */
function liveInfo(
  options: LiveRunOptions,
  backends: LiveBackends,
  timeScale: number,
  run: { readonly runId: string; readonly keyPrefix: string; readonly tablePrefix: string },
  cleanup: LiveInfo['cleanup'],
  faultErrors: readonly string[],
  pauses: ProcessPauses,
): LiveInfo {
  return {
    runId: run.runId,
    timeScale,
    keyPrefix: run.keyPrefix,
    tablePrefix: run.tablePrefix,
    servers: {
      redis: `${options.servers.redis.mode} ${backends.redis.servers.map((s) => `${s.host}:${s.port}`).join(',')}`,
      mysql: [backends.primary, ...backends.replicas]
        .filter((m) => m !== undefined)
        .map((m) => `${m.server.host}:${m.server.port}/${m.server.database}`),
    },
    cleanup,
    redisClientErrors: backends.redis.errors(),
    faultErrors,
    process: pauses,
  };
}

/**
 * The run's trace file: a simulated run's header with `mode`, `runId` and `timeScale` added, and a
 * guarded sink in front of it: after `fail()` (a server died, the run is abandoned while its
 * workload still runs until the process ends) events are dropped instead of written after close.
 */
function openLiveTrace(
  scenario: GatewayScenario,
  options: LiveRunOptions,
  clock: ScaledClock,
  runId: string,
) {
  if (options.outDir !== undefined) mkdirSync(options.outDir, { recursive: true });
  const header = {
    hasim: 'trace',
    format: TRACE_FORMAT,
    hasimVersion: HASIM_VERSION,
    seed: options.seed,
    variant: options.variant,
    source: options.source ?? '(built-in)',
    scenario,
    mode: 'live',
    runId,
    timeScale: clock.timeScale,
  };
  const sink = new JsonlTrace(
    clock,
    options.outDir === undefined ? {} : { path: join(options.outDir, 'trace.jsonl'), header },
  );
  let open = true;
  const guarded: TraceSink = {
    emit: (component, kind, fields) => {
      if (open) sink.emit(component, kind, fields);
    },
  };
  return {
    sink,
    guarded,
    fail() {
      open = false;
      sink.close({ end: 'failed', events: sink.events });
    },
  };
}

/**
 * The server fault driver writing its `fault inject` events into this run's trace: it was made
 * before the trace (to discover the servers), so its own trace port is unset.
 */
function tracedFaults(
  faults: LiveFaults,
  trace: TraceSink,
  downOnPurpose: (action: FaultAction) => void,
): Faults {
  return {
    targets: () => faults.targets(),
    inject: (action: FaultAction) => {
      downOnPurpose(action);
      trace.emit('fault', 'inject', {
        verb: action.verb,
        target: action.target,
        args: (action.args ?? {}) as Readonly<Record<string, string | number | boolean | readonly string[]>>,
      });
      return faults.inject(action);
    },
  };
}

/** The scenario's expectations for `variant`, as `hasim run` judges them. */
function gatewayExpectationsOf(scenario: GatewayScenario, variant: 'article' | 'fixed') {
  return kindOf(scenario).expectations(scenario, variant);
}

/** Removes the run's keys (every master) and tables (the primary); what was removed. */
async function removeRunData(
  backends: LiveBackends,
  world: { readonly gateways: { readonly history: { readonly tables: readonly string[] } | undefined } },
  keyPrefix: string,
): Promise<{ keys: number; tables: number }> {
  const keys = await backends.redis.deleteKeys(keyPrefix);
  let tables = 0;
  const history = world.gateways.history;
  if (history !== undefined && backends.primary !== undefined) {
    for (const table of history.tables) {
      await backends.primary.port.query(`DROP TABLE IF EXISTS ${table}`);
      tables++;
    }
  }
  return { keys, tables };
}

export { LiveServerError };
