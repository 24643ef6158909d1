import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SimFaults } from '#sim/faults/registry.ts';
import { runScenario } from '#sim/run.ts';
import { parseScenario } from '#sim/scenarios/load.ts';
import { buildMysqlWorld } from '#sim/world/mysql-world.ts';
import { waitForReplicas } from '#src/gateway/replica-wait.ts';
import type { SqlPort } from '#src/ports/sql.ts';
import { newSim } from '../../helpers/sim.ts';

const DDL = 'CREATE TABLE t (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL)';

// Two async replicas whose SQL threads take 50 ms a transaction: the CREATE TABLE reaches them
// about 50 ms after the primary answered it.
function world(seed: string) {
  const sim = newSim(seed);
  const faults = new SimFaults({}, { trace: sim.trace });
  const w = buildMysqlWorld({ replicas: 2, applyCostMs: 50 }, faults, {
    clock: sim.clock,
    random: sim.random,
  });
  const primary = w.dataSources.get('ds-master') as SqlPort;
  const replicas = new Map([...w.dataSources].filter(([name]) => name !== 'ds-master'));
  return { sim, faults, primary, replicas };
}

describe('waitForReplicas (MASTER_GTID_WAIT on each replica)', () => {
  it('returns once every replica has applied the DDL, and not before', async () => {
    const { sim, primary, replicas } = world('replica-wait-ok');
    const seen: { before?: string; behind?: readonly string[]; waitedMs?: number; after?: number } = {};
    sim.spawn(async () => {
      await primary.query(DDL);
      // Without the wait, a replica read right after the DDL fails as MariaDB's would.
      seen.before = await replicas
        .get('ds-slave-0')!
        .query('SELECT COUNT(*) AS n FROM t')
        .then(
          () => 'ok',
          (e: Error) => e.message,
        );
      const start = sim.clock.now();
      seen.behind = await waitForReplicas(primary, replicas, 10);
      seen.waitedMs = sim.clock.now() - start;
      const r = await replicas.get('ds-slave-1')!.query('SELECT COUNT(*) AS n FROM t');
      seen.after = Number(Object.values(r.rows[0]!)[0]);
    });
    await sim.run();
    expect(seen.before).toMatch(/Table '.*t' doesn't exist/);
    expect(seen.behind).toEqual([]);
    expect(seen.waitedMs).toBeGreaterThanOrEqual(40);
    expect(seen.waitedMs).toBeLessThan(1_000);
    expect(seen.after).toBe(0);
  });

  it('names a replica whose SQL thread is stopped, after the timeout', async () => {
    const { sim, faults, primary, replicas } = world('replica-wait-stopped');
    const seen: { behind?: readonly string[]; waitedMs?: number } = {};
    sim.spawn(async () => {
      await faults.inject({ verb: 'stop-sql-thread', target: 'mysql/replica-2' });
      await primary.query(DDL);
      const start = sim.clock.now();
      seen.behind = await waitForReplicas(primary, replicas, 2);
      seen.waitedMs = sim.clock.now() - start;
    });
    await sim.run({ untilMs: 60_000 });
    expect(seen.behind).toEqual(['ds-slave-1']);
    expect(seen.waitedMs).toBeGreaterThanOrEqual(2_000);
    expect(seen.waitedMs).toBeLessThan(3_000);
  });
});

// A gateway run without semi-sync, reading history from lagging replicas from its first
// millisecond: no read finds a table missing, because the setup waits for the schema to arrive.
const dir = mkdtempSync(join(tmpdir(), 'hasim-replica-wait-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a gateway run starts after the replicas have the schema', () => {
  it('no history read fails with a missing table, in a run without semi-sync', async () => {
    const scenario = parseScenario(
      `kind: gateway
name: schema-race
seed: 1
variant: article
topology:
  instances: 2
  layers: [chat-history]
  redis: { masters: 1, replicasPerMaster: 0 }
  mysql: { replicas: 2, loadBalancer: ROUND_ROBIN, shards: 4, applyCostMs: 20 }
  providers:
    - { name: primary, model: gpt-4o-mini, ttftMedianMs: 200, decodeTokensPerSecond: 200, outputTokensMu: 3, outputTokensSigma: 0.3 }
workload:
  phases:
    - { name: steady, durationMs: 2s, arrivalRate: 200 }
  users: 10
  prompts: 100
`,
      'schema-race.yaml',
    );
    const outDir = join(dir, 'run');
    await runScenario(scenario, { seed: 1, variant: 'article', outDir });
    const lines = readFileSync(join(outDir, 'trace.jsonl'), 'utf8').split('\n');
    const reads = lines.filter((l) => l.includes('"c":"chat-history/') && l.includes('"k":"read"'));
    expect(reads.length).toBeGreaterThan(200);
    expect(lines.filter((l) => l.includes('"k":"read-failed"'))).toEqual([]);
    expect(lines.filter((l) => l.includes('schema-not-replicated'))).toEqual([]);
  });
});
