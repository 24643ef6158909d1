/**
 * A MySQL/MariaDB connection as components use it: one statement at a time, positional `?`
 * parameters. Implemented by the simulated replicating cluster (sim/mysql/) and over mysql2 pools
 * (src/adapters/). The router (src/router/) is itself a `SqlPort` over several of these.
 */
export interface SqlPort {
  /** Runs one statement. Rejects with `SqlError` carrying the server's error number. */
  query<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<SqlResult<Row>>;
  /**
   * Optional: opens a connection of its own (its own transaction, LAST_INSERT_ID and session
   * variables), as a JDBC `DataSource.getConnection()` does. A port without it is one shared
   * connection: callers that need their own transactions must not share it.
   */
  session?(): SqlSession;
}

/** A connection of its own, from {@link SqlPort.session}. Statements on it should not overlap. */
export interface SqlSession extends SqlPort {
  /**
   * Gives the connection back (to its pool); a transaction still open is rolled back, as closing a
   * real connection does. Absent when there is nothing to give back (a simulated connection).
   */
  release?(): Promise<void>;
}

export type SqlValue = string | number | bigint | boolean | null | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

export interface SqlResult<Row extends SqlRow = SqlRow> {
  /** Result rows for a query that returns rows; empty otherwise. */
  readonly rows: Row[];
  /** Rows changed by a write; 0 for reads. */
  readonly affectedRows: number;
  /** AUTO_INCREMENT value of an insert, when there is one. */
  readonly insertId?: number;
  /** MariaDB GTID (`domain-server-seq`) of the transaction a write committed, when known. */
  readonly gtid?: string;
}

/** A server error with MySQL's error number and SQLSTATE (e.g. 1062 / '23000' duplicate key). */
export class SqlError extends Error {
  override readonly name = 'SqlError';
  constructor(
    readonly errno: number,
    readonly sqlState: string,
    message: string,
  ) {
    super(message);
  }
}
