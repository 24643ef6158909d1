import { describe, expect, it } from 'vitest';
import { MysqlHistory } from '#sim/checkers/index.ts';
import { checkMysqlHistory, checkMysqlHistoryTrace, type MysqlOp } from '#sim/checkers/mysql-history.ts';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster } from '#sim/mysql/index.ts';
import { runCluster } from '../mysql/helpers.ts';

const w = (
  client: string,
  key: string,
  value: string,
  startMs: number,
  endMs: number,
  outcome: 'ok' | 'error' = 'ok',
): MysqlOp => ({
  kind: 'write',
  client,
  node: 'p',
  key,
  value,
  startMs,
  endMs,
  outcome,
});
const r = (client: string, key: string, value: string | null, startMs: number): MysqlOp => ({
  kind: 'read',
  client,
  node: 'r',
  key,
  value,
  startMs,
  endMs: startMs + 1,
});

describe('checkMysqlHistory on hand-written histories', () => {
  it('a clean history has no anomalies', () => {
    const ops = [
      w('a', 'k', 'a1', 0, 5),
      r('b', 'k', 'a1', 10),
      w('a', 'k', 'a2', 20, 25),
      r('a', 'k', 'a2', 30),
    ];
    expect(checkMysqlHistory(ops, new Map([['k', 'a2']]))).toEqual({
      lostWrites: [],
      staleReads: [],
      readYourWritesViolations: [],
    });
  });

  it('an acknowledged write missing from the final state is lost; an errored one is not', () => {
    const ops = [w('a', 'k', 'a1', 0, 5), w('a', 'k', 'a2', 10, 15), w('a', 'j', 'x', 10, 15, 'error')];
    const report = checkMysqlHistory(ops, new Map([['k', 'a1']]));
    expect(report.lostWrites.map((l) => l.write.value)).toEqual(['a2']);
  });

  it('concurrent writes may land in either order: not lost', () => {
    const ops = [w('a', 'k', 'a1', 0, 10), w('b', 'k', 'b1', 5, 15)];
    expect(checkMysqlHistory(ops, new Map([['k', 'a1']])).lostWrites).toEqual([]);
  });

  it('a read missing a write acknowledged before it began is stale; the same client makes it a RYW violation', () => {
    const ops = [
      w('a', 'k', 'a1', 0, 5),
      w('a', 'k', 'a2', 10, 15),
      r('a', 'k', 'a1', 20),
      r('b', 'k', null, 21),
      r('c', 'k', 'a1', 12),
    ];
    const report = checkMysqlHistory(ops, new Map([['k', 'a2']]));
    expect(report.staleReads.map((s) => [s.read.client, s.missed.value, s.lagMs])).toEqual([
      ['a', 'a2', 5],
      ['b', 'a2', 6],
    ]);
    expect(report.readYourWritesViolations.map((v) => v.read.client)).toEqual(['a']);
  });
});

describe('checkMysqlHistory on the simulated cluster (seed 201)', () => {
  it('finds the semi-sync-degrade losses and the lagging replica’s read-your-writes violation', async () => {
    const { value } = await runCluster(
      201,
      { replicas: 1, applyCostMs: 300, semiSync: { enabled: true, timeoutMs: 1_000 } },
      async (c, sim) => {
        const h = new MysqlHistory({ clock: sim.clock });
        const [p, rep] = [c.primary, c.replicas[0]!];
        await p.query('CREATE TABLE kv (k VARCHAR(10) PRIMARY KEY, v VARCHAR(20))');
        await sim.clock.sleep(1_000);
        const put = (client: string, k: string, v: string) =>
          h.write(client, p.name, k, v, () =>
            p.query('INSERT INTO kv VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [k, v]),
          );
        const get = (client: string, node = rep, k = 'a') =>
          h.read(
            client,
            node.name,
            k,
            async () =>
              ((await node.query('SELECT v FROM kv WHERE k = ?', [k])).rows[0]?.v as string) ?? null,
          );
        await put('c1', 'a', 'c1:1');
        await get('c1'); // the replica is still applying (300 ms): stale, and the writer's own write
        await sim.clock.sleep(1_000);
        await get('c2');
        rep.stopIoThread();
        await put('c1', 'b', 'c1:2'); // degrades after 1 s, returns OK
        await put('c1', 'a', 'c1:3');
        p.crash();
        await c.promote(rep);
        const final = new Map<string, string | null>();
        for (const k of ['a', 'b'])
          final.set(
            k,
            ((await c.primary.query('SELECT v FROM kv WHERE k = ?', [k])).rows[0]?.v as string) ?? null,
          );
        return checkMysqlHistory(h.ops, final);
      },
    );
    expect(value.lostWrites.map((l) => l.write.value)).toEqual(['c1:2', 'c1:3']);
    expect(value.staleReads.map((s) => [s.read.client, s.missed.value])).toEqual([['c1', 'c1:1']]);
    expect(value.readYourWritesViolations.length).toBe(1);
  });
});

describe('checkMysqlHistoryTrace: the checker judges the finished trace (seed 202)', () => {
  it('finds in the trace lines alone what it finds in the recorded history', async () => {
    const sim = new Simulation({ seed: 202, trace: { keepLines: 100_000 } });
    const c = new SimMysqlCluster(
      {
        replicas: 1,
        applyCostMs: 300,
        semiSync: { enabled: true, timeoutMs: 1_000 },
      },
      sim,
    );
    const h = new MysqlHistory({ clock: sim.clock, trace: sim.trace });
    const done = sim.spawn(async () => {
      const [p, rep] = [c.primary, c.replicas[0]!];
      await p.query('CREATE TABLE kv (k VARCHAR(10) PRIMARY KEY, v VARCHAR(20))');
      await sim.clock.sleep(1_000);
      const put = (client: string, k: string, v: string) =>
        h.write(client, p.name, k, v, () =>
          p.query('INSERT INTO kv VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [k, v]),
        );
      const get = (client: string, k = 'a') =>
        h.read(
          client,
          rep.name,
          k,
          async () => ((await rep.query('SELECT v FROM kv WHERE k = ?', [k])).rows[0]?.v as string) ?? null,
        );
      await put('c1', 'a', 'c1:1');
      await get('c1'); // stale: the replica is still applying
      rep.stopIoThread();
      await put('c1', 'b', 'c1:2'); // semi-sync degrades after 1 s, returns OK
      p.crash();
      await c.promote(rep);
      for (const k of ['a', 'b']) {
        h.recordFinal(
          k,
          ((await c.primary.query('SELECT v FROM kv WHERE k = ?', [k])).rows[0]?.v as string) ?? null,
        );
      }
    });
    await sim.run();
    await done;
    const fromHistory = checkMysqlHistory(h.ops, h.final);
    const fromTrace = checkMysqlHistoryTrace(sim.trace.lines);
    expect(fromHistory.lostWrites.map((l) => l.write.value)).toEqual(['c1:2']);
    expect(fromHistory.readYourWritesViolations.length).toBe(1);
    expect(fromTrace).toEqual(fromHistory);
  });
});
