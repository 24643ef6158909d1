// Smoke tests for the MariaDB servers hasim's SQL layer (L3 store) is compared against:
//   * the machine's own server on 127.0.0.1:3306 (database `test`, root, no password);
//   * the primary (127.0.0.1:3307) + semi-sync replica (127.0.0.1:3308) pair that
//     `scripts/backends.sh up` starts, with database `hasim` created on the primary.
// They prove mysql2 can write and read, that a row committed on the primary reaches the replica,
// that both replica threads run and that semi-sync is engaged, before the contract suites rely on
// any of it. Each suite is skipped with a visible reason when its servers are absent, failed under
// CI=true. Tables are uniquely named and dropped afterwards.

import type { Connection, RowDataPacket } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS_SH_HINT, gateBackend, MACHINE_SERVICE_HINT, pollUntil, uniqueName } from './backends.ts';

const HOST = '127.0.0.1';
const LOCAL_PORT = 3306;
const PRIMARY_PORT = 3307;
const REPLICA_PORT = 3308;
/** Bound on waiting for the replica to apply a primary write (a limit, not an assertion). */
const REPLICATION_WAIT_MS = 10_000;

const connect = (port: number, database: string): Promise<Connection> =>
  mysql.createConnection({ host: HOST, port, user: 'root', password: '', database, connectTimeout: 5_000 });

const localGate = await gateBackend({
  name: 'mariadb local service smoke',
  ports: [LOCAL_PORT],
  hint: MACHINE_SERVICE_HINT,
});

describe.skipIf(localGate.skip)(localGate.title, () => {
  if (localGate.mustFail) {
    it('has its backend', () => localGate.assertAvailable());
    return;
  }

  let db: Connection | undefined;
  const table = uniqueName('hasim_smoke');

  beforeAll(async () => {
    db = await connect(LOCAL_PORT, 'test');
  });

  afterAll(async () => {
    await db?.query(`DROP TABLE IF EXISTS \`${table}\``);
    await db?.end();
  });

  it('writes a row to database test and reads it back', { timeout: 30_000 }, async () => {
    await db!.query(`CREATE TABLE \`${table}\` (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
    const [result] = await db!.execute<mysql.ResultSetHeader>(`INSERT INTO \`${table}\` VALUES (?, ?)`, [
      1,
      'one',
    ]);
    expect(result.affectedRows).toBe(1);
    const [rows] = await db!.query<RowDataPacket[]>(`SELECT id, v FROM \`${table}\` ORDER BY id`);
    expect(rows.map((r) => ({ ...r }))).toEqual([{ id: 1, v: 'one' }]);
  });
});

const pairGate = await gateBackend({
  name: 'mariadb primary+replica smoke',
  ports: [PRIMARY_PORT, REPLICA_PORT],
  hint: BACKENDS_SH_HINT,
});

describe.skipIf(pairGate.skip)(pairGate.title, () => {
  if (pairGate.mustFail) {
    it('has its backend', () => pairGate.assertAvailable());
    return;
  }

  let primary: Connection | undefined;
  let replica: Connection | undefined;
  const table = uniqueName('smoke');

  const replicaStatus = async (): Promise<Record<string, unknown>> => {
    const [rows] = await replica!.query<RowDataPacket[]>('SHOW SLAVE STATUS');
    expect(rows).toHaveLength(1);
    return rows[0]!;
  };

  beforeAll(async () => {
    primary = await connect(PRIMARY_PORT, 'hasim');
    replica = await connect(REPLICA_PORT, 'hasim');
  });

  afterAll(async () => {
    // Dropped on the primary only: the DROP replicates. Wait (bounded) so no table is left behind.
    await primary?.query(`DROP TABLE IF EXISTS \`${table}\``);
    if (replica) {
      await pollUntil(async () => {
        const [rows] = await replica!.query<RowDataPacket[]>('SHOW TABLES LIKE ?', [table]);
        return rows.length === 0 ? true : undefined;
      }, REPLICATION_WAIT_MS);
    }
    await primary?.end();
    await replica?.end();
  });

  it('runs both replica threads against the primary on 3307', { timeout: 30_000 }, async () => {
    const status = await replicaStatus();
    expect(status.Slave_IO_Running).toBe('Yes');
    expect(status.Slave_SQL_Running).toBe('Yes');
    expect(status.Master_Host).toBe(HOST);
    expect(Number(status.Master_Port)).toBe(PRIMARY_PORT);
    expect(status.Using_Gtid).toBe('Slave_Pos');
    const [primaryIds] = await primary!.query<RowDataPacket[]>('SELECT @@server_id AS primaryId');
    expect(primaryIds[0]).toMatchObject({ primaryId: 1 });
    const [replicaIds] = await replica!.query<RowDataPacket[]>(
      'SELECT @@server_id AS replicaId, @@read_only AS ro',
    );
    expect(replicaIds[0]).toMatchObject({ replicaId: 2, ro: 0 });
  });

  it('replicates a row written on the primary to the replica', { timeout: 30_000 }, async () => {
    await primary!.query(`CREATE TABLE \`${table}\` (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
    const [result] = await primary!.execute<mysql.ResultSetHeader>(`INSERT INTO \`${table}\` VALUES (?, ?)`, [
      1,
      'from-primary',
    ]);
    expect(result.affectedRows).toBe(1);

    const seen = await pollUntil(async () => {
      try {
        const [rows] = await replica!.query<RowDataPacket[]>(`SELECT id, v FROM \`${table}\` WHERE id = 1`);
        return rows.length === 1 ? { ...rows[0] } : undefined;
      } catch (err) {
        // The CREATE TABLE itself may not have been applied yet.
        if ((err as { code?: string }).code === 'ER_NO_SUCH_TABLE') return undefined;
        throw err;
      }
    }, REPLICATION_WAIT_MS);
    expect(seen, `row not on the replica within ${REPLICATION_WAIT_MS} ms`).toEqual({
      id: 1,
      v: 'from-primary',
    });

    // The primary's own copy is unchanged, and the replica has applied the primary's position.
    const [primaryRows] = await primary!.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${table}\``);
    expect(Number(primaryRows[0]!.n)).toBe(1);
    const [[pos]] = await primary!.query<RowDataPacket[]>('SELECT @@gtid_binlog_pos AS gtid');
    const [[wait]] = await replica!.query<RowDataPacket[]>('SELECT MASTER_GTID_WAIT(?, 10) AS r', [
      pos!.gtid,
    ]);
    expect(Number(wait!.r)).toBe(0);
  });

  it('has semi-sync replication engaged on the primary', { timeout: 30_000 }, async () => {
    const [vars] = await primary!.query<RowDataPacket[]>(
      "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_master_enabled'",
    );
    expect(vars[0]?.Value).toBe('ON');
    const [status] = await primary!.query<RowDataPacket[]>(
      "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_%'",
    );
    const byName = Object.fromEntries(status.map((r) => [r.Variable_name as string, String(r.Value)]));
    expect(byName.Rpl_semi_sync_master_status).toBe('ON');
    expect(byName.Rpl_semi_sync_master_clients).toBe('1');
    const [slaveVars] = await replica!.query<RowDataPacket[]>(
      "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_slave_status'",
    );
    expect(slaveVars[0]?.Value).toBe('ON');
  });
});
