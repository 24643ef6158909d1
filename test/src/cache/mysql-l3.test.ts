import { describe, expect, it } from 'vitest';
import { MysqlL3 } from '../../../src/cache/mysql-l3.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { SqliteSql } from './helpers/sqlite-sql.ts';

describe('MysqlL3 over a SqlPort (better-sqlite3 stand-in)', () => {
  async function setup() {
    const clock = new ManualClock(1_000);
    const sql = new SqliteSql();
    const l3 = new MysqlL3<unknown>({ sql, clock });
    await l3.createTable();
    return { clock, sql, l3 };
  }

  it('misses are undefined; put then get round-trips JSON (unicode included)', async () => {
    const { l3 } = await setup();
    expect(await l3.get('h1')).toBeUndefined();
    await l3.put('h1', { text: '你好 🚀', n: 1 });
    expect(await l3.get('h1')).toEqual({ text: '你好 🚀', n: 1 });
  });

  it('put replaces the row and stamps updated_at with the clock', async () => {
    const { l3, sql, clock } = await setup();
    await l3.put('h1', 'v1');
    clock.advance(500);
    await l3.put('h1', 'v2');
    expect(await l3.get('h1')).toBe('v2');
    const rows = sql.db.prepare('SELECT prompt_hash, updated_at FROM llm_cache').all();
    expect(rows).toEqual([{ prompt_hash: 'h1', updated_at: 1_500 }]);
  });

  it('putMany writes every row in one statement; delete reports whether a row existed', async () => {
    const { l3, sql } = await setup();
    const before = sql.log.length;
    await l3.putMany([
      { hash: 'a', value: 1 },
      { hash: 'b', value: 2 },
    ]);
    expect(sql.log.length - before).toBe(1);
    expect([await l3.get('a'), await l3.get('b')]).toEqual([1, 2]);
    expect(await l3.delete('a')).toBe(true);
    expect(await l3.delete('a')).toBe(false);
    await l3.putMany([]);
    expect(sql.log.length - before).toBe(5); // 1 write + 2 reads + 2 deletes; the empty putMany sent nothing
  });

  it('rejects a table name that is not an identifier', () => {
    expect(() => new MysqlL3({ sql: new SqliteSql(), clock: new ManualClock(), table: 'x; DROP' })).toThrow(
      /table must be an identifier/,
    );
  });
});
