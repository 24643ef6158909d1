import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summaryJson } from '../../sim/run.ts';
import type { GatewayScenario } from '../../sim/scenarios/gateway-schema.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { kindOf, type Variant } from '../../sim/scenarios/registry.ts';
import type { HostPort, MysqlServer } from '../../src/adapters/live-backends.ts';
import { pausesText } from '../../src/adapters/process-pauses.ts';
import { TIME_SCALE_MAX } from '../../src/adapters/scaled-clock.ts';
import {
  LiveFaultError,
  LiveRunFailure,
  LiveServerError,
  type LiveServers,
  type LiveSummary,
  runLive,
} from '../../src/live/run-live.ts';
import { type OptionSpec, type Parsed, stringValue } from '../args.ts';
import { EXIT, errorLine, UsageError } from '../errors.ts';
import { out } from '../output.ts';
import { ProgressBar } from '../progress.ts';
import { compareLive } from './live-compare.ts';
import { createOutDir, parseSeed } from './run.ts';
import { expectationTable, summaryTable } from './run-tables.ts';

/** The servers `scripts/backends.sh up` starts: what `hasim live` uses without options. */
export const BACKENDS_SH = {
  redisCluster: '127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002',
  mysql: 'mysql://root@127.0.0.1:3307/hasim',
  mysqlReplica: 'mysql://root@127.0.0.1:3308/hasim',
} as const;

/** The options of `hasim live`. */
export const LIVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'redis', type: 'string', value: 'URL', help: 'a standalone Redis, redis://host:port' },
  {
    name: 'redis-cluster',
    type: 'string',
    value: 'HOST:PORT,...',
    help: `Redis Cluster nodes to start from (default ${BACKENDS_SH.redisCluster}, scripts/backends.sh)`,
  },
  {
    name: 'mysql',
    type: 'string',
    value: 'URL',
    help: `the MariaDB/MySQL primary, mysql://user[:password]@host:port/db (default ${BACKENDS_SH.mysql})`,
  },
  {
    name: 'mysql-replica',
    type: 'string',
    value: 'URL,...',
    help: `replicas, comma-separated; 'none' for none (default ${BACKENDS_SH.mysqlReplica})`,
  },
  {
    name: 'provider-url',
    type: 'string',
    value: 'URL',
    help: 'an OpenAI-compatible endpoint for the providers (default: the simulated ones, in-process)',
  },
  {
    name: 'time-scale',
    type: 'string',
    value: 'F',
    help: 'scenario time runs F times as fast as real time, faults and workload alike (default 1)',
  },
  { name: 'seed', type: 'string', value: 'N', help: "root seed (default: the scenario's, else 1)" },
  {
    name: 'variant',
    type: 'string',
    value: 'article|fixed',
    help: "run one variant (default: each of the scenario's)",
  },
  { name: 'out', type: 'string', value: 'DIR', help: 'where to write trace.jsonl and summary.json' },
  {
    name: 'dead-after-ms',
    type: 'string',
    value: 'MS',
    help: 'real ms a server may stay unreachable mid-run before the run fails with exit 1 (default 15000)',
  },
  { name: 'keep', type: 'boolean', help: "leave the run's keys and tables in place" },
  {
    name: 'compare',
    type: 'boolean',
    help: 'also run the scenario simulated; print both figures side by side',
  },
  {
    name: 'allow-foreign-faults',
    type: 'boolean',
    help: 'let faults act on servers hasim did not start (kill, freeze, failover)',
  },
];

/**
 * `hasim live <scenario.yaml>`: runs a `kind: gateway` scenario against real servers (each of its
 * variants in turn), prints the same tables as `hasim run` and writes summary.json with
 * `"mode": "live"`. Exit 0 when every expectation held, 3 when one did not, 2 for bad input or a
 * server unreachable at the start, 1 when a server died mid-run or the run failed.
 */
export async function live(parsed: Parsed): Promise<number> {
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new UsageError('hasim live: give one scenario file (hasim live <scenario.yaml>)');
  const file = positionals[0] as string;
  const scenario = loadScenarioFile(file);
  if (scenario.kind !== 'gateway')
    throw new UsageError(
      `hasim live: ${file}: only kind: gateway scenarios run live (this one is ${scenario.kind})`,
    );
  const providerUrl = parseProviderUrl(stringValue(parsed, 'provider-url'));
  const servers = parseServers(parsed);
  const timeScale = parseTimeScale(stringValue(parsed, 'time-scale'));
  const seedText = stringValue(parsed, 'seed');
  const seed = seedText === undefined ? (scenario.seed ?? 1) : parseSeed('live', seedText);
  const variants = pickVariants(kindOf(scenario).variants(scenario), stringValue(parsed, 'variant'));
  const outOption = stringValue(parsed, 'out');
  const deadText = stringValue(parsed, 'dead-after-ms');
  if (deadText !== undefined && !/^\d{1,7}$/.test(deadText))
    throw new UsageError(
      `hasim live: --dead-after-ms: expected ms, an integer >= 0, got '${deadText.slice(0, 40)}'`,
    );
  const deadAfterMs = deadText === undefined ? undefined : Number(deadText);
  let failed = 0;
  for (const variant of variants) {
    const suffix = variants.length > 1 ? `-${variant}` : '';
    const outDir =
      outOption === undefined
        ? join('out', `${scenario.name}-live-seed${seed}${suffix}`.replace(/[^A-Za-z0-9._-]|^\.+/g, '_'))
        : variants.length > 1
          ? join(outOption, variant)
          : outOption;
    createOutDir('live', outDir);
    const code = await liveOne(scenario, {
      file,
      seed,
      variant,
      outDir,
      servers,
      timeScale,
      deadAfterMs,
      providerUrl,
      values,
    });
    if (code !== EXIT.ok && code !== EXIT.expectationFailed) return code;
    if (code === EXIT.expectationFailed) failed++;
  }
  return failed > 0 ? EXIT.expectationFailed : EXIT.ok;
}

interface OneRun {
  readonly file: string;
  readonly seed: number | string;
  readonly variant: Variant;
  readonly outDir: string;
  readonly servers: LiveServers;
  readonly timeScale: number;
  readonly deadAfterMs: number | undefined;
  readonly providerUrl: string | undefined;
  readonly values: Parsed['values'];
}

async function liveOne(scenario: GatewayScenario, run: OneRun): Promise<number> {
  const label = `${scenario.name} [${run.variant}]`;
  out(`hasim live ${label}  seed ${run.seed}  time scale ${run.timeScale}  (${run.file})`);
  const progress = new ProgressBar(label);
  let summary: LiveSummary;
  try {
    summary = await runLive(scenario, {
      seed: run.seed,
      variant: run.variant,
      servers: run.servers,
      timeScale: run.timeScale,
      outDir: run.outDir,
      source: run.file,
      keep: run.values.keep === true,
      ...(run.deadAfterMs === undefined ? {} : { deadAfterMs: run.deadAfterMs }),
      onProgress: (f) => progress.update(f),
      ...(run.providerUrl === undefined ? {} : { providerUrl: run.providerUrl }),
      allowForeignFaults: run.values['allow-foreign-faults'] === true,
      onRestoreProblems: (problems) => {
        for (const p of problems) errorLine(`hasim live: could not restore after the run: ${p}`);
      },
    });
  } catch (error) {
    progress.clear();
    if (error instanceof LiveServerError) throw new UsageError(`hasim live: ${error.message}`);
    if (error instanceof LiveFaultError) throw new UsageError(`hasim live: ${run.file}: ${error.message}`);
    if (error instanceof LiveRunFailure) {
      const cause = error.cause;
      // The workload's timers are still set: end the process once this returns, whatever is left.
      setTimeout(() => process.exit(EXIT.failed), 1000).unref();
      errorLine(
        cause instanceof LiveServerError
          ? `hasim live: ${cause.what} stopped answering mid-run (${cause.code}); the run is incomplete, nothing was judged`
          : `hasim live: the run failed (${label}): ${error.message}`,
      );
      return EXIT.failed;
    }
    throw error;
  }
  progress.clear();
  const compare = run.values.compare === true ? await compareLive(scenario, summary, run) : undefined;
  const json = {
    mode: 'live',
    ...summaryJson(summary),
    live: summary.live,
    ...(compare === undefined ? {} : { compare: compare.json }),
  };
  writeFileSync(join(run.outDir, 'summary.json'), `${JSON.stringify(json, null, 2)}\n`);
  out(summaryTable(summary, run.outDir, { timeScale: summary.live.timeScale }));
  out(liveLine(summary));
  if (summary.result.expectations.length > 0) out(expectationTable(summary));
  if (compare !== undefined) out(compare.table);
  for (const problem of summary.live.faultErrors) errorLine(`hasim live: ${problem}`);
  if (summary.live.faultErrors.length > 0) return EXIT.failed;
  return summary.result.verdict === 'fail' ? EXIT.expectationFailed : EXIT.ok;
}

function liveLine({ live }: LiveSummary): string {
  const cleanup =
    live.cleanup === 'kept'
      ? `kept (keys ${live.keyPrefix}*, tables ${live.tablePrefix}*)`
      : 'error' in live.cleanup
        ? `failed: ${live.cleanup.error}`
        : `removed ${live.cleanup.keys} keys, ${live.cleanup.tables} tables`;
  return [
    `live        run ${live.runId}   redis ${live.servers.redis}   mysql ${live.servers.mysql.join(' ') || '-'}`,
    `            cleanup ${cleanup}   redis client errors ${live.redisClientErrors}`,
    `            this process: GC ${pausesText(live.process)}`,
  ].join('\n');
}

function parseProviderUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new UsageError(
      `hasim live: --provider-url: expected an http(s) base URL such as http://127.0.0.1:8080/v1, got '${text.slice(0, 80)}'`,
    );
  return url.href;
}

function pickVariants(variants: readonly Variant[], option: string | undefined): readonly Variant[] {
  if (option === undefined) return variants;
  if (option !== 'article' && option !== 'fixed')
    throw new UsageError(`hasim live: --variant: expected article or fixed, got '${option.slice(0, 40)}'`);
  return [option];
}

function parseTimeScale(text: string | undefined): number {
  if (text === undefined) return 1;
  const f = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(f > 0) || f > TIME_SCALE_MAX)
    throw new UsageError(
      `hasim live: --time-scale: expected a number > 0 and <= ${TIME_SCALE_MAX}, got '${text.slice(0, 40)}'`,
    );
  return f;
}

/** The servers from the options, else scripts/backends.sh's. */
export function parseServers(parsed: Parsed): LiveServers {
  const redisUrl = stringValue(parsed, 'redis');
  const cluster = stringValue(parsed, 'redis-cluster');
  if (redisUrl !== undefined && cluster !== undefined)
    throw new UsageError('hasim live: give --redis or --redis-cluster, not both');
  const redis =
    redisUrl !== undefined
      ? { mode: 'standalone' as const, nodes: [hostPort('--redis', redisUrl, 'redis:')] }
      : {
          mode: 'cluster' as const,
          nodes: (cluster ?? BACKENDS_SH.redisCluster).split(',').map((n) => hostPort('--redis-cluster', n)),
        };
  const replicaText = stringValue(parsed, 'mysql-replica') ?? BACKENDS_SH.mysqlReplica;
  return {
    redis,
    mysql: {
      primary: mysqlServer('--mysql', stringValue(parsed, 'mysql') ?? BACKENDS_SH.mysql),
      replicas:
        replicaText === 'none' ? [] : replicaText.split(',').map((u) => mysqlServer('--mysql-replica', u)),
    },
  };
}

function hostPort(flag: string, text: string, scheme?: string): HostPort {
  const bad = () =>
    new UsageError(
      `hasim live: ${flag}: expected ${scheme === undefined ? 'host:port' : `${scheme}//host:port`}, got '${text.slice(0, 80)}'`,
    );
  let url: URL;
  try {
    url = new URL(scheme === undefined ? `tcp://${text.trim()}` : text.trim());
  } catch {
    throw bad();
  }
  if (scheme !== undefined && url.protocol !== scheme) throw bad();
  const port = Number(url.port);
  if (url.hostname === '' || !(port > 0 && port < 65536)) throw bad();
  return { host: url.hostname, port };
}

function mysqlServer(flag: string, text: string): MysqlServer {
  const { host, port } = hostPort(flag, text, 'mysql:');
  const url = new URL(text.trim());
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!/^[A-Za-z0-9_$]+$/.test(database))
    throw new UsageError(
      `hasim live: ${flag}: expected mysql://user@host:port/database, got '${text.slice(0, 80)}'`,
    );
  return {
    host,
    port,
    user: decodeURIComponent(url.username || 'root'),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    database,
  };
}
