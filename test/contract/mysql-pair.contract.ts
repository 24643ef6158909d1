// ONE set of test bodies for a MariaDB primary + replica, run on the simulated pair
// (test/contract/mysql-pair.sim.test.ts, virtual time) and on the real pair 127.0.0.1:3307/3308
// (test/integration/mysql-pair.test.ts). Everything goes through SqlPorts in SQL both speak:
// STOP/START SLAVE IO_THREAD, SET GLOBAL rpl_semi_sync_master_timeout, SHOW GLOBAL STATUS,
// @@gtid_binlog_pos, MASTER_GTID_WAIT. Bodies return what they observed; each arm asserts,
// because the timing bound differs (exact on virtual time, within jitter on the real servers).
import type { Clock } from '#src/ports/clock.ts';
import type { SqlPort } from '#src/ports/sql.ts';

/** What a contract run needs from a backend pair. */
export interface MysqlPairTarget {
  /** Admin connection to the primary. */
  readonly primary: SqlPort;
  /** Admin connection to the replica. */
  readonly replica: SqlPort;
  /** Virtual clock on the simulated pair, the system clock on the real one. */
  readonly clock: Clock;
  /** A table name no other run uses. */
  readonly table: string;
  /**
   * Lossy failover, where the target can do it without destroying a shared server: crash the
   * primary and promote the replica (`STOP SLAVE; RESET SLAVE ALL; read_only=OFF`). Returns the
   * new primary.
   */
  readonly failover?: () => Promise<SqlPort>;
  /** Restarts the old primary and points it at the new one with MASTER_USE_GTID=current_pos. */
  readonly rejoinOldPrimary?: () => Promise<SqlPort>;
}

/** Bound on waiting for the replica or for semi-sync to come back, ms. A limit, not an assertion. */
export const CATCH_UP_MS = 15_000;

const first = (rows: Record<string, unknown>[]) =>
  rows[0] === undefined ? undefined : Object.values(rows[0])[0];

async function semiSyncStatus(t: MysqlPairTarget): Promise<string> {
  const { rows } = await t.primary.query("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'");
  return String(rows[0]?.Value);
}

/** Waits (bounded) until the replica applied everything the primary binlogged. */
export async function caughtUp(t: MysqlPairTarget): Promise<boolean> {
  const pos = String(first((await t.primary.query('SELECT @@gtid_binlog_pos')).rows));
  const r = await t.replica.query('SELECT MASTER_GTID_WAIT(?, ?)', [pos, CATCH_UP_MS / 1000]);
  return Number(first(r.rows)) === 0;
}

/** Body 1: a committed write reaches the replica. */
export async function writeReachesReplica(t: MysqlPairTarget) {
  await t.primary.query(`CREATE TABLE ${t.table} (id INT PRIMARY KEY, v VARCHAR(32))`);
  const w = await t.primary.query(`INSERT INTO ${t.table} VALUES (?, ?)`, [1, 'replicated']);
  const applied = await caughtUp(t);
  const { rows } = await t.replica.query(`SELECT id, v FROM ${t.table}`);
  return { affectedRows: w.affectedRows, gtidShape: /^0-1-\d+$/.test(w.gtid ?? ''), applied, rows };
}
export const WRITE_REACHES_REPLICA = {
  affectedRows: 1,
  gtidShape: true,
  applied: true,
  rows: [{ id: 1, v: 'replicated' }],
};

/**
 * Body 2: with the replica's IO thread stopped a commit waits the semi-sync timeout, returns OK,
 * and Rpl_semi_sync_master_status goes OFF; after START SLAVE IO_THREAD and catch-up it is ON again.
 * Restores the IO thread and the timeout it found, whatever happens.
 */
export async function semiSyncStall(t: MysqlPairTarget, timeoutMs: number) {
  await t.primary.query(`CREATE TABLE ${t.table} (id INT PRIMARY KEY, v VARCHAR(32))`);
  await caughtUp(t);
  const { rows } = await t.primary.query("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_master_timeout'");
  const saved = Number(rows[0]?.Value);
  let probe = 100;
  const untilOn = async () => {
    const deadline = t.clock.now() + CATCH_UP_MS;
    while ((await semiSyncStatus(t)) !== 'ON' && t.clock.now() < deadline) {
      await t.primary.query(`INSERT INTO ${t.table} VALUES (?, 'probe')`, [probe++]);
      await t.clock.sleep(50);
    }
    return semiSyncStatus(t);
  };
  try {
    const before = await untilOn();
    await t.primary.query(`SET GLOBAL rpl_semi_sync_master_timeout = ${timeoutMs}`);
    await t.replica.query('STOP SLAVE IO_THREAD');
    const started = t.clock.now();
    const w = await t.primary.query(`INSERT INTO ${t.table} VALUES (1, 'during outage')`);
    const waitedMs = t.clock.now() - started;
    const during = await semiSyncStatus(t);
    await t.replica.query('START SLAVE IO_THREAD');
    const after = await untilOn();
    return { before, affectedRows: w.affectedRows, waitedMs, during, after };
  } finally {
    await t.replica.query('START SLAVE IO_THREAD');
    await t.primary.query(`SET GLOBAL rpl_semi_sync_master_timeout = ${saved}`);
  }
}

/**
 * Body 3: async commits the replica never received are lost by a failover, and the old primary
 * cannot rejoin the new one (IO error 1236, "the slave has diverged").
 */
export async function failoverLosesAsyncCommits(t: MysqlPairTarget) {
  if (t.failover === undefined || t.rejoinOldPrimary === undefined) {
    throw new Error('failoverLosesAsyncCommits: this target cannot fail over');
  }
  await t.primary.query(`CREATE TABLE ${t.table} (id INT PRIMARY KEY, v VARCHAR(32))`);
  await t.primary.query(`INSERT INTO ${t.table} VALUES (1, 'replicated')`);
  await caughtUp(t);
  await t.replica.query('STOP SLAVE IO_THREAD');
  await t.primary.query(`INSERT INTO ${t.table} VALUES (51, 'async, never received')`);
  const newPrimary = await t.failover();
  await newPrimary.query(`INSERT INTO ${t.table} VALUES (60, 'new primary')`);
  const oldPrimary = await t.rejoinOldPrimary();
  const survivors = (await newPrimary.query(`SELECT id FROM ${t.table} ORDER BY id`)).rows.map((r) => r.id);
  const status = (await oldPrimary.query('SHOW SLAVE STATUS')).rows[0] ?? {};
  return {
    survivors,
    oldSlaveIo: status.Slave_IO_Running,
    lastIoErrno: Number(status.Last_IO_Errno),
    diverged: String(status.Last_IO_Error).includes('the slave has diverged'),
  };
}
export const FAILOVER_LOSES_ASYNC_COMMITS = {
  survivors: [1, 60],
  oldSlaveIo: 'No',
  lastIoErrno: 1236,
  diverged: true,
};
