// A SqlPort over an in-memory better-sqlite3 database, standing in for the simulated MySQL
// (sim/mysql) in cache tests. Optional virtual latency per statement on an injected clock, and a
// statement log so tests can count how often L3 was reached.
import { createRequire } from 'node:module';
import type { Clock } from '../../../../src/ports/clock.ts';
import type { SqlPort, SqlResult, SqlRow, SqlValue } from '../../../../src/ports/sql.ts';

// better-sqlite3 ships no types and @types/better-sqlite3 is not installed: the few members used here.
interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (path: string) => SqliteDatabase;

export class SqliteSql implements SqlPort {
  readonly db = new Database(':memory:');
  /** Every statement run, in order. */
  readonly log: string[] = [];

  constructor(
    readonly clock?: Clock,
    /**
     * Virtual latency of each statement in ms (needs `clock`), or a function of the statement. The
     * statement executes when sent and its reply arrives after the latency, as over a network.
     */
    public latencyMs: number | ((sql: string) => number) = 0,
  ) {}

  /** How many logged statements start with `prefix` (case-insensitive), e.g. `'SELECT'`. */
  count(prefix: string): number {
    const p = prefix.toUpperCase();
    return this.log.filter((s) => s.toUpperCase().startsWith(p)).length;
  }

  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<SqlResult<Row>> {
    this.log.push(sql);
    const statement = this.db.prepare(sql);
    const args = params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    const result: SqlResult<Row> = statement.reader
      ? { rows: statement.all(...args) as Row[], affectedRows: 0 }
      : { rows: [], affectedRows: statement.run(...args).changes };
    const latencyMs = typeof this.latencyMs === 'function' ? this.latencyMs(sql) : this.latencyMs;
    if (latencyMs > 0 && this.clock) await this.clock.sleep(latencyMs);
    return result;
  }
}
