import { SimFaults } from '../../sim/faults/registry.ts';
import { registerUpstream } from '../../sim/faults/upstream-targets.ts';
import { SimLlmUpstream } from '../../sim/llm/upstream.ts';
import type { DrivenWorld } from '../../sim/scenarios/gateway.ts';
import type { GatewayScenario } from '../../sim/scenarios/gateway-schema.ts';
import type { LiveMysql, LiveRedis } from '../adapters/live-backends.ts';
import { buildGateways, type GatewayNames } from '../gateway/build.ts';
import type { GatewayConfig } from '../gateway/config.ts';
import type { Clock } from '../ports/clock.ts';
import { type FaultAction, FaultError, type Faults, type FaultTarget } from '../ports/faults.ts';
import type { LlmUpstream } from '../ports/llm.ts';
import type { Random } from '../ports/random.ts';
import type { SqlPort } from '../ports/sql.ts';
import type { Topology } from '../ports/topology.ts';
import type { TraceSink } from '../ports/trace.ts';

/** The connected servers a live world runs on. */
export interface LiveBackends {
  readonly redis: LiveRedis;
  /** None when the scenario's layers do not include `chat-history`. */
  readonly primary: LiveMysql | undefined;
  readonly replicas: readonly LiveMysql[];
}

/** A live world: what `driveGateway` drives. */
export type LiveWorld = DrivenWorld;

/**
 * The faults of a live world: the simulated providers' targets (`upstream/<name>`) and, when the
 * timeline needs them, the real servers' (`LiveFaults`). A target is routed to whichever has it.
 */
export class LiveWorldFaults implements Faults {
  readonly #parts: readonly Faults[];

  constructor(parts: readonly Faults[]) {
    this.#parts = parts;
  }

  targets(): readonly FaultTarget[] {
    return this.#parts.flatMap((p) => p.targets());
  }

  inject(action: FaultAction): Promise<void> {
    const part = this.#parts.find((p) => p.targets().some((t) => t.name === action.target));
    if (part === undefined) {
      const known = this.targets()
        .map((t) => t.name)
        .join(', ');
      return Promise.reject(new FaultError(`no fault target '${action.target}' live (targets: ${known})`));
    }
    return part.inject(action);
  }
}

/**
 * Builds the gateway instances of a `kind: gateway` scenario over real servers: the same
 * `buildGateways` as a simulated run, with the run's key and table prefixes, the scenario's
 * simulated providers running on the live clock (registered as `upstream/<name>` fault targets, as
 * in a simulated world), and the topology read from the servers (cluster slots, semi-sync
 * settings). The scenario's own redis/mysql sizes are ignored: the servers are what they are.
 */
export async function buildLiveWorld(
  scenario: GatewayScenario,
  variant: 'article' | 'fixed',
  backends: LiveBackends,
  ports: { readonly clock: Clock; readonly random: Random; readonly trace: TraceSink },
  names: GatewayNames,
  serverFaults?: Faults,
): Promise<LiveWorld> {
  const { clock, random, trace } = ports;
  const upstreamFaults = new SimFaults({}, { trace });
  const faults = new LiveWorldFaults(
    serverFaults === undefined ? [upstreamFaults] : [upstreamFaults, serverFaults],
  );
  const t = scenario.topology;
  const providers = new Map<string, LlmUpstream>();
  for (const p of t.providers) {
    const { name, ...config } = p;
    const upstream = new SimLlmUpstream(config, { clock, random: random.fork(`llm/${name}`), trace });
    providers.set(name, upstream);
    registerUpstream(upstreamFaults, name, upstream);
  }
  const dataSources = new Map<string, SqlPort>();
  if (backends.primary !== undefined) dataSources.set('ds-master', backends.primary.port);
  for (const [i, r] of backends.replicas.entries()) dataSources.set(`ds-slave-${i}`, r.port);
  const gateways = buildGateways(
    t satisfies GatewayConfig,
    variant,
    { redis: backends.redis.port, dataSources, providers },
    { clock, random: random.fork('gateway'), trace },
    names,
  );
  const topology: Topology = {
    scenario: scenario.name,
    ...gateways.topology,
    redis: await backends.redis.topology(),
    ...(backends.primary === undefined
      ? {}
      : { mysql: await mysqlTopology(scenario, backends.primary, backends) }),
    faultTargets: faults.targets().map((x) => ({ name: x.name, verbs: [...x.verbs] })),
  };
  return {
    gateways,
    faults,
    topology,
    stop() {
      for (const s of gateways.stoppables) s.stop();
    },
  };
}

/** The `mysql` part of the topology: the servers by data-source name and the primary's semi-sync settings. */
async function mysqlTopology(
  scenario: GatewayScenario,
  primary: LiveMysql,
  backends: LiveBackends,
): Promise<NonNullable<Topology['mysql']>> {
  const variables = await primary.port
    .query<{ Variable_name: string; Value: string }>("SHOW VARIABLES LIKE 'rpl_semi_sync_master_%'")
    .then((r) => new Map(r.rows.map((row) => [row.Variable_name, row.Value])))
    .catch(() => new Map<string, string>());
  const semi = variables.get('rpl_semi_sync_master_enabled') === 'ON';
  return {
    nodes: [
      { name: 'ds-master', target: 'mysql/primary', role: 'primary' },
      ...backends.replicas.map((_, i) => ({
        name: `ds-slave-${i}`,
        target: `mysql/replica-${i + 1}`,
        role: 'replica' as const,
      })),
    ],
    ...(semi
      ? {
          semiSync: {
            waitPoint: variables.get('rpl_semi_sync_master_wait_point') ?? 'AFTER_SYNC',
            timeoutMs: Number(variables.get('rpl_semi_sync_master_timeout') ?? 10_000),
          },
        }
      : {}),
    loadBalancer: scenario.topology.mysql?.loadBalancer ?? 'ROUND_ROBIN',
    shards: scenario.topology.mysql?.shards ?? 4,
  };
}
