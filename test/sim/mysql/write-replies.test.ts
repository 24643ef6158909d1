import { describe, expect, it } from 'vitest';
import { runCluster, sqlError } from './helpers.ts';

// What a write answers and what it logs. Every expected value was observed on MariaDB 10.11.19
// (affected rows through mysql2, which connects with CLIENT_FOUND_ROWS; binlog events with SHOW
// BINLOG EVENTS on the 3307 primary, binlog_format=ROW); test/integration/mysql-dialect-differential.test.ts re-checks
// the replies against the live server when it is up.
const AUTO = 'CREATE TABLE a (id INT AUTO_INCREMENT PRIMARY KEY, u INT, v VARCHAR(10), UNIQUE KEY uq (u))';

describe('write replies and binlog (MariaDB 10.11 sql_insert.cc / sql_update.cc)', () => {
  it('INSERT … ON DUPLICATE KEY UPDATE: 1 inserted, 2 changed, 1 unchanged and not logged (seed 81)', async () => {
    const { value } = await runCluster(81, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(AUTO);
      const q = (v: string) =>
        c.primary.query('INSERT INTO a (u, v) VALUES (1, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [v]);
      const before = c.primary.binlog.length;
      const inserted = await q('a');
      const same = await q('a');
      const changed = await q('b');
      const multi = await c.primary.query(
        "INSERT INTO a (u, v) VALUES (2, 'x'), (1, 'y') ON DUPLICATE KEY UPDATE v = VALUES(v)",
      );
      await sim.clock.sleep(50);
      return {
        replies: [inserted, same, changed, multi].map((r) => [r.affectedRows, r.insertId ?? 0]),
        groups: c.primary.binlog.length - before,
        replica: (await c.replicas[0]!.query('SELECT u, v FROM a ORDER BY u')).rows,
      };
    });
    // insertId: the generated id; 0 when nothing was written; the updated row's id otherwise.
    // The auto-increment counter moves on every attempted insert, as InnoDB's does (the new row
    // of the multi-row statement gets 4 on the server too).
    expect(value.replies).toEqual([
      [1, 1],
      [1, 0],
      [2, 1],
      [3, 4],
    ]);
    expect(value.groups).toBe(3); // the unchanged row wrote no GTID
    expect(value.replica).toEqual([
      { u: 1, v: 'y' },
      { u: 2, v: 'x' },
    ]);
  });

  it('UPDATE counts matched rows but logs only changed ones; a no-op UPDATE writes no GTID (seed 82)', async () => {
    const { value } = await runCluster(82, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))');
      await c.primary.query("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
      const before = c.primary.binlog.length;
      const noop = await c.primary.query("UPDATE t SET v = 'a' WHERE id = 1");
      const afterNoop = c.primary.binlog.length;
      const partial = await c.primary.query("UPDATE t SET v = 'a' WHERE id <= 2");
      const group = c.primary.binlog.at(-1)!;
      return { noop, noopGroups: afterNoop - before, partial, rows: group.events.length };
    });
    expect(value.noop.affectedRows).toBe(1);
    expect(value.noop.gtid).toBeUndefined();
    expect(value.noopGroups).toBe(0);
    expect(value.partial.affectedRows).toBe(2);
    expect(value.rows).toBe(1);
  });

  it('explicit ids do not change LAST_INSERT_ID(); a mixed multi-row INSERT answers the generated one (seed 83)', async () => {
    const { value } = await runCluster(83, { replicas: 0 }, async (c) => {
      await c.primary.query(AUTO);
      await c.primary.query("INSERT INTO a (u, v) VALUES (1, 'a'), (2, 'b')");
      const explicit = await c.primary.query("INSERT INTO a (id, u, v) VALUES (10, 10, 'c')");
      const after10 = (await c.primary.query('SELECT LAST_INSERT_ID() AS id')).rows[0];
      const mixed = await c.primary.query(
        "INSERT INTO a (id, u, v) VALUES (20, 20, 'd'), (NULL, 21, 'e'), (30, 30, 'f')",
      );
      const afterMixed = (await c.primary.query('SELECT LAST_INSERT_ID() AS id')).rows[0];
      return { explicit: explicit.insertId, after10, mixed: mixed.insertId, afterMixed };
    });
    expect(value).toEqual({ explicit: 10, after10: { id: 1 }, mixed: 21, afterMixed: { id: 21 } });
  });

  it.each([
    ['SELECT nope FROM t', "Unknown column 'nope' in 'SELECT'"],
    ['SELECT * FROM t WHERE nope = 1', "Unknown column 'nope' in 'WHERE'"],
    ['SELECT * FROM t ORDER BY nope', "Unknown column 'nope' in 'ORDER BY'"],
    ['SELECT v, COUNT(*) FROM t GROUP BY nope', "Unknown column 'nope' in 'GROUP BY'"],
    ['SELECT * FROM t a JOIN t b ON a.nope = b.id', "Unknown column 'a.nope' in 'ON'"],
    ['SELECT v, COUNT(*) FROM t GROUP BY v HAVING nope > 1', "Unknown column 'nope' in 'HAVING'"],
    ['SELECT * FROM t a JOIN t b USING (nope)', "Unknown column 'nope' in 'FROM'"],
    ['INSERT INTO t VALUES (1, nope)', "Unknown column 'nope' in 'VALUES'"],
    ["INSERT INTO t (id, nope) VALUES (1, 'a')", "Unknown column 'nope' in 'INSERT INTO'"],
    ['UPDATE t SET nope = 1', "Unknown column 'nope' in 'SET'"],
    ['DELETE FROM t WHERE nope = 1', "Unknown column 'nope' in 'WHERE'"],
  ])('%s → 1054 %s (seed 84)', async (sql, message) => {
    const { value } = await runCluster(84, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10))');
      return sqlError(c.primary.query(sql));
    });
    expect([value.errno, value.sqlState, value.message]).toEqual([1054, '42S22', message]);
  });

  it.each([
    ['INSERT INTO t (id) VALUES (1)', 1364, 'HY000', "Field 'w' doesn't have a default value"],
    ['INSERT INTO t (id, w) VALUES (1, NULL)', 1048, '23000', "Column 'w' cannot be null"],
    [
      'INSERT INTO t (id, w) VALUES (1, 2, 3)',
      1136,
      '21S01',
      "Column count doesn't match value count at row 1",
    ],
  ])('%s → %i (seed 85)', async (sql, errno, sqlState, message) => {
    const { value } = await runCluster(85, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE t (id INT PRIMARY KEY, w INT NOT NULL)');
      return sqlError(c.primary.query(sql));
    });
    expect([value.errno, value.sqlState, value.message]).toEqual([errno, sqlState, message]);
  });
});

describe('strict mode (STRICT_TRANS_TABLES, the server default): refused, not stored', () => {
  it.each([
    ["INSERT INTO s VALUES (1, 'toolong')", 1406, '22001', "Data too long for column 'v' at row 1"],
    ["INSERT INTO s VALUES (1, 'a'), (2, 'toolong')", 1406, '22001', "Data too long for column 'v' at row 2"],
    [
      "INSERT INTO s VALUES ('abc', 'a')",
      1366,
      '22007',
      "Incorrect integer value: 'abc' for column `hasim`.`s`.`id` at row 1",
    ],
  ])('%s → %i (seed 86)', async (sql, errno, sqlState, message) => {
    const { value } = await runCluster(86, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(5))');
      const error = await sqlError(c.primary.query(sql));
      return { error, rows: (await c.primary.query('SELECT * FROM s')).rows.length };
    });
    expect([value.error.errno, value.error.sqlState, value.error.message]).toEqual([
      errno,
      sqlState,
      message,
    ]);
    expect(value.rows).toBe(0);
  });

  it("a numeric string is converted, as the server does ('7' → 7) (seed 87)", async () => {
    const { value } = await runCluster(87, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE s (id INT PRIMARY KEY, v VARCHAR(5))');
      await c.primary.query("INSERT INTO s VALUES ('7', 'abcde')");
      return (await c.primary.query('SELECT * FROM s')).rows;
    });
    expect(value).toEqual([{ id: 7, v: 'abcde' }]);
  });
});

describe('collation and DECIMAL as the server answers them', () => {
  it("VARCHAR compares case-insensitively: 'A@X' collides with 'a@x' in a UNIQUE key; _bin does not (seed 88)", async () => {
    // Observed on 10.11.19 (utf8mb4_general_ci): 1062 "Duplicate entry 'A@X' for key 'uk_email'".
    const { value } = await runCluster(88, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(
        'CREATE TABLE e (id INT PRIMARY KEY, email VARCHAR(20), UNIQUE KEY uk_email (email))',
      );
      await c.primary.query('CREATE TABLE b (id INT PRIMARY KEY, k VARCHAR(20) COLLATE utf8mb4_bin UNIQUE)');
      await c.primary.query("INSERT INTO e VALUES (1, 'a@x')");
      const dup = await sqlError(c.primary.query("INSERT INTO e VALUES (2, 'A@X')"));
      const found = (await c.primary.query("SELECT id FROM e WHERE email = 'A@x'")).rows;
      await c.primary.query("INSERT INTO b VALUES (1, 'k'), (2, 'K')");
      await c.primary.query("UPDATE e SET email = 'b@x' WHERE email = 'A@X'");
      await sim.clock.sleep(50);
      return { dup, found, replica: (await c.replicas[0]!.query('SELECT * FROM e')).rows };
    });
    expect([value.dup.errno, value.dup.message]).toEqual([1062, "Duplicate entry 'A@X' for key 'uk_email'"]);
    expect(value.found).toEqual([{ id: 1 }]);
    expect(value.replica).toEqual([{ id: 1, email: 'b@x' }]);
  });

  it("DECIMAL(p,s) reads as a string with s decimals, as mysql2 returns it ('1.50') (seed 89)", async () => {
    const { value } = await runCluster(89, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE d (id INT PRIMARY KEY, price DECIMAL(6,2), n DECIMAL(5))');
      await c.primary.query('INSERT INTO d VALUES (1, 1.5, 7), (2, NULL, NULL)');
      return (await c.primary.query('SELECT * FROM d ORDER BY id')).rows;
    });
    expect(value).toEqual([
      { id: 1, price: '1.50', n: '7' },
      { id: 2, price: null, n: null },
    ]);
  });
});

describe('AUTO_INCREMENT as InnoDB hands it out (innodb_autoinc_lock_mode=1)', () => {
  // Each row: statements, then the id the next `INSERT (a) VALUES (100)` gets; observed on 10.11.19.
  it.each([
    ['(NULL, 1), (5, 2)', 6],
    ['(5, 1), (NULL, 2)', 8],
    ['(NULL, 1), (NULL, 2), (7, 3), (NULL, 4)', 9],
    ['(NULL, 1), (NULL, 2), (NULL, 3)', 4],
  ])('INSERT (id, a) VALUES %s → next id %i (seed 90)', async (values, next) => {
    const { value } = await runCluster(90, { replicas: 0 }, async (c) => {
      await c.primary.query(AUTO);
      await c.primary.query(`INSERT INTO a (id, u) VALUES ${values}`);
      return (await c.primary.query('INSERT INTO a (u) VALUES (100)')).insertId;
    });
    expect(value).toBe(next);
  });

  it.each([
    ['INSERT IGNORE INTO a (u) VALUES (1), (1), (2)', 5],
    ['INSERT INTO a (u) VALUES (1), (2), (3) ON DUPLICATE KEY UPDATE u = u', 5],
    ['REPLACE INTO a (id, u) VALUES (NULL, 1), (NULL, 3)', 4],
  ])('after INSERT (u) VALUES (1): %s → next id %i (seed 91)', async (sql, next) => {
    const { value } = await runCluster(91, { replicas: 0 }, async (c) => {
      await c.primary.query(AUTO);
      await c.primary.query('INSERT INTO a (u) VALUES (1)');
      await c.primary.query(sql);
      return (await c.primary.query('INSERT INTO a (u) VALUES (100)')).insertId;
    });
    expect(value).toBe(next);
  });

  it('an ignored or updated row gives its id back to the next row of the statement; TRUNCATE restarts at 1 (seed 92)', async () => {
    const { value } = await runCluster(92, { replicas: 0 }, async (c) => {
      await c.primary.query(AUTO);
      await c.primary.query("INSERT INTO a (u, v) VALUES (1, 'a')");
      const odku = await c.primary.query(
        "INSERT INTO a (u, v) VALUES (1, 'b'), (2, 'c') ON DUPLICATE KEY UPDATE v = VALUES(v)",
      );
      const ignore = await c.primary.query("INSERT IGNORE INTO a (u, v) VALUES (1, 'x'), (5, 'y')");
      const rows = (await c.primary.query('SELECT id, u FROM a ORDER BY id')).rows;
      await c.primary.query('TRUNCATE TABLE a');
      const fresh = await c.primary.query("INSERT INTO a (u, v) VALUES (9, 'z')");
      return { odku: odku.insertId, ignore: ignore.insertId, rows, fresh: fresh.insertId };
    });
    expect(value).toEqual({
      odku: 2,
      ignore: 4,
      rows: [
        { id: 1, u: 1 },
        { id: 2, u: 2 },
        { id: 4, u: 5 },
      ],
      fresh: 1,
    });
  });

  it('ODKU updates the row of the first colliding key in key order (PRIMARY, then UNIQUE as declared) (seed 93)', async () => {
    // Observed on 10.11.19: (NULL, a=4, b=4) colliding with row 1 on ua and row 2 on ub updates
    // row 1 (unchanged here: affectedRows 1 for the new row + 1); SQLite's upsert picked row 2.
    const { value } = await runCluster(93, { replicas: 0 }, async (c) => {
      await c.primary.query(
        'CREATE TABLE f (id INT AUTO_INCREMENT PRIMARY KEY, a INT, b INT, v INT, UNIQUE KEY ua (a), UNIQUE KEY ub (b))',
      );
      await c.primary.query('INSERT INTO f VALUES (1, 4, 1, 0)');
      const r = await c.primary.query(
        'INSERT INTO f (id, a, b, v) VALUES (NULL, 1, 4, 1), (NULL, 4, 4, 0) ON DUPLICATE KEY UPDATE v = VALUES(v)',
      );
      return { affected: r.affectedRows, rows: (await c.primary.query('SELECT * FROM f ORDER BY id')).rows };
    });
    expect(value).toEqual({
      affected: 2,
      rows: [
        { id: 1, a: 4, b: 1, v: 0 },
        { id: 2, a: 1, b: 4, v: 1 },
      ],
    });
  });
});

describe('statement modifiers and small spellings (observed on 10.11.19)', () => {
  it('LOW_PRIORITY / HIGH_PRIORITY / QUICK are no-ops, DELAYED is 1616, UPDATE IGNORE counts skipped rows as matched (seed 94)', async () => {
    const { value } = await runCluster(94, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE m (id INT PRIMARY KEY, u INT, UNIQUE KEY uq (u))');
      await c.primary.query('INSERT LOW_PRIORITY INTO m VALUES (1, 10)');
      const delayed = await sqlError(c.primary.query('INSERT DELAYED INTO m VALUES (2, 20)'));
      await c.primary.query('INSERT HIGH_PRIORITY INTO m VALUES (2, 20)');
      const ignore = await c.primary.query('UPDATE IGNORE m SET u = 10 WHERE id = 2');
      await c.primary.query('DELETE LOW_PRIORITY QUICK FROM m WHERE id = 1');
      const dual = (await c.primary.query('SELECT GREATEST(1, 5, 3) AS g, LEAST(4, 2) AS l FROM DUAL')).rows;
      const fn = await sqlError(c.primary.query('SELECT FOUND_ROWS()'));
      return {
        delayed,
        ignore: ignore.affectedRows,
        rows: (await c.primary.query('SELECT * FROM m')).rows,
        dual,
        fn,
      };
    });
    expect([value.delayed.errno, value.delayed.message]).toEqual([
      1616,
      "DELAYED option not supported for table 'm'",
    ]);
    expect(value.ignore).toBe(1);
    expect(value.rows).toEqual([{ id: 2, u: 20 }]);
    expect(value.dual).toEqual([{ g: 5, l: 2 }]);
    expect(value.fn.errno).toBe(1064);
    expect(value.fn.message).toContain('(hasim: function FOUND_ROWS is not simulated)');
  });
});
