import { describe, expect, it } from 'vitest';
import { SimFaults } from '#sim/faults/registry.ts';
import { buildMysqlWorld, SEMI_SYNC_NEVER_FALL_BACK_MS } from '#sim/world/mysql-world.ts';
import { newSim } from '../../helpers/sim.ts';

// M1's mechanism at the world level: with both replicas' IO threads stopped, the article's
// configuration acknowledges a commit after rpl_semi_sync_master_timeout (then runs async); the
// fixed variant's primary never falls back, so the commit is still waiting 60 s later.
async function commitWithoutAcks(variant: 'article' | 'fixed') {
  const sim = newSim(`mysql-world-semi-sync-${variant}`);
  const faults = new SimFaults({}, { trace: sim.trace });
  const world = buildMysqlWorld(
    { replicas: 2, semiSync: { waitPoint: 'AFTER_SYNC', timeoutMs: 10_000 } },
    faults,
    { clock: sim.clock, random: sim.random },
    variant,
  );
  let ackedAtMs: number | undefined;
  sim.spawn(async () => {
    await world.cluster.primary.query(
      'CREATE TABLE t (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL)',
    );
    await faults.inject({ verb: 'stop-io-thread', target: 'mysql/replica-1' });
    await faults.inject({ verb: 'stop-io-thread', target: 'mysql/replica-2' });
    const start = sim.clock.now();
    void world.cluster.primary.query('INSERT INTO t (v) VALUES (1)').then(() => {
      ackedAtMs = sim.clock.now() - start;
    });
  });
  await sim.run({ untilMs: 60_000 });
  return { ackedAtMs, topology: world.topology };
}

describe('buildMysqlWorld semi-sync per variant', () => {
  it('article: acknowledged after the 10 s timeout with no replica; fixed: never acknowledged alone', async () => {
    const article = await commitWithoutAcks('article');
    expect(article.ackedAtMs).toBe(10_000);
    expect(article.topology.semiSync?.timeoutMs).toBe(10_000);
    const fixed = await commitWithoutAcks('fixed');
    expect(fixed.ackedAtMs).toBeUndefined();
    expect(fixed.topology.semiSync?.timeoutMs).toBe(SEMI_SYNC_NEVER_FALL_BACK_MS);
  });
});
