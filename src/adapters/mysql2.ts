// The real MariaDB/MySQL SqlPort: a mysql2/promise pool behind the port, so the router and the
// components run unchanged against real servers. The one driver-specific trick is read-your-writes
// support: with `session_track_system_variables='last_gtid'` on every pooled connection, MariaDB
// returns the GTID of each commit in the OK packet and mysql2 exposes it as
// `result.stateChanges.systemVariables.last_gtid` (research/mysql.md §4.4, verified here on 10.11:
// `{"affectedRows":1,...,"stateChanges":{"systemVariables":{"last_gtid":"0-1-8"}}}`), no extra round trip.

import type { Pool, PoolConnection, PoolOptions, ResultSetHeader } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import { SqlError, type SqlPort, type SqlResult, type SqlRow, type SqlValue } from '../ports/sql.ts';

/** The session setting that makes MariaDB report `last_gtid` in OK packets. */
export const TRACK_LAST_GTID_SQL = "SET SESSION session_track_system_variables='last_gtid'";

const BEGIN_RE = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
const END_RE = /^\s*(COMMIT|ROLLBACK)\s*(WORK)?\s*;?\s*$/i;

/**
 * A `SqlPort` over a mysql2/promise pool. Autocommit statements take any pooled connection. A
 * transaction (`BEGIN` / `START TRANSACTION` ... `COMMIT` / `ROLLBACK`) pins one connection until it
 * ends, so the port behaves as one logical session for transactions: do not interleave another
 * caller's statements into a transaction on the same port. Server errors become `SqlError(errno,
 * sqlState, message)`; client-side failures (connection refused, timeouts) are rethrown as they are.
 */
export class Mysql2SqlPort implements SqlPort {
  private pinned: PoolConnection | undefined;

  /** Wraps an existing pool; call {@link trackLastGtid} on it (or use {@link Mysql2SqlPort.create}) for `gtid`. */
  constructor(readonly pool: Pool) {}

  /**
   * Creates the pool with the settings the port relies on: `dateStrings` (no Date objects in rows),
   * `supportBigNumbers` (BIGINT beyond 2^53 as strings) and `last_gtid` tracking on every connection.
   */
  static create(options: PoolOptions): Mysql2SqlPort {
    const pool = mysql.createPool({ dateStrings: true, supportBigNumbers: true, ...options });
    trackLastGtid(pool);
    return new Mysql2SqlPort(pool);
  }

  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<SqlResult<Row>> {
    const begins = !this.pinned && BEGIN_RE.test(sql);
    if (begins) this.pinned = await this.pool.getConnection();
    const target = this.pinned ?? this.pool;
    try {
      const [result] = await target.query(sql, params as unknown[] | undefined);
      return toSqlResult<Row>(result);
    } catch (err) {
      if (begins) this.release();
      throw toSqlError(err);
    } finally {
      if (!begins && this.pinned && END_RE.test(sql)) this.release();
    }
  }

  /** Closes the pool (and any pinned connection). */
  async end(): Promise<void> {
    this.release();
    await this.pool.end();
  }

  private release(): void {
    this.pinned?.release();
    this.pinned = undefined;
  }
}

/** Makes every new connection of `pool` report `last_gtid` in its OK packets. */
export function trackLastGtid(pool: Pool): void {
  // The promise pool re-emits the core pool's 'connection' event with the core (callback) connection;
  // mysql2 queues commands per connection, so the SET runs before the first statement a caller sends.
  pool.on('connection', (conn) => {
    (conn as unknown as { query(sql: string, cb: (err: unknown) => void): void }).query(
      TRACK_LAST_GTID_SQL,
      () => {},
    );
  });
}

function toSqlResult<Row extends SqlRow>(result: unknown): SqlResult<Row> {
  if (Array.isArray(result)) {
    return { rows: result.map((r) => ({ ...(r as object) }) as Row), affectedRows: 0 };
  }
  const header = result as ResultSetHeader & {
    stateChanges?: { systemVariables?: Record<string, string> } | null;
  };
  const gtid = header.stateChanges?.systemVariables?.last_gtid;
  return {
    rows: [],
    affectedRows: header.affectedRows ?? 0,
    ...(header.insertId ? { insertId: Number(header.insertId) } : {}),
    ...(gtid ? { gtid } : {}),
  };
}

function toSqlError(err: unknown): unknown {
  const e = err as { errno?: unknown; sqlState?: unknown; sqlMessage?: unknown; message?: unknown };
  if (typeof e?.errno === 'number' && typeof e.sqlState === 'string') {
    return new SqlError(e.errno, e.sqlState, String(e.sqlMessage ?? e.message));
  }
  return err;
}

/** Where the project's MariaDB pair listens (scripts/backends.sh). */
export interface MariaDbPairOptions {
  /** @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** @defaultValue 3307 */
  readonly primaryPort?: number;
  /** @defaultValue 3308 */
  readonly replicaPort?: number;
  /** @defaultValue 'hasim' */
  readonly database?: string;
  /** @defaultValue 'root' */
  readonly user?: string;
  /** @defaultValue '' */
  readonly password?: string;
  /** Data-source names for the router, write first. @defaultValue ['ds-master', 'ds-slave-0'] */
  readonly names?: readonly [string, string];
  /** Connections per pool. @defaultValue 4 */
  readonly connectionLimit?: number;
}

/** The router's data sources over the real primary + replica pair, and a way to close them. */
export interface MariaDbPair {
  readonly primary: Mysql2SqlPort;
  readonly replica: Mysql2SqlPort;
  /** `names[0]` -> primary, `names[1]` -> replica, ready for `ReadWriteRouter`'s `dataSources`. */
  readonly dataSources: ReadonlyMap<string, SqlPort>;
  /** Closes both pools. */
  end(): Promise<void>;
}

/** Builds mysql2 pools for the primary (127.0.0.1:3307) and replica (127.0.0.1:3308) of db `hasim`. */
export function mariaDbPair(options: MariaDbPairOptions = {}): MariaDbPair {
  const common: PoolOptions = {
    host: options.host ?? '127.0.0.1',
    database: options.database ?? 'hasim',
    user: options.user ?? 'root',
    password: options.password ?? '',
    connectionLimit: options.connectionLimit ?? 4,
    connectTimeout: 5_000,
  };
  const primary = Mysql2SqlPort.create({ ...common, port: options.primaryPort ?? 3307 });
  const replica = Mysql2SqlPort.create({ ...common, port: options.replicaPort ?? 3308 });
  const [w, r] = options.names ?? ['ds-master', 'ds-slave-0'];
  return {
    primary,
    replica,
    dataSources: new Map<string, SqlPort>([
      [w, primary],
      [r, replica],
    ]),
    end: async () => {
      await Promise.all([primary.end(), replica.end()]);
    },
  };
}
