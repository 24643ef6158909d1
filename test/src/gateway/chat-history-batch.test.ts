import { describe, expect, it } from 'vitest';
import { runScenario } from '#sim/run.ts';
import { parseScenario } from '#sim/scenarios/load.ts';
import { ChatHistory, type WriteResult } from '#src/gateway/chat-history.ts';
import { SqlError, type SqlPort, type SqlResult, type SqlRow, type SqlValue } from '#src/ports/sql.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

// ChatHistory's group commit (`batchRows`): an INSERT per exchange while the table is idle; the
// exchanges that arrive while one is in flight go together as one multi-row INSERT, each answered
// with its own row's id when that statement is answered.

/** A SqlPort whose statements stay in flight until the test answers them. */
class HeldSql implements SqlPort {
  readonly statements: {
    sql: string;
    params: readonly SqlValue[];
    answer: (r: SqlResult | Error) => void;
  }[] = [];
  query<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult<Row>> {
    return new Promise((resolve, reject) => {
      this.statements.push({
        sql,
        params,
        answer: (r) => (r instanceof Error ? reject(r) : resolve(r as SqlResult<Row>)),
      });
    });
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const ok = (insertId: number): SqlResult => ({ rows: [], affectedRows: 1, insertId });

/** One table, so every user shares it. */
function history(batchRows: number) {
  const sql = new HeldSql();
  return { sql, h: new ChatHistory({ shardCount: 1, batchRows }, { sql, clock: new ManualClock() }) };
}

describe('ChatHistory batchRows', () => {
  it('1 (the default): one INSERT per exchange, all in flight at once', async () => {
    const { sql, h } = history(1);
    const writes = [1, 2, 3].map((i) => h.append(`u${i}`, 'p', 'a', i));
    await settle();
    expect(sql.statements.map((s) => s.sql)).toEqual(
      Array(3).fill('INSERT INTO chat_message_0 (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?)'),
    );
    sql.statements.forEach((s, i) => {
      s.answer(ok(10 + i));
    });
    expect(await Promise.all(writes)).toEqual(
      [10, 11, 12].map((seq) => ({ kind: 'acked', table: 'chat_message_0', seq })),
    );
  });

  it('N: the first goes alone, those that wait go as multi-row INSERTs of at most N rows', async () => {
    const { sql, h } = history(2);
    const writes: Promise<WriteResult>[] = [];
    writes.push(h.append('u1', 'p1', 'a1', 1));
    await settle();
    for (const i of [2, 3, 4]) writes.push(h.append(`u${i}`, `p${i}`, `a${i}`, i));
    await settle();
    expect(sql.statements).toHaveLength(1);
    expect(sql.statements[0]?.params).toEqual(['u1', 'p1', 'a1', 1]);
    sql.statements[0]?.answer(ok(7));
    await settle();
    expect(sql.statements).toHaveLength(2);
    expect(sql.statements[1]?.sql).toBe(
      'INSERT INTO chat_message_0 (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?), (?, ?, ?, ?)',
    );
    expect(sql.statements[1]?.params).toEqual(['u2', 'p2', 'a2', 2, 'u3', 'p3', 'a3', 3]);
    // A multi-row INSERT answers its first row's id; the rows have consecutive ids.
    sql.statements[1]?.answer(ok(20));
    await settle();
    expect(sql.statements).toHaveLength(3);
    expect(sql.statements[2]?.params).toEqual(['u4', 'p4', 'a4', 4]);
    sql.statements[2]?.answer(ok(22));
    expect((await Promise.all(writes)).map((w) => (w.kind === 'acked' ? w.seq : w.kind))).toEqual([
      7, 20, 21, 22,
    ]);
    // Idle again: the next exchange goes at once.
    void h.append('u5', 'p', 'a', 5);
    await settle();
    expect(sql.statements).toHaveLength(4);
  });

  it('a refused batch fails every exchange in it; a lost answer leaves each indeterminate', async () => {
    const { sql, h } = history(8);
    const first = h.append('u1', 'p', 'a', 1);
    await settle();
    const waiting = [h.append('u2', 'p', 'a', 2), h.append('u3', 'p', 'a', 3)];
    await settle();
    sql.statements[0]?.answer(new SqlError(2013, 'HY000', 'Lost connection to server during query'));
    expect(await first).toMatchObject({ kind: 'indeterminate' });
    await settle();
    sql.statements[1]?.answer(new SqlError(1146, '42S02', "Table 'hasim.chat_message_0' doesn't exist"));
    expect(await Promise.all(waiting)).toEqual(
      Array(2).fill({
        kind: 'failed',
        table: 'chat_message_0',
        error: "Table 'hasim.chat_message_0' doesn't exist",
      }),
    );
  });

  it('tables batch apart', async () => {
    const sql = new HeldSql();
    const h = new ChatHistory({ shardCount: 4, batchRows: 4 }, { sql, clock: new ManualClock() });
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'];
    const tables = new Set(users.map((u) => h.tableOf(u)));
    for (const u of users) void h.append(u, 'p', 'a', 0);
    await settle();
    // One statement in flight per table that has a write, never two.
    expect(sql.statements).toHaveLength(tables.size);
    expect(new Set(sql.statements.map((s) => s.sql.split(' ')[2]))).toEqual(tables);
  });

  it('refuses a batch size outside [1, 1000]', () => {
    for (const batchRows of [0, 1001, 2.5])
      expect(() => new ChatHistory({ batchRows }, { sql: new HeldSql(), clock: new ManualClock() })).toThrow(
        /batchRows must be an integer in \[1, 1000\]/,
      );
  });
});

describe('batchRows on the simulated MariaDB pair, under load', () => {
  // One history table at 1,500 requests/s: exchanges overlap the semi-sync commits, so they batch.
  const scenario = (batchRows: number) =>
    parseScenario(
      `kind: gateway
name: history-batch
seed: 3
variant: fixed
topology:
  instances: 2
  layers: [chat-history]
  mysql: { replicas: 1, shards: 1, semiSync: { waitPoint: AFTER_SYNC }, historyBatchRows: ${batchRows} }
  providers:
    - { name: primary, model: gpt-4o-mini, ttftMedianMs: 50, decodeTokensPerSecond: 2000, outputTokensMu: 3, outputTokensSigma: 0.3 }
workload:
  phases: [{ durationMs: 4s, arrivalRate: 1500 }]
  users: 50
expect:
  always: [no-acked-write-lost, read-your-writes]
`,
      'history-batch.yaml',
    );

  it('commits far fewer times than it acknowledges, loses nothing and keeps read-your-writes', async () => {
    const one = await runScenario(scenario(1), { seed: 3 });
    const batched = await runScenario(scenario(64), { seed: 3 });
    for (const run of [one, batched]) {
      expect(run.result.expectations.filter((x) => !x.ok)).toEqual([]);
      expect(run.result.expectations).toHaveLength(2);
    }
    const layers = (run: typeof one) =>
      (run.result.report as { layers: Record<string, Record<string, number>> }).layers;
    const acked = layers(batched)['chat-history']?.['write-acked'] ?? 0;
    expect(acked).toBeGreaterThan(5000);
    expect(layers(one).mysql?.['engine-commit']).toBe(layers(one)['chat-history']?.['write-acked']);
    expect(layers(batched).mysql?.['engine-commit']).toBeLessThan(acked / 2);
  }, 120_000);
});
