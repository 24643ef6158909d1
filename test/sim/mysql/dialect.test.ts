import { describe, expect, it } from 'vitest';
import { parseStatement } from '#sim/mysql/dialect.ts';
import { CREATE_T, runCluster, sqlError } from './helpers.ts';

describe('dialect: classification and translation', () => {
  // Rows: statement → kind the node dispatches on.
  it.each([
    ['BEGIN', 'begin'],
    ['START TRANSACTION', 'begin'],
    ['commit', 'commit'],
    ['ROLLBACK', 'rollback'],
    ['SELECT * FROM t WHERE id = ? FOR UPDATE', 'select'],
    ['INSERT INTO t (id, v) VALUES (?, ?)', 'write'],
    ['INSERT IGNORE INTO t VALUES (1, "a")', 'write'],
    ['UPDATE t SET v = ? WHERE id = ?', 'write'],
    ['DELETE FROM t WHERE id = ?', 'write'],
    ['SELECT @@gtid_slave_pos, @@server_id', 'variables'],
    ['SELECT MASTER_GTID_WAIT(?, ?)', 'gtidWait'],
    ['SHOW SLAVE STATUS', 'showSlaveStatus'],
    ["SHOW STATUS LIKE 'Rpl_semi_sync%'", 'showStatus'],
    ['STOP SLAVE IO_THREAD', 'slave'],
    ['RESET SLAVE ALL', 'resetSlaveAll'],
    ['SET GLOBAL read_only = OFF', 'setGlobal'],
    ['DROP TABLE IF EXISTS t', 'dropTable'],
    ['INSERT INTO\n  t (id)\n  VALUES (?)', 'write'],
    ['delete\nfrom `t` where id = ?', 'write'],
  ])('%s → %s', (sql, kind) => {
    expect(parseStatement(sql).kind).toBe(kind);
  });

  it('translates CREATE TABLE with AUTO_INCREMENT, UNIQUE KEY, KEY and table options', () => {
    const st = parseStatement(
      'CREATE TABLE `users` (`id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT, `email` VARCHAR(64) NOT NULL, `n` INT DEFAULT 0, ' +
        'PRIMARY KEY (`id`), UNIQUE KEY `uk_email` (`email`), KEY `idx_n` (`n`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
    );
    if (st.kind !== 'createTable') throw new Error(st.kind);
    expect(st.spec.primaryKey).toEqual(['id']);
    expect(st.spec.autoIncrement).toBe('id');
    expect([...st.spec.uniqueKeys]).toEqual([['uk_email', ['email']]]);
    expect(st.spec.sqlite[0]).toContain('"id" INTEGER PRIMARY KEY AUTOINCREMENT');
    expect(st.spec.sqlite[1]).toContain('CREATE INDEX');
  });

  it('rejects what it does not simulate with error 1064 naming the part', () => {
    expect(() => parseStatement('CREATE TABLE t (ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP)')).toThrow(
      /time defaults/,
    );
    expect(() => parseStatement('GRANT ALL ON *.* TO x')).toThrow(/1064|syntax/);
  });
});

describe('node: data, errors and transactions (MariaDB wording)', () => {
  it("duplicate key: errno 1062, SQLSTATE 23000, \"Duplicate entry '8' for key 'PRIMARY'\"", async () => {
    const { value } = await runCluster(11, { replicas: 0 }, async (c) => {
      await c.primary.query(CREATE_T);
      await c.primary.query('INSERT INTO t VALUES (?, ?)', [8, 'a']);
      return sqlError(c.primary.query('INSERT INTO t VALUES (?, ?)', [8, 'b']));
    });
    expect([value.errno, value.sqlState, value.message]).toEqual([
      1062,
      '23000',
      "Duplicate entry '8' for key 'PRIMARY'",
    ]);
  });

  it('duplicate on a named unique key names that key; composite values joined with -', async () => {
    const { value } = await runCluster(12, { replicas: 0 }, async (c) => {
      await c.primary.query(
        'CREATE TABLE u (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(9), UNIQUE KEY uk_ab (a, b))',
      );
      await c.primary.query('INSERT INTO u (a, b) VALUES (?, ?)', [1, 'x']);
      return sqlError(c.primary.query('INSERT INTO u (a, b) VALUES (?, ?)', [1, 'x']));
    });
    expect(value.message).toBe("Duplicate entry '1-x' for key 'uk_ab'");
  });

  it.each([
    ['SELECT * FROM nope', 1146, "Table 'hasim.nope' doesn't exist"],
    ['INSERT INTO t (id, v) VALUES (NULL, 1)', 1048, "Column 'id' cannot be null"],
    [CREATE_T, 1050, "Table 't' already exists"],
  ])('%s → errno %i', async (sql, errno, message) => {
    const { value } = await runCluster(13, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20))');
      return sqlError(c.primary.query(sql));
    });
    expect([value.errno, value.message]).toEqual([errno, message]);
  });

  // A multi-row INSERT answers the FIRST generated id, in the OK packet and in LAST_INSERT_ID()
  // (sql_insert.cc mysql_insert; observed on MariaDB 10.11.19, see test/integration/mysql-dialect-differential.test.ts).
  it('AUTO_INCREMENT: insertId, LAST_INSERT_ID(), GTIDs 0-1-N per commit', async () => {
    const { value } = await runCluster(14, { replicas: 0 }, async (c) => {
      const ddl = await c.primary.query('CREATE TABLE u (id INT AUTO_INCREMENT PRIMARY KEY, v TEXT)');
      const a = await c.primary.query('INSERT INTO u (v) VALUES (?)', ['a']);
      const b = await c.primary.query('INSERT INTO u (v) VALUES (?), (?)', ['b', 'c']);
      const last = await c.primary.query('SELECT LAST_INSERT_ID() AS id');
      const vars = await c.primary.query('SELECT @@gtid_binlog_pos, @@last_gtid');
      return { ddl: ddl.gtid, a, b, last: last.rows[0], vars: vars.rows[0] };
    });
    expect(value.ddl).toBe('0-1-1');
    expect(value.a).toMatchObject({ insertId: 1, affectedRows: 1, gtid: '0-1-2' });
    expect(value.b).toMatchObject({ insertId: 2, affectedRows: 2, gtid: '0-1-3' });
    expect(value.vars).toEqual({ '@@gtid_binlog_pos': '0-1-3', '@@last_gtid': '0-1-3' });
    expect(value.last).toEqual({ id: 2 });
  });

  it('a transaction is invisible to other sessions until COMMIT, one GTID for the group, ROLLBACK discards', async () => {
    const { value } = await runCluster(15, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(CREATE_T);
      const s1 = c.primary.session();
      await s1.query('BEGIN');
      await s1.query('INSERT INTO t VALUES (1, ?)', ['a']);
      await s1.query('UPDATE t SET v = ? WHERE id = 1', ['b']);
      const own = (await s1.query('SELECT v FROM t')).rows;
      const other = (await c.primary.query('SELECT v FROM t')).rows;
      const commit = await s1.query('COMMIT');
      await s1.query('START TRANSACTION');
      await s1.query('INSERT INTO t VALUES (2, ?)', ['z']);
      await s1.query('ROLLBACK');
      await sim.clock.sleep(50);
      const replica = (await c.replicas[0]!.query('SELECT id, v FROM t')).rows;
      return { own, other, commit: commit.gtid, replica };
    });
    expect(value.own).toEqual([{ v: 'b' }]);
    expect(value.other).toEqual([]);
    expect(value.commit).toBe('0-1-2');
    expect(value.replica).toEqual([{ id: 1, v: 'b' }]);
  });

  it('two open transactions insert the same key: the second COMMIT fails with 1062 and is not binlogged', async () => {
    const { value } = await runCluster(16, { replicas: 0 }, async (c) => {
      await c.primary.query(CREATE_T);
      const [a, b] = [c.primary.session(), c.primary.session()];
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query('INSERT INTO t VALUES (1, ?)', ['a']);
      await b.query('INSERT INTO t VALUES (1, ?)', ['b']);
      const first = await a.query('COMMIT');
      const second = await sqlError(b.query('COMMIT'));
      const rows = (await c.primary.query('SELECT v FROM t')).rows;
      return { first: first.gtid, second: second.errno, rows, pos: c.primary.status().gtid_binlog_pos };
    });
    expect(value).toEqual({ first: '0-1-2', second: 1062, rows: [{ v: 'a' }], pos: '0-1-2' });
  });
});
