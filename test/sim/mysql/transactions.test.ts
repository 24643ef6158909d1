import { describe, expect, it } from 'vitest';
import { Database } from '#sim/mysql/sqlite.ts';
import { OUTER_COMMIT_WRITES, Transactions } from '#sim/mysql/transactions.ts';
import { runCluster, sqlError } from './helpers.ts';

// The engine keeps its SQLite database inside one outer transaction, committed every
// OUTER_COMMIT_WRITES writes (sim/mysql/transactions.ts). Where those commits fall must not be
// visible: a failing statement undoes only itself, a rolled-back transaction only its own writes,
// and the replica ends with the primary's rows, across several outer commits.
describe("the engine's outer SQLite transaction", () => {
  it('failed statements and rolled-back transactions across outer commits undo only themselves (seed 1501)', async () => {
    const writes = OUTER_COMMIT_WRITES * 2 + 10;
    const { value } = await runCluster(1501, { replicas: 1 }, async (c) => {
      await c.primary.query(
        'CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(8) NOT NULL, UNIQUE KEY uv (v))',
      );
      const errors: number[] = [];
      for (let i = 0; i < writes; i++) {
        await c.primary.query('INSERT INTO t (v) VALUES (?)', [`v${i}`]);
        // Every 50th write is followed by a duplicate (1062) and a value too long (1406).
        if (i % 50 === 0) {
          errors.push((await sqlError(c.primary.query('INSERT INTO t (v) VALUES (?)', [`v${i}`]))).errno);
          errors.push((await sqlError(c.primary.query('INSERT INTO t (v) VALUES (?)', ['123456789']))).errno);
          const s = c.primary.session();
          await s.query('BEGIN');
          await s.query('INSERT INTO t (v) VALUES (?)', [`r${i}`]);
          await s.query('ROLLBACK');
        }
      }
      // The replica applies the rows after the primary committed them: wait (at most a simulated
      // minute) until it has applied the last write's GTID.
      const last = await c.primary.query('INSERT INTO t (v) VALUES (?)', ['last']);
      const waited = await c.replicas[0]!.query('SELECT MASTER_GTID_WAIT(?, ?)', [last.gtid!, 60]);
      const primary = (await c.primary.query('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v);
      const replica = (await c.replicas[0]!.query('SELECT v FROM t ORDER BY id')).rows.map((r) => r.v);
      return {
        errors,
        primary,
        waited: Object.values(waited.rows[0]!),
        replicaSame: JSON.stringify(replica) === JSON.stringify(primary),
      };
    });
    expect(value.primary).toEqual([...Array.from({ length: writes }, (_, i) => `v${i}`), 'last']);
    expect(value.waited).toEqual([0]);
    expect(value.replicaSame).toBe(true);
    expect(new Set(value.errors)).toEqual(new Set([1062, 1406]));
  });

  it('fails loudly when SQLite has rolled the outer transaction back', () => {
    const db = new Database(':memory:');
    const stmts = new Map<string, ReturnType<typeof db.prepare>>();
    const prepare = (sql: string) => stmts.get(sql) ?? stmts.set(sql, db.prepare(sql)).get(sql)!;
    const txns = new Transactions(db, prepare);
    db.exec('CREATE TABLE t (a INT)');
    db.exec('INSERT INTO t VALUES (1)');
    // What SQLite would do on its own after SQLITE_NOMEM, say: the outer transaction is gone.
    db.exec('ROLLBACK');
    for (let i = 0; i < OUTER_COMMIT_WRITES - 1; i++) txns.settle();
    expect(() => txns.settle()).toThrow(/rolled back the outer transaction/);
  });
});
