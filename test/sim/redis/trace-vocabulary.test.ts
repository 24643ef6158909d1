// Every event SimRedisCluster emits fits the `redis-cluster` block of src/ports/trace-events.ts:
// a seeded run that goes through every fault and every step of a failover, checked event by event.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimRedisCluster } from '#sim/redis/cluster.ts';
import type { TraceFields, TraceSink } from '#src/ports/trace.ts';
import { TRACE_EVENTS, traceEventProblem } from '#src/ports/trace-events.ts';

describe('redis-cluster trace vocabulary', () => {
  it('a run through crash, failover, restart, freeze, partition, slow and TAKEOVER emits only declared events', async () => {
    const sim = new Simulation({ seed: 'redis-cluster-vocabulary' });
    const problems: string[] = [];
    const kinds = new Set<string>();
    const trace: TraceSink = {
      emit(component: string, kind: string, fields?: TraceFields) {
        kinds.add(kind);
        const problem = traceEventProblem(component, kind, fields);
        if (problem !== undefined) problems.push(problem);
      },
    };
    const cluster = new SimRedisCluster(
      { masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1_000 },
      { clock: sim.clock, random: sim.random, trace },
    );
    const out = sim.spawn(async () => {
      cluster.crash('127.0.0.1:7000');
      await sim.clock.sleep(6_000); // pfail, fail, election-scheduled, auth-request, promoted
      cluster.restart('127.0.0.1:7000'); // learns it lost its slots: replicaof
      await sim.clock.sleep(3_000);
      cluster.freeze('127.0.0.1:7001');
      await sim.clock.sleep(200);
      cluster.resume('127.0.0.1:7001');
      cluster.partition(['127.0.0.1:7002']);
      cluster.slowReplies('127.0.0.1:7001', 50);
      await sim.clock.sleep(200);
      cluster.repair();
      await cluster.failover('127.0.0.1:7004', 'TAKEOVER');
      await sim.clock.sleep(1_000);
    });
    await sim.run({ untilMs: 12_000 });
    cluster.stop();
    await out;
    expect(problems).toEqual([]);
    // Converged: every node sees the same owners, and every owner is a master in its own eyes.
    const views = cluster.nodeIds.map((id) => cluster.slots(id));
    for (const view of views) expect(view).toEqual(views[0]);
    for (const [, , master] of views[0] ?? []) expect(cluster.roleOf(master)).toBe('master');
    expect(views[0]?.map(([, , master]) => master)).toEqual([
      '127.0.0.1:7003',
      '127.0.0.1:7004',
      '127.0.0.1:7002',
    ]);
    expect([...kinds].sort()).toEqual(Object.keys(TRACE_EVENTS['redis-cluster']).sort());
  });
});
