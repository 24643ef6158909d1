import { describe, expect, it } from 'vitest';
import type { Simulation } from '#sim/kernel/simulation.ts';
import type { SimMysqlCluster } from '#sim/mysql/index.ts';
import { runCluster, sqlError } from './helpers.ts';

// The engine gives its tables their capture triggers only at the first write that needs row
// capture (sim/mysql/engine.ts #captureOn): one-row INSERTs and the replica's row apply run without
// them. These runs make that first write come after fast INSERTs, in each of the places it can
// happen, and check what the binlog carried: the replica must end with the primary's rows.
const CREATE = 'CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(5) NOT NULL, UNIQUE KEY uv (v))';

/** After the replica has had time to apply everything: t's rows on the primary, and whether the replica's are the same. */
async function rowsOnBoth(c: SimMysqlCluster, sim: Simulation) {
  await sim.clock.sleep(1000);
  const primary = (await c.primary.query('SELECT id, v FROM t ORDER BY id')).rows;
  const replica = (await c.replicas[0]!.query('SELECT id, v FROM t ORDER BY id')).rows;
  return { primary, replicaSame: JSON.stringify(replica) === JSON.stringify(primary) };
}

describe('capture triggers made at the first write that needs them', () => {
  it('first needed inside a transaction: its UPDATE and the later ones reach the replica (seed 1401)', async () => {
    const { value } = await runCluster(1401, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(CREATE);
      for (const v of ['a', 'b', 'c']) await c.primary.query('INSERT INTO t (v) VALUES (?)', [v]);
      const s = c.primary.session();
      await s.query('BEGIN');
      const inTxn = await s.query("UPDATE t SET v = 'x' WHERE id = 1");
      await s.query('COMMIT');
      const later = await c.primary.query("UPDATE t SET v = 'y' WHERE id = 2");
      await c.primary.query('DELETE FROM t WHERE id = 3');
      await c.primary.query("INSERT INTO t (v) VALUES ('d')");
      return { affected: [inTxn.affectedRows, later.affectedRows], ...(await rowsOnBoth(c, sim)) };
    });
    expect(value).toEqual({
      affected: [1, 1],
      primary: [
        { id: 1, v: 'x' },
        { id: 2, v: 'y' },
        { id: 4, v: 'd' },
      ],
      replicaSame: true,
    });
  });

  it('first needed by a fast INSERT that fails: the error names the row, the id is used up (seed 1402)', async () => {
    const { value } = await runCluster(1402, { replicas: 1 }, async (c, sim) => {
      await c.primary.query(CREATE);
      for (const v of ['a', 'b']) await c.primary.query('INSERT INTO t (v) VALUES (?)', [v]);
      const dup = await sqlError(c.primary.query("INSERT INTO t (v) VALUES ('a')"));
      const next = await c.primary.query("INSERT INTO t (v) VALUES ('c')");
      const upsert = await c.primary.query("INSERT INTO t (v) VALUES ('b') ON DUPLICATE KEY UPDATE v = 'bb'");
      const both = await rowsOnBoth(c, sim);
      return { dup: [dup.errno, dup.message], next: next.insertId, upsert: upsert.affectedRows, ...both };
    });
    // InnoDB draws id 3 for the failed row and never gives it back: the next row is 4.
    expect(value).toEqual({
      dup: [1062, "Duplicate entry 'a' for key 'uv'"],
      next: 4,
      upsert: 2,
      primary: [
        { id: 1, v: 'a' },
        { id: 2, v: 'bb' },
        { id: 4, v: 'c' },
      ],
      replicaSame: true,
    });
  });
});
