import { type BuiltGateways, buildGateways } from '../../src/gateway/build.ts';
import { type GatewayConfig, variantOf } from '../../src/gateway/config.ts';
import type { LlmUpstream } from '../../src/ports/llm.ts';
import type { Random } from '../../src/ports/random.ts';
import type { Topology } from '../../src/ports/topology.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import { SimFaults } from '../faults/registry.ts';
import { registerUpstream } from '../faults/upstream-targets.ts';
import type { VirtualClock } from '../kernel/virtual-clock.ts';
import { SimLlmUpstream } from '../llm/upstream.ts';
import type { GatewayScenario } from '../scenarios/gateway-schema.ts';
import { buildMysqlWorld } from './mysql-world.ts';
import { buildRedisWorld } from './redis-world.ts';

/** One simulated world: backends, providers, gateway instances and the faults that reach them. */
export interface World {
  readonly gateways: BuiltGateways;
  readonly faults: SimFaults;
  readonly topology: Topology;
  /** Stops every background timer (cluster crons, executor keep-alives). */
  stop(): void;
}

/**
 * Builds what a `kind: gateway` scenario describes on one simulation: the Redis Cluster and the
 * MariaDB primary/replicas (each on its own random fork), the providers, and the gateway
 * instances over them. Nothing runs until the simulation does. `variant` picks the gateway's
 * forms (`buildGateways`) and, in the fixed variant, semi-sync without the silent fallback to
 * async (`buildMysqlWorld`).
 */
export function buildWorld(
  scenario: GatewayScenario,
  variant: 'article' | 'fixed',
  ports: { readonly clock: VirtualClock; readonly random: Random; readonly trace: TraceSink },
): World {
  const { clock, random, trace } = ports;
  const faults = new SimFaults({}, { trace });
  const t = scenario.topology;
  const redis = buildRedisWorld(t.redis, faults, { clock, random: random.fork('redis'), trace });
  const mysql = buildMysqlWorld(
    t.mysql,
    faults,
    { clock, random: random.fork('mysql'), trace },
    variantOf(t, 'mysql', variant),
  );
  const providers = new Map<string, LlmUpstream>();
  for (const p of t.providers) {
    const { name, ...config } = p;
    const upstream = new SimLlmUpstream(config, { clock, random: random.fork(`llm/${name}`), trace });
    providers.set(name, upstream);
    registerUpstream(faults, name, upstream);
  }
  const gateways = buildGateways(
    t satisfies GatewayConfig,
    variant,
    { redis: redis.port, dataSources: mysql.dataSources, providers },
    { clock, random: random.fork('gateway'), trace },
  );
  const topology: Topology = {
    scenario: scenario.name,
    ...gateways.topology,
    redis: redis.topology,
    mysql: mysql.topology,
    faultTargets: faults.targets().map((x) => ({ name: x.name, verbs: [...x.verbs] })),
  };
  return {
    gateways,
    faults,
    topology,
    stop() {
      for (const s of gateways.stoppables) s.stop();
      redis.stop();
    },
  };
}
