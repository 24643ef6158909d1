// L3 over the machine's real MariaDB (127.0.0.1:3306, db `test`) through a SqlPort built on mysql2
// here in the test: the same MysqlL3 statements as on the better-sqlite3 stand-in. Unique table
// name, dropped at the end. Skipped with a visible reason when nothing listens; failed under CI=true.
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlL3 } from '#src/cache/mysql-l3.ts';
import type { SqlPort, SqlResult, SqlRow, SqlValue } from '#src/ports/sql.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { gateBackend, MACHINE_SERVICE_HINT, uniqueName } from './backends.ts';

const PORT = 3306;
const gate = await gateBackend({
  name: 'L3 on real MariaDB 3306',
  ports: [PORT],
  hint: MACHINE_SERVICE_HINT,
});

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  let pool: mysql.Pool;
  let l3: MysqlL3<unknown>;
  const table = uniqueName('hasim_llm_cache').replace(/[^A-Za-z0-9_]/g, '_');
  const clock = new ManualClock(1_700_000_000_000);

  beforeAll(async () => {
    pool = mysql.createPool({
      host: '127.0.0.1',
      port: PORT,
      user: 'root',
      database: 'test',
      connectionLimit: 2,
    });
    const sql: SqlPort = {
      async query<Row extends SqlRow = SqlRow>(text: string, params: readonly SqlValue[] = []) {
        const [result] = await pool.query(text, params as unknown[]);
        if (Array.isArray(result)) return { rows: result as Row[], affectedRows: 0 } satisfies SqlResult<Row>;
        return { rows: [], affectedRows: (result as mysql.ResultSetHeader).affectedRows };
      },
    };
    l3 = new MysqlL3({ table }, { sql, clock });
    await l3.createTable();
  });

  afterAll(async () => {
    if (!pool) return;
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('misses, writes, replaces, batches and deletes rows; unicode survives MEDIUMTEXT', async () => {
    expect(await l3.get('absent')).toBeUndefined();
    await l3.put('h1', { text: '你好 🚀' });
    expect(await l3.get('h1')).toEqual({ text: '你好 🚀' });
    clock.advance(5);
    await l3.putMany([
      { hash: 'h1', value: 'v2' },
      { hash: 'h2', value: [1, 2] },
    ]);
    expect([await l3.get('h1'), await l3.get('h2')]).toEqual(['v2', [1, 2]]);
    const [rows] = await pool.query(`SELECT updated_at FROM ${table} WHERE prompt_hash = 'h1'`);
    expect(Number((rows as { updated_at: number | string }[])[0]?.updated_at)).toBe(1_700_000_000_005);
    expect(await l3.delete('h1')).toBe(true);
    expect(await l3.delete('h1')).toBe(false);
  });
});
