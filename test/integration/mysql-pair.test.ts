// The MariaDB pair contract (test/contract/mysql-pair.contract.ts) on the real pair that
// scripts/backends.sh starts: primary 127.0.0.1:3307, semi-sync replica 127.0.0.1:3308, db `hasim`.
// The same bodies run on the simulated pair in test/contract/mysql-pair.sim.test.ts. The lossy
// failover body is NOT run here: it would leave the shared pair diverged (the old primary must be
// rebuilt), which no test can restore; it runs on the simulated pair only.
// Skipped with a visible reason when the pair is down; failed under CI=true.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MariaDbPair, mariaDbPair } from '../../src/adapters/mysql2.ts';
import { SystemClock } from '../../src/adapters/system-clock.ts';
import {
  type MysqlPairTarget,
  semiSyncStall,
  WRITE_REACHES_REPLICA,
  writeReachesReplica,
} from '../contract/mysql-pair.contract.ts';
import { BACKENDS_SH_HINT, gateBackend, uniqueName } from './backends.ts';

const gate = await gateBackend({
  name: 'mysql pair contract (real MariaDB)',
  ports: [3307, 3308],
  hint: BACKENDS_SH_HINT,
});

/** Semi-sync timeout the stall body sets, ms. */
const TIMEOUT_MS = 1_000;
/** How far past the timeout the real server may return (scheduling, loopback, a loaded 2-core box), ms. */
const JITTER_MS = 1_500;

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  let pair: MariaDbPair;
  const tables: string[] = [];
  const target = (): MysqlPairTarget => {
    const table = uniqueName('mysqlpair');
    tables.push(table);
    return { primary: pair.primary, replica: pair.replica, clock: new SystemClock(), table };
  };

  beforeAll(() => {
    pair = mariaDbPair();
  });
  afterAll(async () => {
    for (const t of tables) await pair.primary.query(`DROP TABLE IF EXISTS ${t}`);
    await pair.end();
  });

  it('a write reaches the replica', { timeout: 30_000 }, async () => {
    expect(await writeReachesReplica(target())).toEqual(WRITE_REACHES_REPLICA);
  });

  it('IO thread stopped: the commit waits the semi-sync timeout (within jitter), returns OK, status OFF then ON', {
    timeout: 60_000,
  }, async () => {
    const observed = await semiSyncStall(target(), TIMEOUT_MS);
    console.info(
      `[mysql-pair] real pair: commit with the IO thread stopped took ${observed.waitedMs} ms (timeout ${TIMEOUT_MS} ms)`,
    );
    expect({ ...observed, waitedMs: undefined }).toEqual({
      before: 'ON',
      affectedRows: 1,
      waitedMs: undefined,
      during: 'OFF',
      after: 'ON',
    });
    expect(observed.waitedMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(observed.waitedMs).toBeLessThan(TIMEOUT_MS + JITTER_MS);
  });
});
