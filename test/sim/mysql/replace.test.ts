import { describe, expect, it } from 'vitest';
import type { SimMysqlNode } from '#sim/mysql/index.ts';
import { runCluster, sqlError } from './helpers.ts';

// REPLACE as MariaDB 10.11 sql_insert.cc write_record runs it. Every row below was observed on
// MariaDB 10.11.19 (127.0.0.1:3307, binlog_format=ROW, binlog_row_image=FULL): the statement's
// affected rows from the client, its events from SHOW BINLOG EVENTS (Table_map / Xid omitted;
// "none" = no GTID group at all).
const PK_ONLY = 'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))';
const PK_AND_UQ = 'CREATE TABLE t (id INT PRIMARY KEY, u INT, v VARCHAR(10), UNIQUE KEY uq (u))';

const events = (node: SimMysqlNode, from: number) =>
  node.binlog
    .slice(from)
    .map((g) =>
      g.events
        .map((e) =>
          e.kind === 'ddl' ? 'Query' : `${e.change.op[0]!.toUpperCase()}${e.change.op.slice(1)}_rows`,
        )
        .join('+'),
    );

describe('REPLACE (write_record: update in place on the last unique key, else delete + insert)', () => {
  it.each([
    // table, setup rows, statement, affectedRows, binlog events, rows after
    [PK_ONLY, "(1,'a'),(2,'b')", "REPLACE INTO t VALUES (1,'x')", 2, ['Update_rows'], '1,x|2,b'],
    [PK_ONLY, "(1,'x')", "REPLACE INTO t VALUES (1,'x')", 1, [], '1,x'],
    [PK_ONLY, "(1,'a')", "REPLACE INTO t VALUES (3,'c')", 1, ['Write_rows'], '1,a|3,c'],
    [
      PK_AND_UQ,
      "(1,10,'a'),(2,20,'b')",
      "REPLACE INTO t VALUES (1,11,'x')",
      2,
      ['Delete_rows+Write_rows'],
      '1,11,x|2,20,b',
    ],
    [
      PK_AND_UQ,
      "(1,10,'a'),(2,20,'b')",
      "REPLACE INTO t VALUES (3,20,'y')",
      2,
      ['Update_rows'],
      '1,10,a|3,20,y',
    ],
    [
      PK_AND_UQ,
      "(1,11,'x'),(3,20,'y')",
      "REPLACE INTO t VALUES (1,20,'z')",
      3,
      ['Delete_rows+Update_rows'],
      '1,20,z',
    ],
    [PK_AND_UQ, "(2,30,'q')", "REPLACE INTO t VALUES (2,30,'q')", 2, ['Delete_rows+Write_rows'], '2,30,q'],
    [
      PK_AND_UQ,
      "(1,10,'a')",
      "REPLACE INTO t SET id = 1, u = 12, v = 's'",
      2,
      ['Delete_rows+Write_rows'],
      '1,12,s',
    ],
  ] as const)('%s + %s: %s → %i rows, %j (seed 61)', async (create, setup, sql, affected, binlog, after) => {
    const { value } = await runCluster(61, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(create);
      await c.primary.query(`INSERT INTO t VALUES ${setup}`);
      const from = c.primary.binlog.length;
      const res = await c.primary.query(sql);
      await sim.clock.sleep(50);
      const rows = async (n: SimMysqlNode) =>
        (await n.query('SELECT * FROM t ORDER BY id')).rows.map((r) => Object.values(r).join(',')).join('|');
      return {
        affected: res.affectedRows,
        events: events(c.primary, from),
        primary: await rows(c.primary),
        replica: await rows(c.replicas[0]!),
        sqlErrno: c.replicas[0]!.status().Last_SQL_Errno,
      };
    });
    expect(value).toEqual({ affected, events: binlog, primary: after, replica: after, sqlErrno: 0 });
  });

  it('an AUTO_INCREMENT REPLACE draws a new id, also when it updates a row found by a UNIQUE key (seed 62)', async () => {
    // Observed on 10.11.19: REPLACE (u, v) VALUES (1, 'z') over row (1, 1, 'a') → affectedRows 2,
    // insertId 4 (the next id), the row becomes (4, 1, 'z'); explicit id 2 → insertId 2.
    const { value } = await runCluster(62, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(
        'CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, u INT, v VARCHAR(10), UNIQUE KEY uq (u))',
      );
      await c.primary.query("INSERT INTO a (u, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      const generated = await c.primary.query("REPLACE INTO a (u, v) VALUES (1, 'z')");
      const explicit = await c.primary.query("REPLACE INTO a (id, u, v) VALUES (2, 2, 'q')");
      await sim.clock.sleep(50);
      return {
        generated,
        explicit,
        primary: (await c.primary.query('SELECT * FROM a ORDER BY id')).rows,
        replica: (await c.replicas[0]!.query('SELECT * FROM a ORDER BY id')).rows,
      };
    });
    expect(value.generated).toMatchObject({ affectedRows: 2, insertId: 4 });
    expect(value.explicit).toMatchObject({ affectedRows: 2, insertId: 2 });
    const rows = [
      { id: 2, u: 2, v: 'q' },
      { id: 3, u: 3, v: 'c' },
      { id: 4, u: 1, v: 'z' },
    ];
    expect(value.primary).toEqual(rows);
    expect(value.replica).toEqual(rows);
  });

  it('inside a transaction the REPLACE commits with its Update_rows image (seed 63)', async () => {
    const { value } = await runCluster(63, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(PK_ONLY);
      await c.primary.query("INSERT INTO t VALUES (1, 'a')");
      await c.primary.query('BEGIN');
      const r = await c.primary.query('REPLACE INTO t VALUES (?, ?), (?, ?)', [1, 'b', 2, 'c']);
      await c.primary.query('COMMIT');
      await sim.clock.sleep(50);
      return { r, rows: (await c.replicas[0]!.query('SELECT * FROM t ORDER BY id')).rows };
    });
    expect(value.r.affectedRows).toBe(3);
    expect(value.rows).toEqual([
      { id: 1, v: 'b' },
      { id: 2, v: 'c' },
    ]);
  });

  it('rejects REPLACE … SELECT with a clear 1064 and a wrong value count with 1136 (seed 64)', async () => {
    const { value } = await runCluster(64, { replicas: 0 }, async (c) => {
      await c.primary.query(PK_ONLY);
      return {
        select: await sqlError(c.primary.query('REPLACE INTO t SELECT * FROM t')),
        count: await sqlError(c.primary.query("REPLACE INTO t (id, v) VALUES (1, 'a', 3)")),
      };
    });
    expect(value.select.errno).toBe(1064);
    expect(value.select.message).toContain('REPLACE … SELECT');
    expect(value.count).toMatchObject({ errno: 1136, sqlState: '21S01' });
    expect(value.count.message).toBe("Column count doesn't match value count at row 1");
  });
});
