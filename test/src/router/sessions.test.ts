// Each RouterSession has its own backend connection per data source (ShardingSphere's
// DatabaseConnectionManager: physical connections are cached per logical connection and data source).
// Regression for the review finding A1: sessions used to share one connection per data source, so one
// session's ROLLBACK threw away another session's acknowledged autocommit write.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import type { SqlPort, SqlResult, SqlRow, SqlSession, SqlValue } from '#src/ports/sql.ts';
import { ReadWriteRouter } from '#src/router/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { NamedPort } from './fake-sql.ts';

const RULE = `rules:
  readwrite-splitting:
    data-sources:
      prd_ds:
        writeDataSourceName: ds-master
        readDataSourceNames: [ds-slave-0]
        transactionalReadQueryStrategy: PRIMARY
        loadBalancerName: round_robin
    loadBalancers:
      round_robin:
        type: ROUND_ROBIN
`;

/** Runs `body` against a router over a simulated primary + 1 replica; returns what it returns. */
async function onCluster<T>(
  seed: number,
  body: (router: ReadWriteRouter, cluster: SimMysqlCluster) => Promise<T>,
): Promise<T> {
  const sim = new Simulation({ seed });
  const cluster = new SimMysqlCluster({ replicas: 1 }, sim);
  const router = new ReadWriteRouter(RULE, {
    dataSources: new Map(cluster.nodes.map((n) => [n.name, n] as const)),
    clock: sim.clock,
    random: sim.random.fork('router'),
  });
  const p = sim.spawn(async () => {
    await cluster.primary.query('CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v VARCHAR(10) NOT NULL)');
    return body(router, cluster);
  });
  await sim.run();
  return p;
}

const ids = async (port: SqlPort) =>
  (await port.query('SELECT id FROM t ORDER BY id')).rows.map((r) => Number(r.id));

describe('sessions on the simulated cluster have their own connections (seeded)', () => {
  it("seed 31: A's ROLLBACK keeps B's acknowledged autocommit insert", async () => {
    const rows = await onCluster(31, async (router, cluster) => {
      const a = router.openSession();
      const b = router.openSession();
      await a.query('BEGIN');
      await a.query("INSERT INTO t VALUES (1, 'a')");
      const ack = await b.query("INSERT INTO t VALUES (2, 'b')");
      expect(ack.affectedRows).toBe(1);
      expect(ack.gtid).toBe('0-1-2'); // the session connection reports the commit's GTID (CREATE was 0-1-1)
      expect(b.lastWriteGtid).toBe('0-1-2');
      await a.query('ROLLBACK');
      return ids(cluster.primary);
    });
    expect(rows).toEqual([2]); // before the fix: [] (B's row rolled back with A's transaction)
  });

  it('seed 32: interleaved transactions commit and roll back independently', async () => {
    const rows = await onCluster(32, async (router, cluster) => {
      const a = router.openSession();
      const b = router.openSession();
      await a.query('BEGIN');
      await b.query('BEGIN'); // before the fix: an implicit commit of A's transaction
      await a.query("INSERT INTO t VALUES (1, 'a')");
      await b.query("INSERT INTO t VALUES (2, 'b')");
      // Each sees its own uncommitted row only (PRIMARY: in-transaction reads go to ds-master).
      const seenByA = await ids(a);
      const seenByB = await ids(b);
      await a.query('COMMIT');
      await b.query('ROLLBACK');
      return { seenByA, seenByB, committed: await ids(cluster.primary) };
    });
    expect(rows).toEqual({ seenByA: [1], seenByB: [2], committed: [1] });
  });

  it('seed 33: LAST_INSERT_ID() is per session', async () => {
    const got = await onCluster(33, async (router) => {
      const a = router.openSession();
      const b = router.openSession();
      await a.query("INSERT INTO t (v) VALUES ('a')");
      await b.query("INSERT INTO t (v) VALUES ('b')");
      const last = async (s: SqlPort) =>
        Number(Object.values((await s.query('SELECT LAST_INSERT_ID()')).rows[0]!)[0]);
      return [await last(a), await last(b)];
    });
    expect(got).toEqual([1, 2]);
  });

  it('seed 34: a closed session rejects statements; its open transaction is gone', async () => {
    const out = await onCluster(34, async (router, cluster) => {
      const a = router.openSession();
      await a.query('BEGIN');
      await a.query("INSERT INTO t VALUES (1, 'a')");
      await a.close();
      const after = await a.query('SELECT 1').then(
        () => 'ran',
        (e: Error) => e.message,
      );
      return { after, rows: await ids(cluster.primary), inTransaction: a.inTransaction };
    });
    expect(out).toEqual({ after: 'RouterSession s1: query after close()', rows: [], inTransaction: false });
  });
});

/** A port that hands out counted sessions, each answering with its connection id. */
class PooledPort implements SqlPort {
  opened = 0;
  released: number[] = [];
  constructor(readonly name: string) {}
  async query<Row extends SqlRow = SqlRow>(): Promise<SqlResult<Row>> {
    return { rows: [{ conn: `${this.name}#shared` } as unknown as Row], affectedRows: 0 };
  }
  session(): SqlSession {
    const id = ++this.opened;
    return {
      query: async <Row extends SqlRow = SqlRow>(_sql: string, _params?: readonly SqlValue[]) => ({
        rows: [{ conn: `${this.name}#${id}` } as unknown as Row],
        affectedRows: 0,
      }),
      release: async () => {
        this.released.push(id);
      },
    };
  }
}

describe('connection lifecycle', () => {
  const build = (replica: SqlPort) => {
    const master = new PooledPort('ds-master');
    const router = new ReadWriteRouter(RULE, {
      dataSources: new Map<string, SqlPort>([
        ['ds-master', master],
        ['ds-slave-0', replica],
      ]),
      clock: new ManualClock(),
      random: { next: () => 0, fork: () => ({}) as never, seedPath: 'unused' },
      probes: new Map([
        ['ds-master', { status: async () => ({}) as never, waitForGtid: async () => true }],
        ['ds-slave-0', { status: async () => ({}) as never, waitForGtid: async () => true }],
      ]),
    });
    return { master, router };
  };
  const conn = async (s: SqlPort, sql: string) => String((await s.query(sql)).rows[0]?.conn);

  it('opens one connection per data source at first use, keeps it, and releases each once on close', async () => {
    const replica = new PooledPort('ds-slave-0');
    const { master, router } = build(replica);
    const a = router.openSession();
    const b = router.openSession();
    expect(master.opened).toBe(0); // lazily
    expect(await conn(a, 'UPDATE t SET v = 1')).toBe('ds-master#1');
    expect(await conn(b, 'UPDATE t SET v = 1')).toBe('ds-master#2');
    expect(await conn(a, 'SELECT 1')).toBe('ds-slave-0#1');
    expect(await conn(a, 'DELETE FROM t')).toBe('ds-master#1');
    expect(await conn(router, 'DELETE FROM t')).toBe('ds-master#shared'); // the default session
    await a.close();
    await a.close();
    expect(master.released).toEqual([1]);
    expect(replica.released).toEqual([1]);
    await expect(router.defaultSession.close()).rejects.toThrow(/default session cannot be closed/);
  });

  it('a data source without session() is shared by every session, as documented', async () => {
    const replica = new NamedPort('ds-slave-0', 2);
    const { router } = build(replica);
    const a = router.openSession();
    const b = router.openSession();
    await a.query('SELECT 1');
    await b.query('SELECT 2');
    await a.close();
    expect(replica.statements).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('router.session() opens a session, so a router can stand where a pool does', async () => {
    const { master, router } = build(new PooledPort('ds-slave-0'));
    const s: SqlSession = router.session();
    expect(await conn(s, 'UPDATE t SET v = 1')).toBe('ds-master#1');
    await s.release?.();
    expect(master.released).toEqual([1]);
  });
});
