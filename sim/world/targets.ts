import type { FaultVerb } from '../../src/ports/faults.ts';
import type { GatewayTopology } from '../scenarios/gateway-schema.ts';

const PROCESS: readonly FaultVerb[] = ['crash', 'restart', 'freeze', 'resume', 'partition', 'repair'];
const PROVIDER: readonly FaultVerb[] = ['outage', 'slowdown', 'rate-limit-storm', 'fail-next', 'heal'];

/**
 * Every fault target a topology has, with its verbs, computed from the configuration alone (so a
 * scenario's timeline is checked before anything runs). Names address roles, resolved when the
 * fault fires: `redis/shard-1/master` is whichever node masters shard 1 then, `mysql/primary`
 * whichever node is primary then.
 */
export function faultTargets(topology: GatewayTopology): ReadonlyMap<string, readonly FaultVerb[]> {
  const out = new Map<string, readonly FaultVerb[]>();
  const masters = topology.redis?.masters ?? 3;
  const replicasPerMaster = topology.redis?.replicasPerMaster ?? 1;
  for (let shard = 1; shard <= masters; shard++) {
    out.set(`redis/shard-${shard}/master`, [...PROCESS, 'slow']);
    for (let r = 1; r <= replicasPerMaster; r++)
      out.set(`redis/shard-${shard}/replica-${r}`, [...PROCESS, 'slow', 'failover']);
  }
  out.set('mysql/primary', [...PROCESS, 'slow', 'semi-sync-timeout', 'failover']);
  const replicas = topology.mysql?.replicas ?? 2;
  for (let r = 1; r <= replicas; r++) {
    out.set(`mysql/replica-${r}`, [
      ...PROCESS,
      'slow',
      'stop-io-thread',
      'start-io-thread',
      'stop-sql-thread',
      'start-sql-thread',
    ]);
  }
  for (const p of topology.providers) out.set(`upstream/${p.name}`, PROVIDER);
  return out;
}

/** Why a fault cannot be on this topology's timeline, or `undefined`. */
export function faultTargetProblem(
  targets: ReadonlyMap<string, readonly FaultVerb[]>,
  target: string,
  verb: string,
): string | undefined {
  const verbs = targets.get(target);
  if (verbs === undefined) {
    return `no fault target '${target}' in this topology (targets: ${[...targets.keys()].join(', ')})`;
  }
  if (!verbs.includes(verb as FaultVerb))
    return `'${target}' has no verb '${verb}' (verbs: ${verbs.join(', ')})`;
  return undefined;
}
