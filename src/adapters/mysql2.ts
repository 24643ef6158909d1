// The real MariaDB/MySQL SqlPort: a mysql2/promise pool behind the port, so the router and the
// components run unchanged against real servers. The one driver-specific trick is read-your-writes
// support: with `session_track_system_variables='last_gtid'` on every pooled connection, MariaDB
// returns the GTID of each commit in the OK packet and mysql2 exposes it as
// `result.stateChanges.systemVariables.last_gtid` (MariaDB's session_track_system_variables, verified here on 10.11:
// `{"affectedRows":1,...,"stateChanges":{"systemVariables":{"last_gtid":"0-1-8"}}}`), no extra round trip.

import type { Pool, PoolConnection, PoolOptions, ResultSetHeader } from 'mysql2/promise';
import mysql from 'mysql2/promise';
import {
  SqlError,
  type SqlPort,
  type SqlResult,
  type SqlRow,
  type SqlSession,
  type SqlValue,
} from '../ports/sql.ts';

/** The session setting that makes MariaDB report `last_gtid` in OK packets. */
export const TRACK_LAST_GTID_SQL = "SET SESSION session_track_system_variables='last_gtid'";

const BEGIN_RE = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
const END_RE = /^\s*(COMMIT|ROLLBACK)\s*(WORK)?\s*;?\s*$/i;
const AUTOCOMMIT_RE = /^\s*SET\s+(SESSION\s+|@@(SESSION\.)?)?autocommit\b/i;

/** Options of {@link Mysql2SqlPort}. */
export interface Mysql2SqlPortOptions {
  /**
   * Require `last_gtid` session tracking (the commit GTIDs causal reads wait for). The port's first
   * statement runs {@link Mysql2SqlPortOptions.gtidTrackingSql} once on a pooled connection; when the
   * server refuses it (a server error, e.g. MySQL or an old MariaDB without `last_gtid`), that
   * statement and every later one reject with {@link GtidTrackingError} instead of running without
   * GTIDs. A connection error only fails that statement; the check runs again on the next one.
   * @defaultValue false for the constructor (wrap a pool as it is), true for {@link Mysql2SqlPort.create}
   */
  readonly requireGtidTracking?: boolean;
  /** The statement that turns tracking on, run on every new pooled connection. @defaultValue TRACK_LAST_GTID_SQL */
  readonly gtidTrackingSql?: string;
}

/** The server refused `last_gtid` session tracking, so commits would carry no GTID and causal reads could not wait. */
export class GtidTrackingError extends Error {
  override readonly name = 'GtidTrackingError';
  constructor(
    /** The server's refusal (errno 1193 "Unknown system variable" on a server without `last_gtid`). */
    readonly serverError: SqlError,
    sql: string,
  ) {
    super(
      `Mysql2SqlPort: the server refused GTID session tracking (\`${sql}\`: ${serverError.errno} ${serverError.message}); ` +
        'commits would report no GTID and causal reads would never wait. Use MariaDB >= 10.3, or create the port ' +
        'with { requireGtidTracking: false } and do not enable causalReads on the router',
    );
  }
}

type GtidTracking =
  | { readonly state: 'off' }
  | { readonly state: 'unchecked' }
  | { readonly state: 'checking'; readonly done: Promise<void> }
  | { readonly state: 'on' }
  | { readonly state: 'refused'; readonly error: GtidTrackingError };

/**
 * A `SqlPort` over a mysql2/promise pool. Autocommit statements take any pooled connection.
 * {@link Mysql2SqlPort.session} gives a caller a pooled connection of its own, for transactions
 * (the router opens one per logical session). On the shared port itself, a transaction (`BEGIN` /
 * `START TRANSACTION` ... `COMMIT` / `ROLLBACK`) pins one connection until it ends and statements of
 * other callers meanwhile join it; a second `BEGIN` while that transaction is open (or still
 * acquiring its connection) is refused with an error rather than given a second connection. Server
 * errors become `SqlError(errno, sqlState, message)`; client-side failures (connection refused,
 * timeouts) are rethrown as they are.
 */
export class Mysql2SqlPort implements SqlPort {
  #txn: Mysql2Session | undefined;
  #gtid: GtidTracking;
  readonly #gtidSql: string;

  /**
   * Wraps an existing pool. Without `requireGtidTracking`, call {@link trackLastGtid} on the pool
   * yourself (or use {@link Mysql2SqlPort.create}) for `gtid`.
   */
  constructor(
    readonly pool: Pool,
    options: Mysql2SqlPortOptions = {},
  ) {
    this.#gtidSql = options.gtidTrackingSql ?? TRACK_LAST_GTID_SQL;
    this.#gtid = options.requireGtidTracking ? { state: 'unchecked' } : { state: 'off' };
    if (options.requireGtidTracking) {
      trackLastGtid(pool, this.#gtidSql, (err) => {
        // A connection opened after the check passed refused it: stop, as the check would have.
        const e = toSqlError(err);
        if (e instanceof SqlError)
          this.#gtid = { state: 'refused', error: new GtidTrackingError(e, this.#gtidSql) };
      });
    }
  }

  /**
   * Creates the pool with the settings the port relies on: `dateStrings` (no Date objects in rows),
   * `supportBigNumbers` (BIGINT beyond 2^53 as strings) and required `last_gtid` tracking on every
   * connection (see {@link Mysql2SqlPortOptions.requireGtidTracking}).
   */
  static create(options: PoolOptions, portOptions: Mysql2SqlPortOptions = {}): Mysql2SqlPort {
    // trace: false: no stack captured per statement (mysql2's "long stack traces"); the port's
    // errors carry their own stack.
    const pool = mysql.createPool({ dateStrings: true, supportBigNumbers: true, trace: false, ...options });
    return new Mysql2SqlPort(pool, { requireGtidTracking: true, ...portOptions });
  }

  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<SqlResult<Row>> {
    if (this.#gtid.state !== 'on' && this.#gtid.state !== 'off') await this.ready();
    if (BEGIN_RE.test(sql)) {
      // Decided and recorded before any await, so two BEGINs in one tick cannot both take a connection.
      if (this.#txn !== undefined) {
        throw new Error(
          'Mysql2SqlPort: BEGIN while a transaction is already open on this shared port; it holds one ' +
            'transaction at a time. Open port.session() for a connection of your own',
        );
      }
      const txn = this.session();
      this.#txn = txn;
      try {
        return await txn.query<Row>(sql, params);
      } catch (err) {
        this.#txn = undefined;
        await txn.release();
        throw err;
      }
    }
    const txn = this.#txn;
    if (txn === undefined) return run<Row>(this.pool, sql, params);
    try {
      return await txn.query<Row>(sql, params);
    } finally {
      if (END_RE.test(sql)) {
        if (this.#txn === txn) this.#txn = undefined;
        await txn.release();
      }
    }
  }

  /**
   * A connection of its own from the pool, taken at its first statement and given back by
   * `release()` (rolling back a transaction left open, as HikariCP does when a dirty connection is
   * closed). Until released it holds one of the pool's `connectionLimit` connections.
   */
  session(): Mysql2Session {
    return new Mysql2Session(this);
  }

  /**
   * Resolves once `last_gtid` tracking is known to work (at once when not required); rejects with
   * {@link GtidTrackingError} when the server refused it. Every statement awaits this first.
   */
  async ready(): Promise<void> {
    for (;;) {
      const g = this.#gtid;
      switch (g.state) {
        case 'off':
        case 'on':
          return;
        case 'refused':
          throw g.error;
        case 'checking':
          await g.done.catch(() => {});
          if (this.#gtid.state === 'unchecked') await g.done; // the check could not connect: report that
          continue;
        case 'unchecked':
          this.#gtid = { state: 'checking', done: this.#checkGtid() };
          continue;
      }
    }
  }

  async #checkGtid(): Promise<void> {
    let conn: PoolConnection;
    try {
      conn = await this.pool.getConnection();
    } catch (err) {
      this.#gtid = { state: 'unchecked' };
      throw toSqlError(err);
    }
    try {
      await conn.query(this.#gtidSql);
      this.#gtid = { state: 'on' };
    } catch (err) {
      const e = toSqlError(err);
      this.#gtid =
        e instanceof SqlError
          ? { state: 'refused', error: new GtidTrackingError(e, this.#gtidSql) }
          : { state: 'unchecked' };
      throw e;
    } finally {
      conn.release();
    }
  }

  /** Closes the pool (and the shared transaction's connection, if one is open). */
  async end(): Promise<void> {
    const txn = this.#txn;
    this.#txn = undefined;
    await txn?.release();
    await this.pool.end();
  }
}

/** One pooled connection held by one caller; from {@link Mysql2SqlPort.session}. */
export class Mysql2Session implements SqlSession {
  #conn: Promise<PoolConnection> | undefined;
  #released = false;
  /** BEGIN seen without COMMIT/ROLLBACK after it: roll back before giving the connection back. */
  #txnOpen = false;
  /** `SET autocommit` ran: reset it (and roll back) before giving the connection back. */
  #autocommitTouched = false;
  /** A client-side failure (lost connection, timeout): destroy rather than return to the pool. */
  #broken = false;

  /** @internal use {@link Mysql2SqlPort.session}. */
  constructor(private readonly port: Mysql2SqlPort) {}

  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<SqlResult<Row>> {
    if (this.#released) throw new Error('Mysql2SqlPort session: query after release()');
    await this.port.ready();
    if (this.#conn === undefined) {
      const acquiring = this.port.pool.getConnection();
      this.#conn = acquiring;
      acquiring.catch(() => {
        if (this.#conn === acquiring) this.#conn = undefined; // the next statement tries again
      });
    }
    const conn = await this.#conn.catch((err) => {
      throw toSqlError(err);
    });
    if (BEGIN_RE.test(sql)) this.#txnOpen = true;
    else if (END_RE.test(sql)) this.#txnOpen = false;
    else if (AUTOCOMMIT_RE.test(sql)) this.#autocommitTouched = true;
    try {
      return await run<Row>(conn, sql, params);
    } catch (err) {
      if (!(err instanceof SqlError)) this.#broken = true;
      throw err;
    }
  }

  /** Gives the connection back to the pool (idempotent); later statements reject. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const acquiring = this.#conn;
    this.#conn = undefined;
    if (acquiring === undefined) return;
    let conn: PoolConnection;
    try {
      conn = await acquiring;
    } catch {
      return;
    }
    if (this.#broken) {
      conn.destroy();
      return;
    }
    if (this.#txnOpen || this.#autocommitTouched) {
      try {
        await conn.query('ROLLBACK');
        await conn.query('SET autocommit = 1');
      } catch {
        conn.destroy();
        return;
      }
    }
    conn.release();
  }
}

/** The callback side of a mysql2 pool or connection: `query(sql, values, callback)`. */
interface CallbackQueryable {
  query(sql: string, values: unknown[] | undefined, callback: (err: unknown, result: unknown) => void): void;
}

/**
 * Runs one statement through mysql2's callback API under the promise wrapper (the core pool,
 * `Pool.pool`, or the core connection, `PoolConnection.connection`): the promise API's `query`
 * adds a promise and, unless `trace: false`, an `Error.captureStackTrace` per statement, and an
 * error here becomes a `SqlError` with our own stack anyway.
 */
function run<Row extends SqlRow>(
  target: Pool | PoolConnection,
  sql: string,
  params: readonly SqlValue[] | undefined,
): Promise<SqlResult<Row>> {
  const core = ('connection' in target ? target.connection : target.pool) as unknown as CallbackQueryable;
  return new Promise((resolve, reject) => {
    core.query(sql, params as unknown[] | undefined, (err, result) => {
      if (err) reject(toSqlError(err));
      else resolve(toSqlResult<Row>(result));
    });
  });
}

/**
 * Makes every new connection of `pool` report `last_gtid` in its OK packets. `onError` hears a
 * connection's refusal (otherwise it is ignored and that connection reports no GTIDs).
 */
export function trackLastGtid(
  pool: Pool,
  sql: string = TRACK_LAST_GTID_SQL,
  onError?: (err: unknown) => void,
): void {
  // The promise pool re-emits the core pool's 'connection' event with the core (callback) connection;
  // mysql2 queues commands per connection, so the SET runs before the first statement a caller sends.
  pool.on('connection', (conn) => {
    (conn as unknown as { query(sql: string, cb: (err: unknown) => void): void }).query(sql, (err) => {
      if (err) onError?.(err);
    });
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
