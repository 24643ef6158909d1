// A SqlPort wrapper for cache tests: logs every statement (so tests can count how often L3 was
// reached) and can add a reply latency per statement on the clock. The statement runs on the inner
// port when sent and its reply arrives `latencyMs` later, as over a network.
import type { Clock } from '#src/ports/clock.ts';
import type { SqlPort, SqlResult, SqlRow, SqlValue } from '#src/ports/sql.ts';

export class LoggedSql implements SqlPort {
  /** Every statement run, in order. */
  readonly log: string[] = [];

  constructor(
    readonly inner: SqlPort,
    readonly clock: Clock,
    /** Reply latency in ms, or a function of the statement. @defaultValue 0 */
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
    const result = await this.inner.query<Row>(sql, params);
    const latencyMs = typeof this.latencyMs === 'function' ? this.latencyMs(sql) : this.latencyMs;
    if (latencyMs > 0) await this.clock.sleep(latencyMs);
    return result;
  }
}
