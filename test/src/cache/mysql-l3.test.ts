// MysqlL3 over a SqlPort: here the simulated MariaDB primary (sim/mysql); the same statements run on
// real MariaDB in test/integration/cache-l3.mariadb.test.ts and through the router in
// mysql-l3.router.test.ts.
import { describe, expect, it } from 'vitest';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import { MysqlL3 } from '#src/cache/mysql-l3.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { LoggedSql } from './helpers/logged-sql.ts';
import { inSim } from './helpers/stack.ts';

const SEED = 'mysql-l3';

describe('MysqlL3 on the simulated MariaDB primary', () => {
  it('misses are undefined; put then get round-trips JSON (unicode included)', async () => {
    const o = await inSim(SEED, async (sim) => {
      const l3 = new MysqlL3<unknown>(
        {},
        { sql: new SimMysqlCluster({ replicas: 0 }, sim).primary, clock: sim.clock },
      );
      await l3.createTable();
      const miss = await l3.get('h1');
      await l3.put('h1', { text: '你好 🚀', n: 1 });
      return [miss, await l3.get('h1')];
    });
    expect(o).toEqual([undefined, { text: '你好 🚀', n: 1 }]);
  });

  it('put updates the row in place and stamps updated_at with the clock', async () => {
    const o = await inSim(SEED, async (sim) => {
      const primary = new SimMysqlCluster({ replicas: 0 }, sim).primary;
      const l3 = new MysqlL3<string>({}, { sql: primary, clock: sim.clock });
      await l3.createTable();
      await sim.clock.sleep(1_000);
      await l3.put('h1', 'v1');
      await sim.clock.sleep(500);
      await l3.put('h1', 'v2');
      const { rows } = await primary.query('SELECT prompt_hash, updated_at FROM llm_cache');
      return { value: await l3.get('h1'), rows };
    });
    expect(o.value).toBe('v2');
    expect(o.rows.map((r) => [r.prompt_hash, Number(r.updated_at)])).toEqual([['h1', 1_500]]);
  });

  it('putMany writes every row in one statement; delete reports whether a row existed', async () => {
    const o = await inSim(SEED, async (sim) => {
      const sql = new LoggedSql(new SimMysqlCluster({ replicas: 0 }, sim).primary, sim.clock);
      const l3 = new MysqlL3<number>({}, { sql, clock: sim.clock });
      await l3.createTable();
      const before = sql.log.length;
      await l3.putMany([
        { hash: 'a', value: 1 },
        { hash: 'b', value: 2 },
      ]);
      const statements = sql.log.length - before;
      const values = [await l3.get('a'), await l3.get('b')];
      const deletes = [await l3.delete('a'), await l3.delete('a')];
      await l3.putMany([]);
      return { statements, values, deletes, total: sql.log.length - before };
    });
    // 1 write + 2 reads + 2 deletes; the empty putMany sent nothing.
    expect(o).toEqual({ statements: 1, values: [1, 2], deletes: [true, false], total: 5 });
  });

  it('rejects a table name that is not an identifier', () => {
    const sql = { query: async () => ({ rows: [], affectedRows: 0 }) };
    expect(() => new MysqlL3({ table: 'x; DROP' }, { sql, clock: new ManualClock() })).toThrow(
      /table must be an identifier/,
    );
  });
});
