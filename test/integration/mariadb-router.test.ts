// The router and the mysql2 SqlPort against the real MariaDB pair that scripts/backends.sh starts
// (primary 127.0.0.1:3307, semi-sync replica 127.0.0.1:3308, database `hasim`). Each test that
// stops a replica thread or changes a timeout restores it in afterEach, and tables are uniquely named.
// Skipped with a visible reason when the pair is down; failed under CI=true.
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GtidTrackingError, type MariaDbPair, Mysql2SqlPort, mariaDbPair } from '#src/adapters/mysql2.ts';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { ReadWriteRouter, type ReadWriteRouterOptions } from '#src/router/index.ts';
import {
  CATCH_UP_MS,
  ONE_REPLICA_RULE,
  replicaCaughtUp,
  STALE_READ_EXPECTED,
  staleReadWhileReplicaLags,
} from '../src/router/contract-bodies.ts';
import { BACKENDS_SH_HINT, gateBackend, pollUntil, uniqueName } from './backends.ts';

const gate = await gateBackend({
  name: 'router over the mariadb pair',
  ports: [3307, 3308],
  hint: BACKENDS_SH_HINT,
});

/** Semi-sync timeout used by the stall test, in ms. */
const SEMI_SYNC_TIMEOUT_MS = 1000;

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }

  let pair: MariaDbPair;
  // Admin connections of their own, so restoring never waits behind a router statement.
  let primaryAdmin: Mysql2SqlPort;
  let replicaAdmin: Mysql2SqlPort;
  const table = uniqueName('router');
  let savedSemiSyncTimeout: string | undefined;

  const router = (extra: Partial<ReadWriteRouterOptions> = {}, rule = ONE_REPLICA_RULE) =>
    new ReadWriteRouter(rule, {
      dataSources: pair.dataSources,
      clock: new SystemClock(),
      random: new SeededRandom('mariadb-router'),
      ...extra,
    });

  const replicaThreads = async () => {
    const { rows } = await replicaAdmin.query('SHOW SLAVE STATUS');
    return { io: rows[0]?.Slave_IO_Running, sql: rows[0]?.Slave_SQL_Running };
  };
  const semiSyncStatus = async () => {
    const { rows } = await primaryAdmin.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'");
    return String(rows[0]?.Value);
  };
  const caughtUp = () => replicaCaughtUp({ primary: primaryAdmin, replica: replicaAdmin });

  beforeAll(async () => {
    pair = mariaDbPair();
    primaryAdmin = Mysql2SqlPort.create({
      host: '127.0.0.1',
      port: 3307,
      user: 'root',
      database: 'hasim',
      connectionLimit: 1,
    });
    replicaAdmin = Mysql2SqlPort.create({
      host: '127.0.0.1',
      port: 3308,
      user: 'root',
      database: 'hasim',
      connectionLimit: 1,
    });
    await primaryAdmin.query(`CREATE TABLE \`${table}\` (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
    await primaryAdmin.query(`INSERT INTO \`${table}\` VALUES (1, 'old')`);
    expect(await caughtUp()).toBe(true);
  });

  afterEach(async () => {
    // Restore the pair whatever the test did: both replica threads running, the timeout as found.
    await replicaAdmin.query('START SLAVE');
    if (savedSemiSyncTimeout !== undefined) {
      await primaryAdmin.query(`SET GLOBAL rpl_semi_sync_master_timeout = ${Number(savedSemiSyncTimeout)}`);
      savedSemiSyncTimeout = undefined;
    }
    await caughtUp();
  });

  afterAll(async () => {
    await primaryAdmin?.query(`DROP TABLE IF EXISTS \`${table}\``);
    if (replicaAdmin) await caughtUp();
    await pair?.end();
    await primaryAdmin?.end();
    await replicaAdmin?.end();
  });

  it('routes writes to 3307 and autocommit reads to 3308, and reports the write GTID', {
    timeout: 30_000,
  }, async () => {
    const r = router();
    const write = await r.query(`UPDATE \`${table}\` SET v = ? WHERE id = 1`, ['w1']);
    expect(r.lastRoute).toEqual({ dataSourceName: 'ds-master', reason: 'write-statement' });
    expect(write.gtid).toMatch(/^0-1-\d+$/); // domain 0, primary server_id 1 (last_gtid session tracking)
    const read = await r.query('SELECT @@port AS port, @@server_id AS id');
    expect(r.lastRoute?.dataSourceName).toBe('ds-slave-0');
    expect(read.rows[0]).toEqual({ port: 3308, id: 2 });
    const locking = await r.query(`SELECT @@port AS port FROM \`${table}\` WHERE id = 1 FOR UPDATE`);
    expect(locking.rows[0]).toEqual({ port: 3307 });
  });

  it('serves a stale row while the replica SQL thread is stopped (ROUND_ROBIN, no causal reads)', {
    timeout: 30_000,
  }, async () => {
    const r = router();
    await replicaAdmin.query('STOP SLAVE SQL_THREAD');
    expect(await replicaThreads()).toEqual({ io: 'Yes', sql: 'No' });
    await r.query(`UPDATE \`${table}\` SET v = 'stale-test' WHERE id = 1`);
    const { rows } = await r.query(`SELECT v FROM \`${table}\` WHERE id = 1`);
    expect(r.lastRoute?.dataSourceName).toBe('ds-slave-0');
    expect(rows[0]?.v).not.toBe('stale-test'); // the write is acknowledged, the replica has not applied it
  });

  it('causal reads: a timed-out GTID wait reads the primary; once applied, the replica serves it', {
    timeout: 30_000,
  }, async () => {
    const r = router({ causalReads: { timeoutMs: 300 } });
    await replicaAdmin.query('STOP SLAVE SQL_THREAD');
    await r.query(`UPDATE \`${table}\` SET v = 'causal' WHERE id = 1`);
    const first = await r.query(`SELECT v FROM \`${table}\` WHERE id = 1`);
    expect(r.lastRoute).toEqual({ dataSourceName: 'ds-master', reason: 'causal-timeout' });
    expect(first.rows[0]?.v).toBe('causal');
    await replicaAdmin.query('START SLAVE SQL_THREAD');
    const second = await r.query(`SELECT v, @@port AS port FROM \`${table}\` WHERE id = 1`);
    expect(r.lastRoute).toEqual({ dataSourceName: 'ds-slave-0', reason: 'load-balanced' });
    expect(second.rows[0]).toEqual({ v: 'causal', port: 3308 });
  });

  it('transactions: PRIMARY reads the own uncommitted write; DYNAMIC reads a replica and misses it (issue #36426)', {
    timeout: 30_000,
  }, async () => {
    for (const [strategy, expected] of [
      ['PRIMARY', { v: 'in-tx', port: 3307 }],
      ['DYNAMIC', { v: 'before-tx', port: 3308 }],
    ] as const) {
      await primaryAdmin.query(`UPDATE \`${table}\` SET v = 'before-tx' WHERE id = 1`);
      expect(await caughtUp()).toBe(true);
      const r = router(
        {},
        ONE_REPLICA_RULE.replace(
          'loadBalancerName:',
          `transactionalReadQueryStrategy: ${strategy}\n        loadBalancerName:`,
        ),
      );
      const s = r.openSession();
      try {
        await s.query('BEGIN');
        await s.query(`UPDATE \`${table}\` SET v = 'in-tx' WHERE id = 1`);
        const { rows } = await s.query(`SELECT v, @@port AS port FROM \`${table}\` WHERE id = 1`);
        await s.query('ROLLBACK');
        expect(rows[0], strategy).toEqual(expected);
      } finally {
        await s.close(); // gives its pooled connections back
      }
    }
  });

  it("sessions have their own connections: A's ROLLBACK keeps B's acknowledged autocommit insert (review A1)", {
    timeout: 30_000,
  }, async () => {
    const t = uniqueName('router_sessions');
    await primaryAdmin.query(`CREATE TABLE \`${t}\` (id INT PRIMARY KEY)`);
    const r = router();
    const a = r.openSession();
    const b = r.openSession();
    try {
      await a.query('BEGIN');
      await a.query(`INSERT INTO \`${t}\` VALUES (1)`);
      const ack = await b.query(`INSERT INTO \`${t}\` VALUES (2)`); // before the fix: joined A's transaction
      expect(ack.affectedRows).toBe(1);
      expect(ack.gtid).toMatch(/^0-1-\d+$/); // session connections track last_gtid too
      await a.query('ROLLBACK');
      const { rows } = await primaryAdmin.query(`SELECT id FROM \`${t}\` ORDER BY id`);
      expect(rows.map((row) => Number(row.id))).toEqual([2]);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await primaryAdmin.query(`DROP TABLE IF EXISTS \`${t}\``);
    }
  });

  it('a shared Mysql2SqlPort refuses a second BEGIN in the same tick and leaks no pooled connection (review A2)', {
    timeout: 30_000,
  }, async () => {
    // Two connections, no waiting: a leaked connection makes the last getConnection fail at once.
    const port = Mysql2SqlPort.create({
      host: '127.0.0.1',
      port: 3307,
      user: 'root',
      database: 'hasim',
      connectionLimit: 2,
      waitForConnections: false,
    });
    try {
      const [first, second] = await Promise.allSettled([port.query('BEGIN'), port.query('BEGIN')]);
      expect(first.status).toBe('fulfilled');
      expect(second.status).toBe('rejected');
      expect((second as PromiseRejectedResult).reason.message).toMatch(
        /BEGIN while a transaction is already open on this shared port.*port\.session\(\)/,
      );
      await port.query('ROLLBACK');
      const held = await Promise.all([port.pool.getConnection(), port.pool.getConnection()]);
      for (const c of held) c.release();
    } finally {
      await port.end();
    }
  });

  it('a released session rolls back its open transaction and gives its connection back', {
    timeout: 30_000,
  }, async () => {
    const t = uniqueName('router_release');
    await primaryAdmin.query(`CREATE TABLE \`${t}\` (id INT PRIMARY KEY)`);
    const port = Mysql2SqlPort.create({
      host: '127.0.0.1',
      port: 3307,
      user: 'root',
      database: 'hasim',
      connectionLimit: 1,
      waitForConnections: false,
    });
    try {
      const s = port.session();
      await s.query('SET autocommit = 0');
      await s.query(`INSERT INTO \`${t}\` VALUES (1)`);
      await s.release();
      await expect(s.query('SELECT 1')).rejects.toThrow(/query after release/);
      // The one pooled connection is back, in autocommit mode, with nothing of the transaction.
      const { rows } = await port.query('SELECT @@autocommit AS ac, (SELECT COUNT(*) FROM `' + t + '`) AS n');
      expect(rows[0]).toEqual({ ac: 1, n: 0 });
    } finally {
      await port.end();
      await primaryAdmin.query(`DROP TABLE IF EXISTS \`${t}\``);
    }
  });

  it('a server that refuses last_gtid tracking fails statements with GtidTrackingError instead of silently disabling causal reads', {
    timeout: 30_000,
  }, async () => {
    // MariaDB answers an unknown tracked variable as a server without `last_gtid` would: errno 1193.
    const port = Mysql2SqlPort.create(
      { host: '127.0.0.1', port: 3307, user: 'root', database: 'hasim', connectionLimit: 1 },
      { gtidTrackingSql: "SET SESSION session_track_system_variables='no_such_variable'" },
    );
    try {
      for (const run of [() => port.query('SELECT 1'), () => port.session().query('SELECT 1')]) {
        const err = await run().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GtidTrackingError);
        expect((err as GtidTrackingError).serverError.errno).toBe(1193);
        expect((err as Error).message).toMatch(/causal reads would never wait/);
      }
      // Opting out runs the statements (without GTIDs).
      const plain = new Mysql2SqlPort(port.pool);
      expect((await plain.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await port.end();
    }
  });

  it('contract body (also run on the simulated pair): stale read while the SQL thread is stopped, causal reads avoid it', {
    timeout: 60_000,
  }, async () => {
    const contractTable = uniqueName('router_contract');
    try {
      const observed = await staleReadWhileReplicaLags({
        primary: primaryAdmin,
        replica: replicaAdmin,
        dataSources: pair.dataSources,
        clock: new SystemClock(),
        random: new SeededRandom('mariadb-contract'),
        table: contractTable,
      });
      expect(observed).toEqual(STALE_READ_EXPECTED);
    } finally {
      await primaryAdmin.query(`DROP TABLE IF EXISTS \`${contractTable}\``);
    }
  });

  it('with the replica IO thread stopped a commit waits out the semi-sync timeout, returns OK, status goes OFF', {
    timeout: 60_000,
  }, async () => {
    const { rows } = await primaryAdmin.query("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_master_timeout'");
    savedSemiSyncTimeout = String(rows[0]!.Value);
    await primaryAdmin.query(`SET GLOBAL rpl_semi_sync_master_timeout = ${SEMI_SYNC_TIMEOUT_MS}`);
    expect(await semiSyncStatus()).toBe('ON');
    await replicaAdmin.query('STOP SLAVE IO_THREAD');
    const r = router();
    const started = performance.now();
    const result = await r.query(`INSERT INTO \`${table}\` VALUES (2, 'during-outage')`);
    const waitedMs = performance.now() - started;
    console.info(
      `[mariadb-router] commit with replica IO stopped took ${waitedMs.toFixed(0)} ms (timeout ${SEMI_SYNC_TIMEOUT_MS} ms)`,
    );
    expect(result.affectedRows).toBe(1); // plain OK, no error
    expect(waitedMs).toBeGreaterThanOrEqual(SEMI_SYNC_TIMEOUT_MS); // a lower bound only
    expect(await semiSyncStatus()).toBe('OFF');
    // Restore and see semi-sync come back once the replica reconnects and catches up (bounded wait).
    await replicaAdmin.query('START SLAVE IO_THREAD');
    await primaryAdmin.query(`SET GLOBAL rpl_semi_sync_master_timeout = ${Number(savedSemiSyncTimeout)}`);
    savedSemiSyncTimeout = undefined;
    let n = 100;
    const back = await pollUntil(async () => {
      await primaryAdmin.query(`INSERT INTO \`${table}\` VALUES (?, 'probe')`, [n++]);
      return (await semiSyncStatus()) === 'ON' ? true : undefined;
    }, CATCH_UP_MS);
    expect(back, 'semi-sync did not return to ON').toBe(true);
  });
});
