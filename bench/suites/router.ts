import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { SqlPort, SqlResult, SqlRow, SqlValue } from '../../src/ports/sql.ts';
import { ARTICLE_READWRITE_SPLITTING_YAML, ReadWriteRouter } from '../../src/router/index.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// Router overhead per statement: the same statements sent through ReadWriteRouter (the article's
// rule: ds-master + ds-slave-0/1, ROUND_ROBIN) and straight to the in-memory data source it wraps.
// The data source answers from memory at once, so the difference is the router's own cost
// (classification, routing, one extra await). Overhead per statement = 1/ours - 1/peer.
const N = 200_000;

const READ_RESULT: SqlResult = { rows: [{ id: 1, v: 'x' }], affectedRows: 0 };
const WRITE_RESULT: SqlResult = { rows: [], affectedRows: 1, gtid: '0-1-1' };
class MemoryPort implements SqlPort {
  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    _params?: readonly SqlValue[],
  ): Promise<SqlResult<Row>> {
    return (sql.charCodeAt(0) === 83 /* S */ ? READ_RESULT : WRITE_RESULT) as SqlResult<Row>;
  }
}
const clock: Clock = {
  now: () => 0,
  sleep: () => Promise.resolve(),
  schedule: () => ({ cancel() {} }),
};
const READ = 'SELECT id, v FROM chat_history WHERE user_id = ? ORDER BY id DESC LIMIT 20';
const WRITE = 'INSERT INTO chat_history (user_id, prompt, answer) VALUES (?, ?, ?)';

function router(): ReadWriteRouter {
  const port = new MemoryPort();
  return new ReadWriteRouter(ARTICLE_READWRITE_SPLITTING_YAML, {
    dataSources: new Map([
      ['ds-master', port],
      ['ds-slave-0', port],
      ['ds-slave-1', port],
    ]),
    clock,
    random: new SeededRandom('bench-router'),
  });
}

async function run(port: SqlPort, writeEvery: number): Promise<Measurement> {
  const params = [42, 'p', 'a'];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await port.query(i % writeEvery === 0 ? WRITE : READ, params);
  return { ops: N, ms: performance.now() - t0 };
}

export const cases: BenchCase[] = [
  {
    name: `router: autocommit reads/s through ReadWriteRouter vs the data source directly (${N.toLocaleString('en')} sequential)`,
    unit: 'statements/s',
    ours: { label: 'ReadWriteRouter (ROUND_ROBIN)', run: () => run(router(), Number.POSITIVE_INFINITY) },
    peer: { label: 'in-memory SqlPort, direct', run: () => run(new MemoryPort(), Number.POSITIVE_INFINITY) },
  },
  {
    name: `router: 1 write in 5 statements through ReadWriteRouter vs directly (${N.toLocaleString('en')} sequential)`,
    unit: 'statements/s',
    ours: { label: 'ReadWriteRouter (ROUND_ROBIN)', run: () => run(router(), 5) },
    peer: { label: 'in-memory SqlPort, direct', run: () => run(new MemoryPort(), 5) },
  },
];
