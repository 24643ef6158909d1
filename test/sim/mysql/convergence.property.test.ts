// Model-based property: whatever sequence of writes and replication faults (threads stopped and
// started, link partitions, slow apply), once the faults are healed every replica converges to the
// primary's rows and GTID position, and at every step applied ≤ received ≤ binlogged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster } from '#sim/mysql/index.ts';

type Cmd =
  | { kind: 'upsert'; id: number; v: number }
  | { kind: 'replace'; id: number; v: number }
  | { kind: 'delete'; id: number }
  | { kind: 'txn'; ids: number[] }
  | { kind: 'thread'; replica: number; io: boolean; start: boolean }
  | { kind: 'partition'; replica: number }
  | { kind: 'repair' }
  | { kind: 'sleep'; ms: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    kind: fc.constant('upsert' as const),
    id: fc.integer({ min: 1, max: 6 }),
    v: fc.integer({ min: 0, max: 99 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 6 }) }),
  // REPLACE logs an Update_rows (or Write_rows) image that replicas must apply like any other.
  fc.record({
    kind: fc.constant('replace' as const),
    id: fc.integer({ min: 1, max: 6 }),
    v: fc.integer({ min: 0, max: 99 }),
  }),
  fc.record({
    kind: fc.constant('txn' as const),
    ids: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('thread' as const),
    replica: fc.integer({ min: 0, max: 1 }),
    io: fc.boolean(),
    start: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('partition' as const), replica: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant('repair' as const) }),
  fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
);

const seqOf = (pos: string) => (pos === '' ? 0 : Number(pos.split('-')[2]));

async function run(cmds: Cmd[], semi: boolean) {
  const sim = new Simulation({ seed: 'convergence' });
  const c = new SimMysqlCluster(
    {
      replicas: 2,
      applyCostMs: 7,
      linkLatencyMs: 3,
      slaveNetTimeoutMs: 2_000,
      masterConnectRetryMs: 500,
      ...(semi ? { semiSync: { enabled: true, waitPoint: 'AFTER_SYNC' as const, timeoutMs: 300 } } : {}),
    },
    sim,
  );
  const violations: string[] = [];
  const p = sim.spawn(async () => {
    const db = c.primary;
    await db.query('CREATE TABLE t (id INT PRIMARY KEY, v INT)');
    for (const k of cmds) {
      switch (k.kind) {
        case 'upsert':
          await db.query('INSERT INTO t VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [k.id, k.v]);
          break;
        case 'delete':
          await db.query('DELETE FROM t WHERE id = ?', [k.id]);
          break;
        case 'replace':
          await db.query('REPLACE INTO t VALUES (?, ?)', [k.id, k.v]);
          break;
        case 'txn': {
          const s = db.session();
          await s.query('BEGIN');
          for (const id of k.ids)
            await s.query('INSERT INTO t VALUES (?, 0) ON DUPLICATE KEY UPDATE v = v + 1', [id]);
          await s.query('COMMIT');
          break;
        }
        case 'thread': {
          const r = c.replicas[k.replica]!;
          if (k.io) k.start ? r.startIoThread() : r.stopIoThread();
          else k.start ? r.startSqlThread() : r.stopSqlThread();
          break;
        }
        case 'partition':
          c.partition([c.replicas[k.replica]!]);
          break;
        case 'repair':
          c.repair();
          break;
        case 'sleep':
          await sim.clock.sleep(k.ms);
          break;
      }
      const top = seqOf(db.status().gtid_binlog_pos);
      for (const r of c.replicas) {
        const s = r.status();
        const [applied, received] = [seqOf(s.gtid_slave_pos), seqOf(s.Gtid_IO_Pos)];
        if (!(applied <= top && received <= top))
          violations.push(`${r.name}: applied ${applied} received ${received} > binlog ${top}`);
      }
    }
    c.repair();
    for (const r of c.replicas) {
      r.startSqlThread();
      r.startIoThread();
    }
    await sim.clock.sleep(20_000);
    const want = (await db.query('SELECT id, v FROM t ORDER BY id')).rows;
    const got = [];
    for (const r of c.replicas)
      got.push({ rows: (await r.query('SELECT id, v FROM t ORDER BY id')).rows, st: r.status() });
    return { want, got, pos: db.status().gtid_binlog_pos };
  });
  await sim.run();
  return { ...(await p), violations };
}

describe('replicas converge after any healed fault sequence (fast-check, seed 4242)', () => {
  for (const semi of [false, true]) {
    it(`${semi ? 'semi-sync AFTER_SYNC' : 'async'}: same rows, same GTID position, applied ≤ received ≤ binlogged`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(cmd, { maxLength: 25 }), async (cmds) => {
          const out = await run(cmds, semi);
          expect(out.violations).toEqual([]);
          for (const g of out.got) {
            expect(g.rows).toEqual(out.want);
            expect(g.st).toMatchObject({
              gtid_slave_pos: out.pos,
              Slave_IO_Running: 'Yes',
              Slave_SQL_Running: 'Yes',
              Relay_Log_Groups: 0,
            });
          }
        }),
        { seed: 4242, numRuns: 40 },
      );
    });
  }
});
