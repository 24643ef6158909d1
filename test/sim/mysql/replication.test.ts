import { describe, expect, it } from 'vitest';
import { CREATE_T, runCluster, sqlError, traceOf } from './helpers.ts';

// Timing rows use a 5 ms one-way link and a 3 ms apply cost so that every step is visible.
const LINK = { linkLatencyMs: 5, applyCostMs: 3 } as const;

describe('binlog → IO thread → relay log → SQL thread', () => {
  it('a commit is received after the link latency and applied after the apply cost (seed 21)', async () => {
    const { value } = await runCluster(21, { replicas: 2, ...LINK }, async (c, sim) => {
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(100);
      const t0 = sim.clock.now();
      const w = await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
      const r = c.replicas[0]!;
      await sim.clock.sleep(5);
      const received = { ...r.status(), rows: (await r.query('SELECT * FROM t')).rows.length };
      await sim.clock.sleep(3);
      const applied = { ...r.status(), rows: (await r.query('SELECT * FROM t')).rows.length };
      return { t0, w, received, applied, now: sim.clock.now() };
    });
    expect(value.w.gtid).toBe('0-1-2');
    expect(value.received).toMatchObject({ Gtid_IO_Pos: '0-1-2', gtid_slave_pos: '0-1-1', rows: 0 });
    expect(value.applied).toMatchObject({
      Gtid_IO_Pos: '0-1-2',
      gtid_slave_pos: '0-1-2',
      rows: 1,
      trueLagMs: 0,
    });
  });

  it('IO and SQL threads stop and start independently; the relay log grows while SQL is stopped (seed 22)', async () => {
    const { value } = await runCluster(22, { replicas: 1, ...LINK }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(20);
      r.stopSqlThread();
      for (let i = 1; i <= 3; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
      await sim.clock.sleep(50);
      const sqlStopped = r.status();
      r.startSqlThread();
      await sim.clock.sleep(50);
      const drained = r.status();
      r.stopIoThread();
      await c.primary.query('INSERT INTO t VALUES (4, ?)', ['x']);
      await sim.clock.sleep(50);
      const ioStopped = r.status();
      r.startIoThread();
      await sim.clock.sleep(50);
      return { sqlStopped, drained, ioStopped, final: r.status() };
    });
    expect(value.sqlStopped).toMatchObject({
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'No',
      Relay_Log_Groups: 3,
      Seconds_Behind_Master: null,
    });
    expect(value.drained).toMatchObject({
      Slave_SQL_Running: 'Yes',
      Relay_Log_Groups: 0,
      gtid_slave_pos: '0-1-4',
    });
    expect(value.ioStopped).toMatchObject({
      Slave_IO_Running: 'No',
      gtid_slave_pos: '0-1-4',
      Seconds_Behind_Master: null,
    });
    expect(value.ioStopped.trueLagMs).toBeGreaterThan(0);
    expect(value.final).toMatchObject({
      Slave_IO_Running: 'Yes',
      gtid_slave_pos: '0-1-5',
      trueLagMs: 0,
      Seconds_Behind_Master: 0,
    });
  });

  it('GTID mode: starting a thread while both are stopped purges the relay log and re-fetches from gtid_slave_pos (slave.cc start_slave_threads) (seed 28)', async () => {
    const { value, sim } = await runCluster(28, { replicas: 1, ...LINK }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(20);
      r.stopSqlThread();
      for (let i = 1; i <= 3; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
      await sim.clock.sleep(50);
      r.stopIoThread();
      const bothStopped = r.status();
      r.startSqlThread();
      const purged = r.status();
      r.startIoThread();
      await sim.clock.sleep(50);
      return {
        bothStopped,
        purged,
        final: r.status(),
        rows: (await r.query('SELECT COUNT(*) AS n FROM t')).rows[0],
      };
    });
    expect(value.bothStopped).toMatchObject({
      Relay_Log_Groups: 3,
      Gtid_IO_Pos: '0-1-4',
      gtid_slave_pos: '0-1-1',
    });
    expect(value.purged).toMatchObject({ Relay_Log_Groups: 0, Gtid_IO_Pos: '0-1-1' });
    expect(value.final).toMatchObject({ gtid_slave_pos: '0-1-4', Relay_Log_Groups: 0 });
    expect(value.rows).toEqual({ n: 3 });
    expect(traceOf(sim, 'relay-discarded').length).toBe(1);
  });

  it('a SQL thread stopped for an hour: SBM goes NULL → 3600 the moment it restarts (seed 29)', async () => {
    const { value } = await runCluster(29, { replicas: 1, ...LINK }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(20);
      r.stopSqlThread();
      await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
      await sim.clock.sleep(3_600_000);
      const stopped = r.status().Seconds_Behind_Master;
      r.startSqlThread();
      const restarted = r.status().Seconds_Behind_Master;
      await sim.clock.sleep(10);
      return { stopped, restarted, after: r.status().Seconds_Behind_Master };
    });
    expect(value).toEqual({ stopped: null, restarted: 3_600, after: 0 });
  });

  it('slow apply: under a write burst the lag builds, SBM reports the age of the group being applied (seed 30)', async () => {
    const { value } = await runCluster(30, { replicas: 1, ...LINK }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(2_000);
      r.setApplyCostMs(1_000);
      for (let i = 1; i <= 10; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
      await sim.clock.sleep(5_500);
      const mid = r.status();
      await sim.clock.sleep(6_000);
      return { mid, end: r.status() };
    });
    expect(value.mid).toMatchObject({
      gtid_slave_pos: '0-1-6',
      Relay_Log_Groups: 5,
      Seconds_Behind_Master: 5,
      trueLagMs: 5_500,
    });
    expect(value.end).toMatchObject({
      gtid_slave_pos: '0-1-11',
      Relay_Log_Groups: 0,
      Seconds_Behind_Master: 0,
      trueLagMs: 0,
    });
  });

  it('MASTER_GTID_WAIT returns 0 once applied and -1 on timeout (seed 23)', async () => {
    const { value } = await runCluster(23, { replicas: 1, ...LINK }, async (c) => {
      await c.primary.query(CREATE_T);
      const w = await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
      const ok = await c.replicas[0]!.query('SELECT MASTER_GTID_WAIT(?, ?)', [w.gtid!, 1]);
      c.replicas[0]!.stopIoThread();
      const w2 = await c.primary.query('INSERT INTO t VALUES (2, ?)', ['b']);
      const timedOut = await c.replicas[0]!.query('SELECT MASTER_GTID_WAIT(?, ?)', [w2.gtid!, 1]);
      return [Object.values(ok.rows[0]!)[0], Object.values(timedOut.rows[0]!)[0]];
    });
    expect(value).toEqual([0, -1]);
  });

  it('a link partition: IO thread says Yes until slave_net_timeout, then Connecting; catches up after repair (seed 24)', async () => {
    const opts = { replicas: 1, ...LINK, slaveNetTimeoutMs: 10_000, masterConnectRetryMs: 1_000 };
    const { value } = await runCluster(24, opts, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(20);
      c.partition([c.primary]);
      await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
      await sim.clock.sleep(5_000);
      const early = r.status();
      await sim.clock.sleep(6_000);
      const late = r.status();
      c.repair();
      await sim.clock.sleep(1_100);
      return { early, late, healed: r.status() };
    });
    expect(value.early).toMatchObject({
      Slave_IO_Running: 'Yes',
      Seconds_Behind_Master: 0,
      gtid_slave_pos: '0-1-1',
    });
    expect(value.early.trueLagMs).toBe(5_000);
    expect(value.late).toMatchObject({
      Slave_IO_Running: 'Connecting',
      Last_IO_Errno: 2003,
      Seconds_Behind_Master: null,
    });
    expect(value.healed).toMatchObject({ Slave_IO_Running: 'Yes', gtid_slave_pos: '0-1-2', trueLagMs: 0 });
  });

  it('a local write on a replica, then the same key from the primary: SQL thread stops with 1062 (seed 25)', async () => {
    const { value } = await runCluster(25, { replicas: 1, ...LINK }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(20);
      const local = await r.query('INSERT INTO t VALUES (8, ?)', ['replica']);
      await c.primary.query('INSERT INTO t VALUES (8, ?)', ['primary']);
      await c.primary.query('INSERT INTO t VALUES (9, ?)', ['primary']);
      await sim.clock.sleep(20);
      return { local: local.gtid, st: r.status(), row: (await r.query('SELECT v FROM t WHERE id = 8')).rows };
    });
    expect(value.local).toBe('0-2-2');
    expect(value.st).toMatchObject({
      Slave_SQL_Running: 'No',
      Slave_IO_Running: 'Yes',
      Last_SQL_Errno: 1062,
      Seconds_Behind_Master: null,
      Relay_Log_Groups: 2,
    });
    expect(value.st.Last_SQL_Error).toContain(
      "Could not execute Write_rows_v1 event on table hasim.t; Duplicate entry '8' for key 'PRIMARY', Error_code: 1062",
    );
    expect(value.row).toEqual([{ v: 'replica' }]);
  });

  it('with gtid_strict_mode the same local write stops the SQL thread with 1950 instead (seed 26)', async () => {
    const { value } = await runCluster(26, { replicas: 1, ...LINK, gtidStrictMode: true }, async (c, sim) => {
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(20);
      await c.replicas[0]!.query('INSERT INTO t VALUES (8, ?)', ['replica']);
      await c.primary.query('INSERT INTO t VALUES (8, ?)', ['primary']);
      await sim.clock.sleep(20);
      return c.replicas[0]!.status();
    });
    expect(value.Last_SQL_Errno).toBe(1950);
    expect(value.Last_SQL_Error).toContain('out-of-order sequence number with existing GTID 0-2-2');
  });

  it('a crashed node refuses connections with 2003 (seed 27)', async () => {
    const { value } = await runCluster(27, { replicas: 1 }, async (c) => {
      c.replicas[0]!.crash();
      return sqlError(c.replicas[0]!.query('SELECT 1'));
    });
    expect(value.errno).toBe(2003);
  });
});

describe('semi-synchronous replication (MariaDB semisync_master.cc)', () => {
  it('IO thread stopped: the commit waits exactly the timeout, returns OK, status ON→OFF; back ON after catch-up (seed 31)', async () => {
    const semiSync = { enabled: true, waitPoint: 'AFTER_SYNC', timeoutMs: 2_000 } as const;
    const { value } = await runCluster(31, { replicas: 1, ...LINK, semiSync }, async (c, sim) => {
      const p = c.primary;
      await p.query(CREATE_T);
      let t = sim.clock.now();
      await p.query('INSERT INTO t VALUES (1, ?)', ['a']);
      const acked = { ms: sim.clock.now() - t, ...p.status() };
      c.replicas[0]!.stopIoThread();
      t = sim.clock.now();
      const r = await p.query('INSERT INTO t VALUES (2, ?)', ['b']);
      const degraded = { ms: sim.clock.now() - t, ...p.status(), r };
      t = sim.clock.now();
      await p.query('INSERT INTO t VALUES (3, ?)', ['c']);
      const async = { ms: sim.clock.now() - t, ...p.status() };
      c.replicas[0]!.startIoThread();
      await sim.clock.sleep(50);
      const back = p.status();
      t = sim.clock.now();
      await p.query('INSERT INTO t VALUES (4, ?)', ['d']);
      return { acked, degraded, async, back, last: { ms: sim.clock.now() - t, ...p.status() } };
    });
    expect(value.acked).toMatchObject({ ms: 10, semiSyncStatus: 'ON', Rpl_semi_sync_master_yes_tx: 2 });
    expect(value.degraded).toMatchObject({ ms: 2_000, semiSyncStatus: 'OFF', Rpl_semi_sync_master_no_tx: 1 });
    expect(value.degraded.r).toMatchObject({ affectedRows: 1 });
    expect(value.async).toMatchObject({ ms: 0, semiSyncStatus: 'OFF', Rpl_semi_sync_master_no_tx: 2 });
    expect(value.back).toMatchObject({ semiSyncStatus: 'ON', Rpl_semi_sync_master_clients: 1 });
    expect(value.last).toMatchObject({ ms: 10, Rpl_semi_sync_master_yes_tx: 3 });
  });

  it('the ack means received, not applied: an acked row is not yet readable on the replica (seed 32)', async () => {
    const semiSync = { enabled: true, waitPoint: 'AFTER_SYNC' } as const;
    const { value } = await runCluster(
      32,
      { replicas: 1, ...LINK, applyCostMs: 500, semiSync },
      async (c, sim) => {
        await c.primary.query(CREATE_T);
        await sim.clock.sleep(1_000);
        await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
        return (await c.replicas[0]!.query('SELECT * FROM t')).rows;
      },
    );
    expect(value).toEqual([]);
  });

  it('wait_no_slave: ON keeps status ON with no replica until a commit times out; OFF flips at disconnect (seed 34)', async () => {
    const run = (waitNoSlave: boolean) =>
      runCluster(
        34,
        { replicas: 1, ...LINK, semiSync: { enabled: true, timeoutMs: 2_000, waitNoSlave } },
        async (c, sim) => {
          await c.primary.query(CREATE_T);
          c.replicas[0]!.stopIoThread();
          const afterStop = c.primary.status();
          const t = sim.clock.now();
          await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
          return {
            afterStop: [afterStop.semiSyncStatus, afterStop.Rpl_semi_sync_master_clients],
            commitMs: sim.clock.now() - t,
          };
        },
      );
    expect((await run(true)).value).toEqual({ afterStop: ['ON', 0], commitMs: 2_000 });
    expect((await run(false)).value).toEqual({ afterStop: ['OFF', 0], commitMs: 0 });
  });

  it('the default timeout is 10000 ms and the default wait point AFTER_COMMIT (seed 33)', async () => {
    const { value } = await runCluster(33, { replicas: 1, semiSync: { enabled: true } }, async (c, sim) => {
      const v = await c.primary.query(
        'SELECT @@rpl_semi_sync_master_timeout, @@rpl_semi_sync_master_wait_point',
      );
      c.replicas[0]!.stopIoThread();
      await c.primary.query(CREATE_T);
      const t = sim.clock.now();
      await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
      return { v: v.rows[0], ms: sim.clock.now() - t };
    });
    expect(value.v).toEqual({
      '@@rpl_semi_sync_master_timeout': 10_000,
      '@@rpl_semi_sync_master_wait_point': 'AFTER_COMMIT',
    });
    expect(value.ms).toBe(0); // the CREATE already timed out and switched semi-sync OFF
  });
});
