import { describe, expect, it } from 'vitest';
import { MysqlHistory } from '#sim/checkers/index.ts';
import { traceEventProblem } from '#src/ports/trace-events.ts';
import { CREATE_T, runCluster } from './helpers.ts';

/** Why each `mysql` / `history` event of a trace does not fit the declared vocabulary. */
function vocabularyProblems(lines: readonly string[]): { kinds: Set<string>; problems: string[] } {
  const kinds = new Set<string>();
  const problems: string[] = [];
  for (const line of lines) {
    const { t: _t, c, k, ...fields } = JSON.parse(line) as Record<string, unknown>;
    if (typeof c !== 'string' || typeof k !== 'string') continue;
    if (!c.startsWith('mysql') && !c.startsWith('history')) continue;
    kinds.add(`${c} ${k}`);
    const problem = traceEventProblem(c, k, fields);
    if (problem !== undefined) problems.push(problem);
  }
  return { kinds, problems };
}

describe('the MySQL twin writes only declared trace events (seed 31)', () => {
  it('replication, a skipped SQL error, faults and a history: every event fits trace-events.ts', async () => {
    const options = { replicas: 1, semiSync: { enabled: true, timeoutMs: 500 }, linkLatencyMs: 2 };
    const { sim } = await runCluster(31, options, async (c, sim) => {
      const history = new MysqlHistory({ clock: sim.clock, trace: sim.trace });
      const replica = c.replicas[0]!;
      await c.primary.query(CREATE_T);
      await history.write('c1', 'ds-master', '1', 'a', () =>
        c.primary.query("INSERT INTO t VALUES (1, 'a')"),
      );
      await sim.clock.sleep(50);
      await history.read('c1', 'ds-slave-0', '1', async () => {
        const { rows } = await replica.query('SELECT v FROM t WHERE id = 1');
        return (rows[0]?.v as string | undefined) ?? null;
      });
      // A row written on the replica makes the primary's insert of the same key fail there (1062).
      await replica.query("INSERT INTO t VALUES (2, 'x')");
      await c.primary.query("INSERT INTO t VALUES (2, 'b')");
      await sim.clock.sleep(50);
      replica.stopIoThread();
      replica.skipNextGroup();
      replica.startSqlThread();
      replica.startIoThread();
      replica.setApplyCostMs(2);
      c.partition([replica]);
      await c.primary.query("INSERT INTO t VALUES (3, 'c')");
      c.repair();
      c.primary.purgeBinaryLogs();
      replica.crash();
      replica.restart();
      await sim.clock.sleep(100);
      history.recordFinal('1', 'a');
    });
    const { kinds, problems } = vocabularyProblems(sim.trace.lines);
    expect(problems).toEqual([]);
    for (const kind of ['sql-error', 'skip', 'semisync-status', 'io-thread', 'history op', 'history final']) {
      expect([...kinds].some((k) => k.endsWith(kind))).toBe(true);
    }
  });
});
