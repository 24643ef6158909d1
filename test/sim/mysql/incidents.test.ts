// Replication incidents (docs/mysql.md, docs/incidents.md M1-M8), each on a seeded simulated
// cluster, each asserting the outcome an operator would observe.
import { describe, expect, it } from 'vitest';
import type { SqlError } from '#src/ports/sql.ts';
import { CREATE_T, runCluster, traceOf } from './helpers.ts';

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id);

describe('incident: semi-sync silently degrades, then the primary crashes (seed 101)', () => {
  it('the first commit stalls exactly the timeout and returns OK; every commit since the flip is lost on failover', async () => {
    const semiSync = { enabled: true, timeoutMs: 10_000 } as const; // MariaDB default wait point AFTER_COMMIT
    const { value } = await runCluster(101, { replicas: 1, semiSync }, async (c, sim) => {
      const [p, r] = [c.primary, c.replicas[0]!];
      await p.query(CREATE_T);
      await p.query('INSERT INTO t VALUES (1, ?)', ['acked']);
      r.stopIoThread(); // the ack path is lost
      let t = sim.clock.now();
      const first = await p.query('INSERT INTO t VALUES (51, ?)', ['lost']);
      const stallMs = sim.clock.now() - t;
      t = sim.clock.now();
      await p.query('INSERT INTO t VALUES (52, ?)', ['lost']);
      const fastMs = sim.clock.now() - t;
      const st = p.status();
      p.crash();
      await c.promote(r);
      const survivors = ids((await c.primary.query('SELECT id FROM t ORDER BY id')).rows);
      return { first, stallMs, fastMs, st, survivors, primary: c.primary.name };
    });
    expect(value.first).toMatchObject({ affectedRows: 1, gtid: '0-1-3' }); // plain OK, no error
    expect(value.stallMs).toBe(10_000);
    expect(value.fastMs).toBe(0);
    expect(value.st).toMatchObject({
      semiSyncStatus: 'OFF',
      Rpl_semi_sync_master_no_tx: 2,
      Rpl_semi_sync_master_yes_tx: 2,
    });
    expect(value.primary).toBe('ds-slave-0');
    expect(value.survivors).toEqual([1]); // 51 and 52 were acknowledged to clients and are gone
  });
});

describe('incident: AFTER_COMMIT phantom read (seed 102)', () => {
  async function scenario(waitPoint: 'AFTER_COMMIT' | 'AFTER_SYNC') {
    const semiSync = { enabled: true, waitPoint, timeoutMs: 4_000 };
    return runCluster(102, { replicas: 1, semiSync }, async (c, sim) => {
      const [p, r] = [c.primary, c.replicas[0]!];
      await p.query(CREATE_T);
      await sim.clock.sleep(10);
      r.stopIoThread(); // replica slow to ack
      const writer = p
        .session()
        .query('INSERT INTO t VALUES (7, ?)', ['phantom'])
        .then(
          () => 'OK',
          (e: SqlError) => `error ${e.errno}`,
        );
      await sim.clock.sleep(1_000);
      const seenByOther = ids((await p.session().query('SELECT id FROM t')).rows);
      p.crash();
      const writerGot = await writer;
      await c.promote(r);
      const afterFailover = ids((await c.primary.query('SELECT id FROM t')).rows);
      return { seenByOther, writerGot, afterFailover };
    });
  }

  it('AFTER_COMMIT: another session reads the row while the writer waits; after failover the row never existed', async () => {
    const { value } = await scenario('AFTER_COMMIT');
    expect(value).toEqual({ seenByOther: [7], writerGot: 'error 2013', afterFailover: [] });
  });

  it('AFTER_SYNC: the other session sees nothing while the writer waits', async () => {
    const { value } = await scenario('AFTER_SYNC');
    expect(value).toEqual({ seenByOther: [], writerGot: 'error 2013', afterFailover: [] });
  });
});

describe('incident: Seconds_Behind_Master lies (seed 103)', () => {
  it('(a) IO thread disconnected: NULL although the SQL thread has caught up', async () => {
    const { value } = await runCluster(103, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(100);
      c.replicas[0]!.stopIoThread();
      await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
      await sim.clock.sleep(3_000);
      return c.replicas[0]!.status();
    });
    expect(value.Seconds_Behind_Master).toBeNull();
    expect(value.trueLagMs).toBe(3_000);
  });

  it('(b) slow link: 0 while the SQL thread waits on the relay log, though the IO thread is seconds behind', async () => {
    // 1 byte/ms: a group with a 1000-character row takes over a second on the wire.
    const { value } = await runCluster(103, { replicas: 1, linkBandwidthBytesPerMs: 1 }, async (c, sim) => {
      await c.primary.query('CREATE TABLE t (id INT PRIMARY KEY, v TEXT)');
      await sim.clock.sleep(1_000);
      for (let i = 1; i <= 5; i++)
        await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x'.repeat(1_000)]);
      await sim.clock.sleep(3_000);
      return c.replicas[0]!.status();
    });
    expect(value).toMatchObject({
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'Yes',
      Seconds_Behind_Master: 0,
      Relay_Log_Groups: 0,
    });
    expect(value.trueLagMs).toBeGreaterThan(2_000);
  });

  it('(c) a transaction that ran 60 s on the primary: SBM jumps 0 → 61 the moment it starts applying', async () => {
    const { value } = await runCluster(103, { replicas: 1, applyCostMs: 5_000 }, async (c, sim) => {
      await c.primary.query(CREATE_T);
      await c.primary.query('INSERT INTO t VALUES (1, ?)', ['a']);
      await sim.clock.sleep(20_000);
      const s = c.primary.session();
      await s.query('BEGIN');
      const began = sim.clock.now();
      await s.query('UPDATE t SET v = ? WHERE id = 1', ['b']);
      await sim.clock.sleep(60_000);
      const before = c.replicas[0]!.status().Seconds_Behind_Master;
      await s.query('COMMIT');
      await sim.clock.sleep(1_000);
      return { began, before, during: c.replicas[0]!.status() };
    });
    expect(value.began).toBe(20_000);
    expect(value.before).toBe(0);
    expect(value.during.Seconds_Behind_Master).toBe(61); // now 81 s − event timestamp 20 s
    expect(value.during.trueLagMs).toBe(1_000); // committed one second ago
  });
});

describe('incident: failover promotes a replica that has not applied its relay log (seed 104)', () => {
  async function scenario(applyRelayLog: boolean) {
    const semiSync = { enabled: true, waitPoint: 'AFTER_SYNC', timeoutMs: 10_000 } as const;
    return runCluster(104, { replicas: 1, semiSync, applyCostMs: 1_000 }, async (c, sim) => {
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(2_000);
      for (let i = 1; i <= 5; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'acked']);
      const acked = c.primary.status().Rpl_semi_sync_master_yes_tx;
      c.primary.crash();
      await c.promote(c.replicas[0]!, { applyRelayLog });
      const rows = ids((await c.primary.query('SELECT id FROM t ORDER BY id')).rows);
      const next = await c.primary.query('INSERT INTO t VALUES (100, ?)', ['new']);
      return { acked, rows, next: next.gtid };
    });
  }

  it('RESET SLAVE ALL at once: acked (received) transactions vanish and sequence numbers are reused', async () => {
    const { value } = await scenario(false);
    expect(value.acked).toBe(6);
    expect(value.rows).toEqual([]);
    expect(value.next).toBe('0-2-2'); // 0-1-2 … 0-1-6 existed on the dead primary
  });

  it('draining the relay log first keeps every acked transaction', async () => {
    const { value } = await scenario(true);
    expect(value.rows).toEqual([1, 2, 3, 4, 5]);
    expect(value.next).toBe('0-2-7');
  });
});

describe('incident: the old primary rejoins with an errant transaction (seed 105)', () => {
  it('refused with IO error 1236 "…the slave has diverged…"', async () => {
    const { value } = await runCluster(105, { replicas: 1 }, async (c, sim) => {
      const [old, r] = [c.primary, c.replicas[0]!];
      await old.query(CREATE_T);
      await sim.clock.sleep(10);
      r.stopIoThread();
      await old.query('INSERT INTO t VALUES (51, ?)', ['errant, old primary']);
      old.crash();
      await c.promote(r);
      await c.primary.query('INSERT INTO t VALUES (60, ?)', ['new primary']);
      old.restart();
      old.replicateFrom(c.primary, 'current_pos');
      await sim.clock.sleep(100);
      return { old: old.status(), neu: c.primary.status() };
    });
    expect(value.old.gtid_current_pos).toBe('0-1-2');
    expect(value.neu.gtid_binlog_pos).toBe('0-2-2');
    expect(value.old).toMatchObject({ Slave_IO_Running: 'No', Last_IO_Errno: 1236 });
    expect(value.old.Last_IO_Error).toBe(
      "Got fatal error 1236 from master when reading data from binary log: 'Error: connecting slave requested to start from GTID 0-1-2, which is not in the master's binlog. Since the master's binlog contains GTIDs with higher sequence numbers, it probably means that the slave has diverged due to executing extra erroneous transactions'",
    );
  });
});

describe('incident: an AFTER_SYNC commit in flight at the crash comes back as an errant transaction (seed 108)', () => {
  async function scenario(semiSyncSlaveRecovery: boolean) {
    const semiSync = { enabled: true, waitPoint: 'AFTER_SYNC', timeoutMs: 10_000 } as const;
    return runCluster(108, { replicas: 1, semiSync }, async (c, sim) => {
      const [old, r] = [c.primary, c.replicas[0]!];
      await old.query(CREATE_T);
      await sim.clock.sleep(10);
      r.stopIoThread(); // no ack will come
      const writer = old.query('INSERT INTO t VALUES (9, ?)', ['in flight']).then(
        () => 'OK',
        (e: SqlError) => `error ${e.errno}`,
      );
      await sim.clock.sleep(1_000);
      old.crash();
      const got = await writer;
      await c.promote(r);
      await c.primary.query('INSERT INTO t VALUES (10, ?)', ['new primary']);
      old.restart({ semiSyncSlaveRecovery });
      const oldRows = ids((await old.query('SELECT id FROM t')).rows);
      old.replicateFrom(c.primary, 'current_pos');
      await sim.clock.sleep(12_000);
      return {
        got,
        oldRows,
        st: old.status(),
        rows: ids((await old.query('SELECT id FROM t ORDER BY id')).rows),
      };
    });
  }

  it('default crash recovery commits it: the old primary has a row nobody acknowledged and cannot rejoin (1236)', async () => {
    const { value } = await scenario(false);
    expect(value.got).toBe('error 2013');
    expect(value.oldRows).toEqual([9]);
    expect(value.st).toMatchObject({
      gtid_current_pos: '0-1-2',
      Last_IO_Errno: 1236,
      Slave_IO_Running: 'No',
    });
  });

  it('semi-sync slave recovery (MDEV-21117) truncates it: the old primary rejoins and converges', async () => {
    const { value } = await scenario(true);
    expect(value.oldRows).toEqual([]);
    expect(value.st).toMatchObject({ Slave_IO_Running: 'Yes', Last_IO_Errno: 0, gtid_slave_pos: '0-2-2' });
    expect(value.rows).toEqual([10]);
  });
});

describe('incident: split brain under a partition (seed 106)', () => {
  it('both primaries accept writes; the isolated one after one semi-sync stall; the histories conflict', async () => {
    const semiSync = { enabled: true, waitPoint: 'AFTER_SYNC', timeoutMs: 2_000 } as const;
    const { value } = await runCluster(106, { replicas: 2, semiSync }, async (c, sim) => {
      const old = c.primary;
      await old.query(CREATE_T);
      await old.query('INSERT INTO t VALUES (1, ?)', ['before']);
      await sim.clock.sleep(100);
      c.partition([old]); // the gateway still reaches it; the replicas and the failover manager do not
      await c.promote(c.replicas[0]!, { semiSync });
      const neu = c.primary;
      let t = sim.clock.now();
      await old.query('INSERT INTO t VALUES (100, ?)', ['old side']);
      const oldMs = sim.clock.now() - t;
      t = sim.clock.now();
      await neu.query('INSERT INTO t VALUES (100, ?)', ['new side']);
      const newMs = sim.clock.now() - t;
      const oldRead = (await old.query('SELECT v FROM t WHERE id = 100')).rows;
      const newRead = (await neu.query('SELECT v FROM t WHERE id = 100')).rows;
      c.repair();
      old.replicateFrom(neu, 'current_pos');
      await sim.clock.sleep(100);
      return { oldMs, newMs, oldRead, newRead, oldSt: old.status(), neuSt: neu.status() };
    });
    expect(value.oldMs).toBe(2_000);
    expect(value.newMs).toBe(2); // acked by ds-slave-1, re-pointed to the new primary
    expect(value.oldRead).toEqual([{ v: 'old side' }]);
    expect(value.newRead).toEqual([{ v: 'new side' }]);
    expect(value.oldSt.gtid_binlog_pos).toBe('0-1-3');
    expect(value.neuSt.gtid_binlog_pos).toBe('0-2-3');
    expect(value.oldSt.Last_IO_Errno).toBe(1236);
  });
});

describe('incident: replica crash and relay-log recovery (seed 107)', () => {
  async function scenario(relayLogRecovery: boolean) {
    return runCluster(107, { replicas: 1, applyCostMs: 50, relayLogRecovery }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      for (let i = 1; i <= 20; i++) {
        await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
        await sim.clock.sleep(5);
      }
      const atCrash = r.status();
      r.crash();
      const duringRestart = await r.query('SELECT 1').then(
        () => 'ok',
        (e: SqlError) => e.errno,
      );
      for (let i = 21; i <= 25; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
      await sim.clock.sleep(1_000);
      r.restart();
      const afterRestart = r.status();
      await sim.clock.sleep(5_000);
      const counts = [
        (await c.primary.query('SELECT COUNT(*) AS n FROM t')).rows[0]!.n,
        (await r.query('SELECT COUNT(*) AS n FROM t')).rows[0]!.n,
      ];
      return { atCrash, duringRestart, afterRestart, final: r.status(), counts };
    });
  }

  it('relay_log_recovery=ON: the relay log is discarded and re-fetched from gtid_slave_pos; rows converge', async () => {
    const { value, sim } = await scenario(true);
    expect(value.atCrash.Relay_Log_Groups).toBeGreaterThan(0);
    expect(value.duringRestart).toBe(2003);
    expect(value.afterRestart.trueLagMs).toBeGreaterThan(1_000); // lag spike after the restart
    expect(value.counts).toEqual([25, 25]);
    expect(value.final).toMatchObject({ gtid_slave_pos: '0-1-26', trueLagMs: 0, Relay_Log_Groups: 0 });
    expect(traceOf(sim, 'relay-discarded').length).toBe(1);
    // Same seed, same code: the same trace, byte for byte.
    expect((await scenario(true)).sim.trace.hash).toBe(sim.trace.hash);
  });

  it('relay_log_recovery=OFF: the received relay log is kept and applied; rows converge', async () => {
    const { value, sim } = await scenario(false);
    expect(traceOf(sim, 'relay-discarded')).toEqual([]);
    expect(value.counts).toEqual([25, 25]);
    expect(value.final).toMatchObject({
      gtid_slave_pos: '0-1-26',
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'Yes',
    });
  });

  it('the primary purged the binlogs meanwhile: IO error 1236 for good, the replica must be rebuilt', async () => {
    const { value } = await runCluster(107, { replicas: 1, relayLogRecovery: true }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(10);
      r.crash();
      for (let i = 1; i <= 5; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
      await c.primary.query("PURGE BINARY LOGS BEFORE '2030-01-01'");
      r.restart();
      await sim.clock.sleep(1_000);
      return r.status();
    });
    expect(value).toMatchObject({ Slave_IO_Running: 'No', Last_IO_Errno: 1236, gtid_slave_pos: '0-1-1' });
    expect(value.Last_IO_Error).toContain('required binlog files have been purged');
  });
});
