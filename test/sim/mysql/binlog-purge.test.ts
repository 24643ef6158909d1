import { describe, expect, it } from 'vitest';
import type { SimMysqlNode } from '../../../sim/mysql/node.ts';
import { CREATE_T, runCluster } from './helpers.ts';

// The automatic binlog purge (binlogRetainGroups): a long run holds a bounded binlog tail.
describe('automatic binlog purge (binlogRetainGroups)', () => {
  it('drops old groups every replica was sent; positions stay absolute; replicas converge (seed 131)', async () => {
    const { value } = await runCluster(131, { replicas: 1, binlogRetainGroups: 100 }, async (c, sim) => {
      await c.primary.query(CREATE_T);
      for (let i = 1; i <= 5_000; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
      // The SQL thread applies a group per ms (applyCostMs 1): 5 s to catch up.
      await sim.clock.sleep(10_000);
      const r = c.replicas[0]!;
      const count = async (n: SimMysqlNode) => (await n.query('SELECT COUNT(*) AS n FROM t')).rows[0]!.n;
      return {
        primary: { length: c.primary.binlog.length, first: c.primary.binlog.first },
        replica: { length: r.binlog.length, first: r.binlog.first },
        last: c.primary.binlog.at(-1)?.gtid.seq,
        held: c.primary.binlog.slice(0).length,
        status: r.status(),
        counts: [await count(c.primary), await count(r)],
      };
    });
    expect(value.primary.length).toBe(5_001);
    expect(value.primary.first).toBeGreaterThan(4_000);
    expect(value.replica.first).toBeGreaterThan(4_000);
    expect(value.held).toBe(value.primary.length - value.primary.first);
    expect(value.last).toBe(5_001);
    expect(value.status).toMatchObject({ gtid_slave_pos: '0-1-5001', trueLagMs: 0, binlogGroups: 5_001 });
    expect(value.counts).toEqual([5_000, 5_000]);
  });

  it('a replica away while the tail moved past its position gets 1236 on reconnect (seed 132)', async () => {
    const { value } = await runCluster(132, { replicas: 1, binlogRetainGroups: 100 }, async (c, sim) => {
      const r = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await sim.clock.sleep(10);
      r.stopIoThread();
      for (let i = 1; i <= 5_000; i++) await c.primary.query('INSERT INTO t VALUES (?, ?)', [i, 'x']);
      r.startIoThread();
      await sim.clock.sleep(1_000);
      return r.status();
    });
    expect(value).toMatchObject({ Slave_IO_Running: 'No', Last_IO_Errno: 1236, gtid_slave_pos: '0-1-1' });
    expect(value.Last_IO_Error).toContain('required binlog files have been purged');
  });
});
