import { describe, expect, it } from 'vitest';
import { runCluster } from './helpers.ts';

// Reads build their row objects from better-sqlite3's raw rows (sim/mysql/read-result.ts): the
// rows must be the ones better-sqlite3 would have built, keys in the same order.
describe('SELECT rows built from raw rows', () => {
  it('a repeated name keeps its first place and its last value; index-like names come first (seed 1301)', async () => {
    const { value } = await runCluster(1301, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), p DECIMAL(6,2), b BIGINT)');
      await c.primary.query("INSERT INTO t VALUES (1, 'a', 1.5, 9007199254740993), (2, NULL, NULL, 7)");
      return (await c.primary.query('SELECT v AS x, id, b, p AS `10`, id AS x, 3 AS `0` FROM t ORDER BY id'))
        .rows;
    });
    expect(value.map((r) => Object.keys(r))).toEqual([
      ['0', '10', 'x', 'id', 'b'],
      ['0', '10', 'x', 'id', 'b'],
    ]);
    expect(value).toEqual([
      { x: 1, id: 1, b: '9007199254740993', '10': '1.50', '0': 3 },
      { x: 2, id: 2, b: 7, '10': null, '0': 3 },
    ]);
  });

  it('a one-column read (plucked values) answers as a row of several columns would (seed 1302)', async () => {
    const { value } = await runCluster(1302, { replicas: 0 }, async (c) => {
      await c.primary.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), p DECIMAL(6,2), b BIGINT)');
      await c.primary.query("INSERT INTO t VALUES (1, 'a', 1.5, 9007199254740993), (2, NULL, NULL, 7)");
      const one = async (column: string) =>
        (await c.primary.query(`SELECT ${column} FROM t ORDER BY id`)).rows;
      const both = (await c.primary.query('SELECT id, v, p, b, id AS n FROM t ORDER BY id')).rows;
      return { id: await one('id'), v: await one('v'), p: await one('p'), b: await one('b'), both };
    });
    for (const column of ['id', 'v', 'p', 'b'] as const)
      expect(value[column]).toEqual(value.both.map((row) => ({ [column]: row[column] })));
    expect(value.b).toEqual([{ b: '9007199254740993' }, { b: 7 }]);
    expect(value.p).toEqual([{ p: '1.50' }, { p: null }]);
  });
});
