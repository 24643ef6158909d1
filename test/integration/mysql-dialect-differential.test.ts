// Differential check of the simulated dialect against the real server: every row runs the same
// statements on a simulated node (database `test`) and on MariaDB 10.11 at 127.0.0.1:3306
// (database `test`, through the project's mysql2 adapter, one connection), and compares what a
// SqlPort caller sees: affectedRows, insertId, rows, and errno / sqlState / message of errors.
// Tables are uniquely named per run and dropped afterwards. Skipped with a visible reason when
// 3306 is silent, failed under CI=true (test/integration/backends.ts).
//
// A step marked `unsupported` is syntax MariaDB accepts and the simulator does not: the simulator
// must refuse it with 1064 naming itself ("hasim: …"), never run something else. A step marked
// `differs` is a known, documented difference (docs/mysql.md "Differences from MariaDB"): the row
// asserts that it still differs, so fixing it makes the row fail until the mark is removed.
// `HD_DUMP=1 npx vitest run test/integration/mysql-dialect-differential.test.ts` prints every step whose
// answers differ (marked or not).

import fc from 'fast-check';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import { Mysql2SqlPort } from '#src/adapters/mysql2.ts';
import { SqlError, type SqlPort, type SqlValue } from '#src/ports/sql.ts';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

interface Step {
  readonly sql: string;
  readonly params?: readonly SqlValue[];
  /** MariaDB runs it; the simulator must answer 1064 naming itself. */
  readonly unsupported?: true;
  /** A known difference, documented in docs/mysql.md. */
  readonly differs?: string;
}

interface Case {
  readonly name: string;
  /** Where MariaDB's behaviour is specified. */
  readonly source: string;
  /** `{t}` / `{u}` are replaced by unique table names. */
  readonly steps: readonly (Step | string)[];
}

const T = '(id INT PRIMARY KEY, v VARCHAR(20))';
const AUTO = '(id INT AUTO_INCREMENT PRIMARY KEY, u INT, v VARCHAR(20), UNIQUE KEY uq (u))';
const PKUQ = '(id INT PRIMARY KEY, u INT, v VARCHAR(20), UNIQUE KEY uq (u))';

const CASES: readonly Case[] = [
  {
    name: 'INSERT single and multi-row, explicit and generated ids',
    source: 'MariaDB sql_insert.cc mysql_insert (OK packet insert_id); KB "LAST_INSERT_ID"',
    steps: [
      `CREATE TABLE {t} ${AUTO}`,
      "INSERT INTO {t} (u, v) VALUES (1, 'a')",
      "INSERT INTO {t} (u, v) VALUES (2, 'b'), (3, 'c'), (4, 'd')",
      'SELECT LAST_INSERT_ID() AS id',
      "INSERT INTO {t} (id, u, v) VALUES (10, 10, 'e')",
      "INSERT INTO {t} (id, u, v) VALUES (20, 20, 'f'), (NULL, 21, 'g'), (30, 30, 'h')",
      'SELECT LAST_INSERT_ID() AS id',
      { sql: 'INSERT INTO {t} (u, v) VALUES (?, ?), (?, ?)', params: [40, 'i', 41, 'j'] },
      { sql: 'INSERT INTO {t} SET u = 50, v = ?', params: ['k'] },
      'SELECT * FROM {t} ORDER BY id',
      `CREATE TABLE {u} ${T}`,
      "INSERT INTO {u} VALUES (1, 'a'), (2, 'b')",
      "INSERT INTO {u} (v, id) VALUES ('c', 3)",
      'SELECT * FROM {u} ORDER BY id',
      'INSERT INTO {t} (u, v) SELECT id + 100, v FROM {u}',
      'SELECT LAST_INSERT_ID() AS id',
      "INSERT INTO {t} (id, u, v) VALUES (200, 200, 'a'), (NULL, 201, 'b')",
      "INSERT IGNORE INTO {t} (u, v) VALUES (1, 'dup'), (1, 'dup'), (202, 'c')",
      "INSERT INTO {t} (u, v) VALUES (203, 'd')",
      "INSERT INTO {t} (u, v) VALUES (1, 'dup')",
      "INSERT INTO {t} (u, v) VALUES (204, 'e')",
      'TRUNCATE TABLE {t}',
      "INSERT INTO {t} (u, v) VALUES (1, 'a')",
      { sql: 'INSERT INTO {u} VALUES (1.5, ?)', params: ['r'], differs: 'SQLite keeps 1.5 in an INT column' },
    ],
  },
  {
    name: 'INSERT … ON DUPLICATE KEY UPDATE: 1 inserted, 2 updated, 1 unchanged (CLIENT_FOUND_ROWS)',
    source: 'MariaDB KB "INSERT ON DUPLICATE KEY UPDATE"; sql_insert.cc write_record (info->touched)',
    steps: [
      `CREATE TABLE {t} ${AUTO}`,
      "INSERT INTO {t} (u, v) VALUES (1, 'a') ON DUPLICATE KEY UPDATE v = VALUES(v)",
      "INSERT INTO {t} (u, v) VALUES (1, 'b') ON DUPLICATE KEY UPDATE v = VALUES(v)",
      "INSERT INTO {t} (u, v) VALUES (1, 'b') ON DUPLICATE KEY UPDATE v = VALUES(v)",
      "INSERT INTO {t} (id, u, v) VALUES (1, 1, 'c') ON DUPLICATE KEY UPDATE v = VALUES(v)",
      "INSERT INTO {t} (u, v) VALUES (2, 'x'), (1, 'y') ON DUPLICATE KEY UPDATE v = VALUES(v)",
      "INSERT INTO {t} (u, v) VALUES (2, 'x') ON DUPLICATE KEY UPDATE v = CONCAT(v, '!')",
      'SELECT * FROM {t} ORDER BY id',
    ],
  },
  {
    name: 'REPLACE: insert 1, replace 2, identical 1, two collisions 3',
    source: 'MariaDB sql_insert.cc write_record (last_uniq_key); KB "REPLACE"',
    steps: [
      `CREATE TABLE {t} ${PKUQ}`,
      "INSERT INTO {t} VALUES (1, 10, 'a'), (2, 20, 'b')",
      "REPLACE INTO {t} VALUES (3, 30, 'c')",
      "REPLACE INTO {t} VALUES (1, 11, 'x')",
      "REPLACE INTO {t} VALUES (4, 20, 'y')",
      "REPLACE INTO {t} VALUES (1, 20, 'z')",
      "REPLACE INTO {t} (id, u, v) VALUES (3, 30, 'c')",
      `CREATE TABLE {u} ${T}`,
      "INSERT INTO {u} VALUES (1, 'a')",
      "REPLACE INTO {u} VALUES (1, 'a')",
      "REPLACE INTO {u} SET id = 1, v = 'b'",
      { sql: 'REPLACE INTO {u} VALUES (?, ?), (?, ?)', params: [1, 'c', 2, 'd'] },
      'SELECT * FROM {t} ORDER BY id',
      'SELECT * FROM {u} ORDER BY id',
      { sql: 'REPLACE INTO {u} SELECT id + 10, v FROM {u}', unsupported: true },
    ],
  },
  {
    name: 'REPLACE with AUTO_INCREMENT',
    source: 'MariaDB sql_insert.cc write_record + mysql_insert insert_id',
    steps: [
      `CREATE TABLE {t} ${AUTO}`,
      "INSERT INTO {t} (u, v) VALUES (1, 'a'), (2, 'b')",
      "REPLACE INTO {t} (u, v) VALUES (1, 'z')",
      "REPLACE INTO {t} (id, u, v) VALUES (2, 2, 'b')",
      "REPLACE INTO {t} (u, v) VALUES (9, 'n')",
      'SELECT * FROM {t} ORDER BY id',
    ],
  },
  {
    name: 'UPDATE: matched rows under mysql2 (CLIENT_FOUND_ROWS), not changed rows',
    source: 'MariaDB sql_update.cc mysql_update (found vs updated); mysql2 default flags FOUND_ROWS',
    steps: [
      `CREATE TABLE {t} ${T}`,
      "INSERT INTO {t} VALUES (1, 'a'), (2, 'b'), (3, 'b')",
      "UPDATE {t} SET v = 'a' WHERE id = 1",
      "UPDATE {t} SET v = 'b' WHERE id >= 1",
      "UPDATE {t} SET v = 'c' WHERE id = 99",
      { sql: 'UPDATE {t} SET v = ? WHERE id IN (?, ?)', params: ['z', 1, 3] },
      'SELECT * FROM {t} ORDER BY id',
    ],
  },
  {
    name: 'DELETE',
    source: 'MariaDB sql_delete.cc mysql_delete (deleted rows)',
    steps: [
      `CREATE TABLE {t} ${T}`,
      "INSERT INTO {t} VALUES (1, 'a'), (2, 'b'), (3, 'c')",
      'DELETE FROM {t} WHERE id = 2',
      'DELETE FROM {t} WHERE id = 2',
      'DELETE FROM {t}',
      'SELECT * FROM {t}',
    ],
  },
  {
    name: "duplicate key errors name the key: 'PRIMARY', the UNIQUE key's name, multi-column values joined by '-'",
    source: "MariaDB ER_DUP_ENTRY (1062, 23000) \"Duplicate entry '%s' for key '%s'\"; key_unpack",
    steps: [
      `CREATE TABLE {t} ${PKUQ}`,
      "INSERT INTO {t} VALUES (1, 10, 'a')",
      "INSERT INTO {t} VALUES (1, 11, 'b')",
      "INSERT INTO {t} VALUES (2, 10, 'b')",
      "INSERT INTO {t} VALUES (2, 11, 'b'), (3, 11, 'c')",
      'UPDATE {t} SET u = 10 WHERE id = 2',
      "INSERT IGNORE INTO {t} VALUES (1, 12, 'x')",
      'SELECT * FROM {t} ORDER BY id',
      'CREATE TABLE {u} (a INT, b VARCHAR(5), email VARCHAR(20) UNIQUE, PRIMARY KEY (a, b))',
      "INSERT INTO {u} VALUES (1, 'x', 'e@x')",
      "INSERT INTO {u} VALUES (1, 'x', 'f@x')",
      "INSERT INTO {u} VALUES (2, 'x', 'e@x')",
      'INSERT INTO {u} (a, email) VALUES (3, NULL)',
    ],
  },
  {
    name: 'unknown table (1146) and unknown column (1054)',
    source: 'MariaDB ER_NO_SUCH_TABLE 1146 42S02, ER_BAD_FIELD_ERROR 1054 42S22, ER_BAD_TABLE_ERROR 1051',
    steps: [
      `CREATE TABLE {t} ${T}`,
      'SELECT * FROM {u}',
      "INSERT INTO {u} VALUES (1, 'a')",
      "UPDATE {u} SET v = 'a'",
      'DELETE FROM {u}',
      "REPLACE INTO {u} VALUES (1, 'a')",
      'DROP TABLE {u}',
      'SELECT nope FROM {t}',
      'SELECT * FROM {t} WHERE nope = 1',
      'SELECT * FROM {t} ORDER BY nope',
      'SELECT v, COUNT(*) AS n FROM {t} GROUP BY nope',
      'SELECT v, COUNT(*) AS n FROM {t} GROUP BY v HAVING nope > 1',
      'SELECT * FROM {t} a JOIN {t} b ON a.nope = b.id',
      'SELECT * FROM {t} a JOIN {t} b USING (nope)',
      'INSERT INTO {t} VALUES (1, nope)',
      "INSERT INTO {t} (id, nope) VALUES (1, 'a')",
      "REPLACE INTO {t} (id, nope) VALUES (1, 'a')",
      'UPDATE {t} SET nope = 1',
      "UPDATE {t} SET v = 'a' WHERE nope = 1",
      'DELETE FROM {t} WHERE nope = 1',
      "INSERT INTO {t} VALUES (NULL, 'a')",
      "INSERT INTO {t} (id, v) VALUES (1, 'a', 'b')",
    ],
  },
  {
    name: 'strict mode: too long for VARCHAR (1406), not an integer (1366)',
    source: 'MariaDB KB "SQL_MODE" STRICT_TRANS_TABLES; ER_DATA_TOO_LONG, ER_TRUNCATED_WRONG_VALUE_FOR_FIELD',
    steps: [
      'CREATE TABLE {t} (id INT PRIMARY KEY, v VARCHAR(5), n INT)',
      "INSERT INTO {t} VALUES (1, 'toolong', 1)",
      "INSERT INTO {t} VALUES (2, 'a', 1), (3, 'toolong', 1)",
      "INSERT INTO {t} VALUES ('abc', 'a', 1)",
      "INSERT INTO {t} VALUES (4, 'a', 'x')",
      "INSERT INTO {t} VALUES ('7', 'abcde', '8')",
      "UPDATE {t} SET v = 'toolong'",
      'CREATE TABLE {u} (id INT PRIMARY KEY, d DECIMAL(6,2), e DECIMAL(5), f DOUBLE)',
      'INSERT INTO {u} VALUES (1, 1.5, 7, 0.25), (2, NULL, NULL, NULL)',
      'SELECT * FROM {u} ORDER BY id',
      'SELECT * FROM {t}',
    ],
  },
  {
    name: 'collation: strings compare case-insensitively (utf8mb4_general_ci / latin1_swedish_ci)',
    source: 'MariaDB KB "Character Sets and Collations" (_ci = case-insensitive, PAD SPACE)',
    steps: [
      'CREATE TABLE {t} (id INT PRIMARY KEY, email VARCHAR(20), UNIQUE KEY uk_email (email))',
      "INSERT INTO {t} VALUES (1, 'a@x')",
      "INSERT INTO {t} VALUES (2, 'A@X')",
      "SELECT id FROM {t} WHERE email = 'A@x'",
      { sql: "SELECT id FROM {t} WHERE email = 'a@x '", differs: 'PAD SPACE: trailing spaces are ignored' },
      "SELECT id FROM {t} WHERE email LIKE 'A%'",
      "INSERT INTO {t} VALUES (3, 'b@x'), (4, 'C@x')",
      'SELECT email FROM {t} ORDER BY email DESC',
      {
        sql: "SELECT 'é' = 'E' AS same, 'É' = 'é' AS accent",
        differs: 'literals compare binary in SQLite; general_ci folds case and accents',
      },
    ],
  },
  {
    name: 'INSERT IGNORE, aggregates, ODKU expressions, CREATE of an existing table',
    source: 'MariaDB KB "INSERT IGNORE", "INSERT ON DUPLICATE KEY UPDATE"; ER_TABLE_EXISTS_ERROR 1050',
    steps: [
      'CREATE TABLE {t} (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0)',
      'CREATE TABLE {t} (id INT PRIMARY KEY)',
      'INSERT IGNORE INTO {t} (id) VALUES (1), (1), (2)',
      {
        sql: 'INSERT INTO {t} (id, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n)',
        params: [1, 5],
      },
      { sql: 'INSERT INTO {t} (id, n) VALUES (?, ?) ON DUPLICATE KEY UPDATE n = ?', params: [2, 1, 7] },
      'UPDATE {t} SET n = n + 1',
      'SELECT COUNT(*) AS c, MAX(n) AS m, MIN(id) AS lo FROM {t}',
      {
        sql: 'SELECT SUM(n) AS s, AVG(n) AS a FROM {t}',
        differs: 'SUM/AVG are DECIMAL: strings through mysql2',
      },
      'SELECT * FROM {t} WHERE id IN (1, 2) ORDER BY id DESC LIMIT 1',
      { sql: 'SELECT * FROM {t} WHERE n > ? ORDER BY id LIMIT ?', params: [0, 5] },
    ],
  },
  {
    name: 'modifiers InnoDB ignores, UPDATE IGNORE, FROM DUAL, GREATEST / LEAST',
    source: 'MariaDB KB "INSERT", "INSERT DELAYED", "UPDATE", "DELETE", "GREATEST", "DUAL"',
    steps: [
      `CREATE TABLE {t} ${PKUQ}`,
      "INSERT LOW_PRIORITY INTO {t} VALUES (1, 10, 'a')",
      "INSERT DELAYED INTO {t} VALUES (2, 20, 'b')",
      "INSERT HIGH_PRIORITY IGNORE INTO {t} VALUES (2, 21, 'c')",
      'UPDATE IGNORE {t} SET u = 10 WHERE id = 2',
      'UPDATE IGNORE {t} SET u = u + 100',
      "UPDATE LOW_PRIORITY {t} SET v = 'x' WHERE id = 1",
      'DELETE LOW_PRIORITY QUICK IGNORE FROM {t} WHERE id = 1',
      'SELECT * FROM {t} ORDER BY id',
      'SELECT 1 + 1 AS two FROM DUAL',
      'SELECT GREATEST(1, 5, 3) AS g, LEAST(4, 2) AS l, GREATEST(1, NULL) AS n',
      { sql: 'SELECT FOUND_ROWS() AS n', unsupported: true },
    ],
  },
  {
    name: "expressions are SQLite's (known differences)",
    source: 'docs/mysql.md "Differences from MariaDB"',
    steps: [
      { sql: 'SELECT 7 / 2 AS q', differs: 'integer division; MariaDB answers DECIMAL 3.5000' },
      { sql: "SELECT 'a' || 'b' AS s", differs: '|| is OR in MariaDB (0), concatenation in SQLite' },
      "SELECT CONCAT('a', 'b') AS s",
    ],
  },
  {
    name: 'syntax the simulator does not support fails with 1064, not something else',
    source: 'docs/mysql.md "SQL dialect supported"',
    steps: [
      `CREATE TABLE {t} ${T}`,
      `CREATE TABLE {u} ${T}`,
      "INSERT INTO {t} VALUES (1, 'a'), (2, 'b')",
      { sql: "UPDATE {t} JOIN {u} ON {t}.id = {u}.id SET {t}.v = 'x'", unsupported: true },
      { sql: 'DELETE {t} FROM {t} JOIN {u} ON {t}.id = {u}.id', unsupported: true },
      { sql: 'ALTER TABLE {u} ADD COLUMN w INT', unsupported: true },
      { sql: 'CREATE INDEX ix ON {u} (v)', unsupported: true },
      { sql: 'SELECT v INTO @x FROM {t} WHERE id = 1', unsupported: true },
      "UPDATE {t} SET v = 'y' ORDER BY id DESC LIMIT 1",
      'DELETE FROM {t} ORDER BY id LIMIT 1',
      'SELECT * FROM {t} ORDER BY id',
      'SELEC 1',
    ],
  },
];

const gate = await gateBackend({
  name: 'dialect differential: simulated node vs MariaDB 127.0.0.1:3306',
  ports: [3306],
  hint: MACHINE_SERVICE_HINT,
});

type Outcome =
  | { readonly rows: unknown[]; readonly affectedRows: number; readonly insertId: number }
  | { readonly errno: number; readonly sqlState: string; readonly message: string };

async function outcome(port: SqlPort, step: Step): Promise<Outcome> {
  try {
    const r = await port.query(step.sql, step.params ?? []);
    return { rows: r.rows, affectedRows: r.affectedRows, insertId: r.insertId ?? 0 };
  } catch (e) {
    if (!(e instanceof SqlError)) throw e;
    return { errno: e.errno, sqlState: e.sqlState, message: e.message };
  }
}

const bind = (step: Step | string, names: { t: string; u: string }): Step => {
  const s = typeof step === 'string' ? { sql: step } : step;
  return { ...s, sql: s.sql.replaceAll('{t}', names.t).replaceAll('{u}', names.u) };
};

async function simulated(steps: readonly Step[], replicas = 0): Promise<Outcome[]> {
  const sim = new Simulation({ seed: 70 });
  const cluster = new SimMysqlCluster({ replicas, database: 'test' }, sim);
  const p = sim.spawn(async () => {
    const out: Outcome[] = [];
    for (const step of steps) out.push(await outcome(cluster.primary, step));
    if (replicas > 0) {
      // The replica must hold what the primary holds, and its SQL thread must still run.
      await sim.clock.sleep(100);
      const last = steps.at(-1)!;
      out.push(await outcome(cluster.replicas[0]!, last));
      out.push({
        rows: [{ sqlErrno: cluster.replicas[0]!.status().Last_SQL_Errno }],
        affectedRows: 0,
        insertId: 0,
      });
    }
    return out;
  });
  await sim.run();
  return p;
}

// Random write sequences on a table with a generated PRIMARY KEY and two UNIQUE keys over a small
// domain, so that REPLACE and ODKU collide on one, two or three rows, and multi-row statements mix
// inserts with updates. Each statement's reply, the final rows, and the simulated replica's rows
// must equal the server's.
const FUZZ_TABLE =
  '(id INT AUTO_INCREMENT PRIMARY KEY, a INT, b INT, v INT, UNIQUE KEY ua (a), UNIQUE KEY ub (b))';
const small = fc.integer({ min: 1, max: 4 });
const tuple = fc.tuple(fc.option(small, { nil: null }), small, small, fc.integer({ min: 0, max: 2 }));
// One statement's tuples: all with explicit ids or all generated. (Mixed, a REPLACE whose explicit
// id collides with an id generated earlier in the same statement fails with 1062 on the server —
// write_record's "don't allow REPLACE to replace a row when an auto_increment column was used" —
// which the simulator does not reproduce; docs/mysql.md.)
const tuples = fc
  .tuple(fc.boolean(), fc.array(tuple, { minLength: 1, maxLength: 3 }))
  .map(([generated, rows]) => rows.map(([id, ...rest]) => [generated ? null : (id ?? 1), ...rest]));
const fuzzStatement: fc.Arbitrary<Step> = fc.oneof(
  tuples.map((rows) => ({
    sql: `REPLACE INTO {t} (id, a, b, v) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}`,
    params: rows.flat(),
  })),
  tuples.map((rows) => ({
    sql: `INSERT INTO {t} (id, a, b, v) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE v = VALUES(v)`,
    params: rows.flat(),
  })),
  tuples.map((rows) => ({
    sql: `INSERT IGNORE INTO {t} (id, a, b, v) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}`,
    params: rows.flat(),
  })),
  fc.tuple(small, fc.integer({ min: 0, max: 2 })).map(([a, v]) => ({
    sql: 'UPDATE {t} SET v = ? WHERE a = ?',
    params: [v, a],
  })),
  small.map((b) => ({ sql: 'DELETE FROM {t} WHERE b = ?', params: [b] })),
);

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  const pool = mysql.createPool({
    host: '127.0.0.1',
    port: 3306,
    user: 'root',
    database: 'test',
    connectionLimit: 1,
    dateStrings: true,
    supportBigNumbers: true,
  });
  const real = new Mysql2SqlPort(pool);
  const created: string[] = [];

  afterAll(async () => {
    for (const t of created) await real.query(`DROP TABLE IF EXISTS ${t}`);
    await real.end();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', { timeout: 30_000 }, async (_, c) => {
    const names = { t: uniqueName('hd_t'), u: uniqueName('hd_u') };
    created.push(names.t, names.u);
    const steps = c.steps.map((s) => bind(s, names));
    const theirs: Outcome[] = [];
    for (const step of steps) theirs.push(await outcome(real, step));
    const ours = await simulated(steps);
    if (process.env.HD_DUMP) {
      steps.forEach((step, i) => {
        if (JSON.stringify(ours[i]) !== JSON.stringify(theirs[i]))
          console.log(
            `DIFF ${step.sql} || real ${JSON.stringify(theirs[i])} || sim ${JSON.stringify(ours[i])}`,
          );
      });
    }
    steps.forEach((step, i) => {
      const label = `${c.name} — ${step.sql} (${c.source})`;
      const o = ours[i]!;
      if (step.unsupported) {
        expect('errno' in theirs[i]!, `${label}: MariaDB accepts it`).toBe(false);
        expect(o, label).toMatchObject({ errno: 1064, sqlState: '42000' });
        expect((o as { message: string }).message, label).toContain('(hasim: ');
      } else if (step.differs !== undefined) {
        expect(o, `${label}: known difference (${step.differs}) is gone; remove the mark`).not.toEqual(
          theirs[i],
        );
      } else if ('errno' in theirs[i]! && theirs[i]!.errno === 1064) {
        // The simulator's syntax error adds what it lacks; errno, SQLSTATE and prefix match.
        expect(o, label).toMatchObject({ errno: 1064, sqlState: '42000' });
        const prefix = (theirs[i] as { message: string }).message.replace(/ at line 1$/, '');
        expect((o as { message: string }).message.startsWith(prefix), label).toBe(true);
      } else {
        expect(o, label).toEqual(theirs[i]);
      }
    });
  });

  it('random REPLACE / ODKU / INSERT IGNORE / UPDATE / DELETE sequences, autocommit or in a transaction, answer and replicate alike (fast-check, seed 7070)', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      // inTxn: the statements run inside one BEGIN … COMMIT (the simulator's scratch-and-replay
      // path), where a failed statement rolls back alone and the transaction goes on.
      fc.asyncProperty(
        fc.array(fuzzStatement, { minLength: 1, maxLength: 12 }),
        fc.boolean(),
        async (statements, inTxn) => {
          const names = { t: uniqueName('hd_f'), u: uniqueName('hd_f') };
          created.push(names.t);
          const body = inTxn ? ['BEGIN', ...statements, 'COMMIT'] : statements;
          const steps = [`CREATE TABLE {t} ${FUZZ_TABLE}`, ...body, 'SELECT * FROM {t} ORDER BY id'].map(
            (st) => bind(st, names),
          );
          const theirs: Outcome[] = [];
          try {
            for (const step of steps) theirs.push(await outcome(real, step));
          } finally {
            await real.query(`DROP TABLE IF EXISTS ${names.t}`);
          }
          const ours = await simulated(steps, 1);
          expect(ours).toEqual([
            ...theirs,
            theirs.at(-1),
            { rows: [{ sqlErrno: 0 }], affectedRows: 0, insertId: 0 },
          ]);
        },
      ),
      // HD_SEED / HD_RUNS explore further; the committed run is seed 7070 × 40.
      { seed: Number(process.env.HD_SEED ?? 7070), numRuns: Number(process.env.HD_RUNS ?? 40) },
    );
  });
});
