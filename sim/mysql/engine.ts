import { assert } from '../../src/assert.ts';
import { SqlError, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import { type ApplySql, applySqlOf, valuesOf } from './apply-sql.ts';
import type { ReplEvent, RowChange } from './binlog.ts';
import { sameRow, type TableSpec, type WriteStatement } from './dialect.ts';
import { type InsertImage, imageOf, planImage } from './insert-image.ts';
import { answer, type BigNumbers, columnKind, ReadStatement } from './read-result.ts';
import { collision, insertRows, type RowAccess, replaceRows, StatementCapture } from './row-writes.ts';
import {
  bind,
  concat,
  Database,
  engineRow,
  engineValue,
  formatDatetime,
  rowOf,
  type SqliteDatabase,
  type SqliteStatement,
  triggers,
} from './sqlite.ts';
import { noSuchTable, translateSqliteError } from './sqlite-errors.ts';
import { Transactions } from './transactions.ts';

/** What one statement did, for the session and the binlog. */
export interface ExecResult {
  readonly rows: SqlRow[];
  readonly affectedRows: number;
  readonly insertId: number | undefined;
  /** The first AUTO_INCREMENT id the statement generated: the session's next LAST_INSERT_ID(). */
  readonly generatedId: number | undefined;
  readonly changes: RowChange[];
}

/** Hooks the engine calls into the node for values SQLite must not compute itself. */
export interface EngineHost {
  /** Virtual-clock time in ms, for NOW(). */
  nowMs(): number;
  /** The calling session's LAST_INSERT_ID(). */
  lastInsertId(): number;
}

export type { BigNumbers } from './read-result.ts';

/** The errors of a value that cannot be stored (strict mode): raised before InnoDB draws an id. */
const CONVERSION_ERRNOS: ReadonlySet<number> = new Set([1048, 1364, 1366, 1406]);

/**
 * A node's storage: one in-memory SQLite database holding the node's real data, plus table
 * metadata. Row images are captured with triggers calling a JS function (made at the first write
 * that needs them), so that a write statement yields its row changes for the row-based binlog
 * (binlog_format=ROW), and replicas apply row changes instead of re-running SQL. Everything is
 * synchronous; the node charges virtual time.
 */
export class Engine {
  readonly #db: SqliteDatabase;
  readonly #transactions: Transactions;
  readonly #tables = new Map<string, TableSpec>();
  readonly #database: string;
  /** What the triggers record for the running write statement; null between statements. */
  #capture: StatementCapture | null = null;
  /**
   * Whether the tables have their capture triggers (see #captureOn). Until the first write that
   * needs them, they have none: the common writes (the one-row INSERT of #insertKnown and
   * #insertReturning, a replica's row apply, COMMIT's re-apply) never need them, and a trigger
   * costs every row written even when its WHEN is false (two sub-programs and two calls into JS
   * per INSERT: about 10% of an INSERT into the gateway's chat table, timed alone).
   */
  #capturing = false;
  /** The last row SQLite tried to write, per table (names the value in a duplicate-key error). */
  readonly #attempts = new Map<string, SqlRow>();
  // Each table's AUTO_INCREMENT floor: the InnoDB counter the node has advanced past, kept outside
  // SQLite so that rolled-back statements and transactions keep it.
  readonly #autoFloor = new Map<string, number>();
  /**
   * Tables whose sqlite_sequence is known to be at or above their floor since their last fast
   * INSERT (see #insertReturning), so the next one need not read it. Any other write to the table,
   * a ROLLBACK (which can lower sqlite_sequence) and DDL forget it.
   */
  readonly #sequenceCovers = new Set<string>();
  readonly #stmts = new Map<string, SqliteStatement>();
  /** The row-image statements of each table (see #applySql). */
  readonly #applyStatements = new Map<string, ApplySql>();
  /** SELECTs in raw mode, by SQL text (null: answered from better-sqlite3's rows). */
  readonly #reads = new Map<string, ReadStatement | null>();
  /** The row-image plan of each one-row INSERT (null: its image is read back; see InsertImage). */
  readonly #imagePlans = new WeakMap<WriteStatement, InsertImage | null>();

  readonly #bigNumbers: BigNumbers;
  readonly #access: RowAccess = {
    guard: (sql, fn, table) => this.#guard(sql, fn, table),
    prepare: (sql) => this.#prepare(sql),
    applyChange: (change) => this.#applyChange(change),
    attempt: (table) => this.#attempts.get(table),
  };

  constructor(database: string, host: EngineHost, bigNumbers: BigNumbers = 'unsafe-as-strings') {
    this.#database = database;
    this.#bigNumbers = bigNumbers;
    this.#db = new Database(':memory:');
    // Integers leave SQLite as BigInt, so none is rounded inside the engine; reads convert them
    // as the client asked (read-result.ts answer).
    this.#db.defaultSafeIntegers(true);
    const fn = { deterministic: false, varargs: true, safeIntegers: true };
    this.#db.function('__hasim_row', fn, (table, op, ...values) => {
      const cap = this.#capture;
      if (cap === null) return null;
      const t = String(table);
      const columns = this.#tables.get(t)?.columns ?? [];
      const image = (at: number) => rowOf(columns, values, at);
      if (op === 'write') {
        const a = image(0);
        cap.changes.push({ op: 'write', table: t, after: a });
        const auto = this.#tables.get(t)?.autoIncrement;
        if (cap.drawing && auto !== undefined) cap.generated.push(Number(a[auto]));
        cap.drawing = false;
        const attempt = cap.insertAttempts.at(-1);
        if (attempt !== undefined) attempt.inserted = true;
      } else if (op === 'update')
        cap.changes.push({ op: 'update', table: t, before: image(0), after: image(columns.length) });
      else cap.changes.push({ op: 'delete', table: t, before: image(0) });
      return null;
    });
    // Remembers the last row SQLite tried to write, so a duplicate-key error can name the value
    // as MariaDB does (SQLite's message names only the columns).
    this.#db.function('__hasim_attempt', fn, (table, op, ...values) => {
      const attempt = rowOf(this.#tables.get(String(table))?.columns ?? [], values, 0);
      this.#attempts.set(String(table), attempt);
      const cap = this.#capture;
      if (cap === null) return null;
      if (op === 'update') cap.updateAttempts++;
      if (op === 'insert') {
        const auto = this.#tables.get(String(table))?.autoIncrement;
        cap.drawing = auto !== undefined && attempt[auto] === -1;
        if (auto !== undefined) cap.insertAttempts.push({ id: Number(attempt[auto]), inserted: false });
      }
      return null;
    });
    // The capture triggers run only inside a write statement (a replica's row apply, COMMIT's
    // re-apply and a scratch replay have their row images already).
    this.#db.function('__hasim_capturing', { deterministic: false }, () => (this.#capture === null ? 0 : 1));
    this.#db.function('__hasim_now', { deterministic: false }, () => formatDatetime(host.nowMs()));
    this.#db.function('__hasim_unix_timestamp', { deterministic: false }, () =>
      Math.floor(host.nowMs() / 1000),
    );
    this.#db.function('__hasim_last_insert_id', { deterministic: false }, () => host.lastInsertId());
    this.#db.function('__hasim_concat', { deterministic: true, varargs: true, safeIntegers: true }, concat);
    this.#transactions = new Transactions(this.#db, (sql) => this.#prepare(sql));
  }

  /** Tables by name. */
  get tables(): ReadonlyMap<string, TableSpec> {
    return this.#tables;
  }

  /** Runs a read on the committed state. */
  select(sql: string, params: readonly SqlValue[]): SqlRow[] {
    const bigNumbers = this.#bigNumbers;
    try {
      const read = this.#read(sql);
      if (read !== null) return read.rows(bind(params), bigNumbers);
      // Rows better-sqlite3 builds (see ReadStatement.of), answered in place.
      const stmt = this.#prepare(sql);
      const rows = stmt.all(...bind(params)) as SqlRow[];
      const kinds = new Map(stmt.columns().map((c) => [c.name, columnKind(c, this.#tables)]));
      for (const row of rows)
        for (const name in row) row[name] = answer(row[name], kinds.get(name)!, bigNumbers);
      return rows;
    } catch (error) {
      throw this.#sqlError(error, sql);
    }
  }

  // The raw-mode statement of a SELECT (null: see ReadStatement.of), prepared on first use.
  #read(sql: string): ReadStatement | null {
    let read = this.#reads.get(sql);
    if (read === undefined) {
      read = ReadStatement.of(this.#db.prepare(sql), this.#tables) ?? null;
      if (this.#reads.size > 512) this.#reads.clear();
      this.#reads.set(sql, read);
    }
    return read;
  }

  /**
   * Runs `fn` inside a SQLite transaction that is always rolled back: the scratch state in which
   * a statement of an uncommitted transaction executes (committed state + `base` changes). `fn`
   * must not write: a write runs through `scratchWrite`.
   */
  scratch<T>(base: readonly RowChange[], fn: () => T): T {
    this.#transactions.begin();
    try {
      for (const change of base) this.#applyChange(change);
      return fn();
    } finally {
      this.#rollback();
    }
  }

  /** Executes a write statement on the scratch state of `base` (see `scratch`), returning its row changes. */
  scratchWrite(base: readonly RowChange[], st: WriteStatement, params: readonly SqlValue[]): ExecResult {
    // The triggers are created before BEGIN: DDL inside the scratch transaction would be rolled back with it.
    this.#captureOn();
    return this.scratch(base, () => this.#write(st, params));
  }

  // Executes a write statement (inside `scratchWrite` or `writeCommitted`), returning its row changes.
  #write(st: WriteStatement, params: readonly SqlValue[]): ExecResult {
    const { sql, table, replace } = st;
    const spec = this.#tables.get(table);
    if (spec === undefined) throw noSuchTable(this.#database, table);
    // mysql_insert checks every row's value count before it writes one (ER_WRONG_VALUE_COUNT_ON_ROW).
    const listed = st.rows?.columns ?? replace?.columns ?? spec.columns;
    st.arities?.forEach((n, i) => {
      if (n !== listed.length)
        throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${i + 1}`);
    });
    const auto = spec.autoIncrement;
    if (st.returning !== undefined && (auto === undefined || !listed.includes(auto))) {
      const fast = this.#insertReturning(spec, st, st.returning, params);
      if (fast !== undefined) return fast;
    }
    // Outside a transaction (writeCommitted's one-statement path) the triggers are made now;
    // inside one the caller made them before BEGIN, and #captureOn asserts that it did.
    this.#captureOn();
    this.#sequenceCovers.delete(table);
    const cap = new StatementCapture();
    const captured = cap.changes;
    this.#capture = cap;
    const counter = spec.autoIncrement === undefined ? 0 : this.#raiseCounter(spec);
    try {
      if (replace !== undefined) return replaceRows(this.#access, spec, replace, params, cap);
      const rows = st.rows;
      const rowwise =
        rows !== undefined &&
        (rows.update !== undefined || (rows.ignore && spec.autoIncrement !== undefined));
      const info = rowwise
        ? insertRows(this.#access, spec, rows, params)
        : this.#guard(sql, () => this.#prepare(sql).run(...bind(params)), table);
      // A row updated to its current values is not changed, so not logged (InnoDB answers
      // HA_ERR_RECORD_IS_THE_SAME; verified: a no-op UPDATE writes no GTID on 10.11.19).
      const changes = captured.filter((c) => c.op !== 'update' || !sameRow(spec, c.before, c.after));
      if (!/^\s*INSERT/i.test(sql)) {
        // UPDATE IGNORE: a row skipped for a duplicate key still counts as matched (CLIENT_FOUND_ROWS).
        const affectedRows = /^UPDATE OR IGNORE\b/i.test(sql) ? cap.updateAttempts : info.changes;
        return { rows: [], affectedRows, insertId: undefined, generatedId: undefined, changes };
      }
      // INSERT (… ON DUPLICATE KEY UPDATE), sql_insert.cc write_record: 1 per row inserted, 2 per
      // row updated, and, as mysql2 connects with CLIENT_FOUND_ROWS, 1 per row left unchanged.
      const unchanged = captured.length - changes.length;
      const affectedRows = changes.reduce((n, c) => n + (c.op === 'update' ? 2 : 1), unchanged);
      const generatedId = cap.generated[0];
      // mysql_insert: the first generated id, else the AUTO_INCREMENT value of the last row
      // written (0, i.e. none, when nothing was written).
      // The value is the one in the record of the last row PROCESSED (next_number_field), so an
      // ignored last row still names its id (observed: INSERT IGNORE (1, …), (2, dup) → 2).
      const last = changes.at(-1);
      const auto = spec.autoIncrement;
      const tried = auto === undefined ? undefined : this.#attempts.get(spec.name)?.[auto];
      const lastValue =
        typeof tried === 'number' && tried !== -1
          ? tried
          : last !== undefined && last.op !== 'delete' && auto !== undefined
            ? Number(last.after[auto])
            : undefined;
      const insertId =
        auto === undefined ? undefined : (generatedId ?? (changes.length > 0 ? lastValue : undefined));
      return { rows: [], affectedRows, insertId, generatedId, changes };
    } catch (error) {
      // A value refused in strict mode fails the row before handler::write_row draws its id
      // (observed on 10.11.19: a single-row INSERT failing with 1406, 1364, 1366 or 1048 leaves
      // the next id as it was; one failing with 1062 uses it up).
      const last = cap.insertAttempts.at(-1);
      if (error instanceof SqlError && CONVERSION_ERRNOS.has(error.errno) && last?.inserted === false)
        cap.insertAttempts.pop();
      throw error;
    } finally {
      this.#capture = null;
      if (spec.autoIncrement !== undefined) this.#reserve(spec, counter, st.tuples, cap.insertAttempts);
    }
  }

  /**
   * The common INSERT, fast: plain `INSERT … VALUES` whose AUTO_INCREMENT ids (if any) are all
   * generated, run with the capture triggers off and `RETURNING *` giving the row images. Every
   * row is written and draws one id, so InnoDB's reservation ends at the last id. On any error
   * SQLite has undone the statement and undefined is returned: `write` runs it again with the
   * triggers on, to answer the error MariaDB would (the row it names, the ids it used up).
   * A one-row INSERT whose image is its parameters (see InsertImage) skips RETURNING.
   */
  #insertReturning(
    spec: TableSpec,
    st: WriteStatement,
    returning: string,
    params: readonly SqlValue[],
  ): ExecResult | undefined {
    const auto = spec.autoIncrement;
    if (auto !== undefined && !this.#sequenceCovers.has(spec.name)) this.#raiseCounter(spec);
    const plan = this.#imagePlan(st, spec);
    const image = plan === undefined ? undefined : imageOf(plan, params);
    if (image !== undefined) return this.#insertKnown(spec, st.sql, params, image);
    let rows: Record<string, unknown>[];
    try {
      rows = this.#prepare(returning).all(...bind(params));
    } catch {
      return undefined;
    }
    const changes: RowChange[] = [];
    for (const r of rows) changes.push({ op: 'write', table: spec.name, after: engineRow(r) });
    const first = rows[0];
    const last = rows.at(-1);
    if (auto === undefined || first === undefined || last === undefined)
      return { rows: [], affectedRows: changes.length, insertId: undefined, generatedId: undefined, changes };
    const generatedId = Number(first[auto]);
    const reserved = Number(last[auto]);
    if (reserved > (this.#autoFloor.get(spec.name) ?? 0)) this.#autoFloor.set(spec.name, reserved);
    // sqlite_sequence was at or above the floor and now holds the last id written (SQLite raises it
    // to the largest rowid inserted), which is the floor now.
    this.#sequenceCovers.add(spec.name);
    return { rows: [], affectedRows: changes.length, insertId: generatedId, generatedId, changes };
  }

  /**
   * `#insertReturning` for a row whose image is known before it is written (see InsertImage):
   * the INSERT runs without RETURNING, and only the generated id is read, from
   * sqlite3_last_insert_rowid.
   */
  #insertKnown(
    spec: TableSpec,
    sql: string,
    params: readonly SqlValue[],
    after: SqlRow,
  ): ExecResult | undefined {
    let id: number | bigint;
    try {
      id = this.#prepare(sql).run(...bind(params)).lastInsertRowid;
    } catch {
      return undefined;
    }
    const changes: RowChange[] = [{ op: 'write', table: spec.name, after }];
    const auto = spec.autoIncrement;
    if (auto === undefined)
      return { rows: [], affectedRows: 1, insertId: undefined, generatedId: undefined, changes };
    const generated = engineValue(id);
    after[auto] = generated;
    const generatedId = Number(generated);
    if (generatedId > (this.#autoFloor.get(spec.name) ?? 0)) this.#autoFloor.set(spec.name, generatedId);
    this.#sequenceCovers.add(spec.name);
    return { rows: [], affectedRows: 1, insertId: generatedId, generatedId, changes };
  }

  // The row-image plan of a one-row INSERT on this table, made once per parsed statement.
  #imagePlan(st: WriteStatement, spec: TableSpec): InsertImage | undefined {
    const known = this.#imagePlans.get(st);
    if (known !== undefined && (known === null || known.spec === spec)) return known ?? undefined;
    const types = new Map<string, string>();
    for (const c of this.#prepare(`PRAGMA table_info("${spec.name}")`).all())
      types.set(String(c.name), String(c.type));
    const plan = planImage(st, spec, (column) => types.get(column));
    this.#imagePlans.set(st, plan ?? null);
    return plan;
  }

  // Sets SQLite's AUTOINCREMENT counter to at least the node's floor; returns the counter (the
  // highest id used so far) at the start of the statement.
  #raiseCounter(spec: TableSpec): number {
    const floor = this.#autoFloor.get(spec.name) ?? 0;
    const seq = this.#prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').all(spec.name)[0]?.seq;
    if (seq === undefined) {
      if (floor > 0)
        this.#prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(spec.name, floor);
    } else if (Number(seq) < floor) {
      this.#prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(floor, spec.name);
    }
    // SQLite keeps sqlite_sequence at the largest rowid the table ever held (explicit and
    // replicated ids included; "SQLite Autoincrement"), so it bounds max(id) from above.
    return Math.max(floor, Number(seq ?? 0));
  }

  /**
   * InnoDB's auto-increment reservation (innodb_autoinc_lock_mode=1, MariaDB 10.11's default;
   * handler.cc update_auto_increment): the first row that needs a generated id reserves as many
   * ids as the statement has rows (estimation_rows_to_insert), and ids once drawn are never given
   * back, not by a failed statement nor by a rollback. Observed on 10.11.19: after
   * `(5, …), (NULL, …)` the next id is 8; after `INSERT IGNORE (a) VALUES (1), (1), (2)` it is 4.
   */
  #reserve(
    spec: TableSpec,
    start: number,
    tuples: number | undefined,
    attempts: readonly { id: number; inserted: boolean }[],
  ): void {
    let counter = start;
    let first: number | undefined;
    for (const { id, inserted } of attempts) {
      if (id === -1) {
        counter++;
        first ??= counter;
      } else if (inserted && id > counter) counter = id; // an explicit id that became an update does not count
    }
    const reserved = first === undefined ? counter : Math.max(counter, first + (tuples ?? 1) - 1);
    if (reserved > (this.#autoFloor.get(spec.name) ?? 0)) this.#autoFloor.set(spec.name, reserved);
  }

  /** Executes a write statement and commits it at once (autocommit), returning its row changes. */
  writeCommitted(st: WriteStatement, params: readonly SqlValue[]): ExecResult {
    this.#transactions.settle();
    // One SQLite statement is atomic on its own; the row-at-a-time writers run several.
    if (st.replace === undefined && st.rows?.update === undefined && !st.rows?.ignore)
      return this.#write(st, params);
    this.#captureOn();
    this.#transactions.begin();
    try {
      const res = this.#write(st, params);
      this.#transactions.commit();
      return res;
    } catch (error) {
      this.#rollback();
      throw error;
    }
  }

  /**
   * Checks, inside a scratch transaction, that `events` apply on top of `base` (throws the
   * `SqlError` the commit would get; changes nothing).
   */
  check(base: readonly RowChange[], events: readonly ReplEvent[]): void {
    this.scratch(base, () => {
      for (const e of events) if (e.kind === 'rows') this.#applyChange(e.change);
    });
  }

  /**
   * Applies a committed event group atomically (the engine commit on the primary, the SQL
   * thread's apply on a replica). Throws `SqlError` and leaves nothing applied on failure.
   */
  commit(events: readonly ReplEvent[]): void {
    this.#transactions.settle();
    const ddl = events.find((e) => e.kind === 'ddl');
    if (ddl !== undefined) {
      this.applyDdl(ddl as Extract<ReplEvent, { kind: 'ddl' }>);
      return;
    }
    const only = events.length === 1 ? events[0] : undefined;
    if (only?.kind === 'rows') {
      this.#applyChange(only.change); // one SQLite statement: atomic on its own
      return;
    }
    this.#transactions.begin();
    try {
      for (const e of events) if (e.kind === 'rows') this.#applyChange(e.change);
      this.#transactions.commit();
    } catch (error) {
      this.#rollback();
      throw error;
    }
  }

  /** Executes DDL (CREATE / DROP / TRUNCATE), keeping table metadata and capture triggers. */
  applyDdl(ddl: Extract<ReplEvent, { kind: 'ddl' }>): void {
    const { spec, table } = ddl;
    this.#sequenceCovers.clear();
    if (spec !== undefined) {
      if (this.#tables.has(table)) {
        if (/IF NOT EXISTS/i.test(ddl.sql)) return;
        throw new SqlError(1050, '42S01', `Table '${table}' already exists`);
      }
      for (const s of spec.sqlite) this.#guard(s, () => this.#db.exec(s));
      if (this.#capturing) this.#db.exec(triggers(spec));
      this.#tables.set(table, spec);
      return;
    }
    if (/^DROP/i.test(ddl.sql)) {
      if (!this.#tables.has(table)) {
        if (/IF EXISTS/i.test(ddl.sql)) return;
        throw new SqlError(1051, '42S02', `Unknown table '${this.#database}.${table}'`);
      }
      this.#db.exec(`DROP TABLE "${table}"`);
      this.#autoFloor.delete(table);
      this.#tables.delete(table);
      this.#stmts.clear();
      this.#reads.clear();
      this.#applyStatements.delete(table);
      return;
    }
    if (!this.#tables.has(table)) throw noSuchTable(this.#database, table);
    // TRUNCATE empties the table and restarts its AUTO_INCREMENT counter (InnoDB recreates it).
    this.#db.exec(`DELETE FROM "${table}"`);
    if (this.#tables.get(table)?.autoIncrement !== undefined) {
      this.#prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(table);
    }
    this.#autoFloor.delete(table);
  }

  /**
   * Applies one row image: a replica's row apply, COMMIT's re-apply, REPLACE's delete, with the
   * table's statements of apply-sql.ts (built once per table: images hold every column in table
   * order).
   */
  #applyChange(change: RowChange): void {
    const spec = this.#tables.get(change.table);
    if (spec === undefined) throw noSuchTable(this.#database, change.table);
    const sql = this.#applySql(spec);
    const cols = spec.columns;
    // Values bound one by one, in table order (no closure, no mapped copies: this runs for every
    // row a replica applies).
    if (change.op === 'write') {
      // Outside a statement the capture triggers are off: the row is named here for an error text.
      if (this.#capture === null) this.#attempts.set(spec.name, change.after);
      const values = valuesOf(change.after, cols, 0);
      try {
        this.#prepare(sql.insert).run(...values);
      } catch (error) {
        throw this.#sqlError(error, sql.insert, spec.name);
      }
      return;
    }
    const keyCols = sql.keyCols;
    let changed: number;
    if (change.op === 'update') {
      if (this.#capture === null) this.#attempts.set(spec.name, change.after);
      const values = valuesOf(change.after, cols, keyCols.length);
      const before = change.before;
      for (let i = 0; i < keyCols.length; i++) values[cols.length + i] = before[keyCols[i]!];
      try {
        changed = this.#prepare(sql.update).run(...values).changes;
      } catch (error) {
        throw this.#sqlError(error, sql.update, spec.name);
      }
    } else {
      changed = this.#prepare(sql.delete).run(...valuesOf(change.before, keyCols, 0)).changes;
    }
    // MariaDB: HA_ERR_KEY_NOT_FOUND surfaces as ER_KEY_NOT_FOUND 1032.
    if (changed === 0) throw new SqlError(1032, 'HY000', `Can't find record in '${spec.name}'`);
  }

  // The row-image statements of a table, built on first use.
  #applySql(spec: TableSpec): ApplySql {
    let sql = this.#applyStatements.get(spec.name);
    if (sql === undefined) {
      sql = applySqlOf(spec);
      this.#applyStatements.set(spec.name, sql);
    }
    return sql;
  }

  /**
   * Gives every table its capture triggers, once: from then on each table gets them when it is
   * created. Called outside a transaction only (a rolled-back transaction would take them away).
   * Creating them changes the schema, so SQLite prepares each cached statement again at its next
   * run (sqlite3_prepare_v3 statements do that by themselves); nothing else changes.
   */
  #captureOn(): void {
    if (this.#capturing) return;
    assert(!this.#transactions.open, 'engine: the capture triggers are created outside a transaction');
    for (const spec of this.#tables.values()) this.#db.exec(triggers(spec));
    this.#capturing = true;
  }

  // An engine transaction's ROLLBACK (see Transactions), which can lower sqlite_sequence.
  #rollback(): void {
    this.#sequenceCovers.clear();
    this.#transactions.rollback();
  }

  #prepare(sql: string): SqliteStatement {
    let stmt = this.#stmts.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#stmts.size > 512) this.#stmts.clear();
      this.#stmts.set(sql, stmt);
    }
    return stmt;
  }

  // Runs `fn`, turning a SQLite error into the MariaDB error a client of the real server would get.
  #guard<T>(sql: string, fn: () => T, table?: string): T {
    try {
      return fn();
    } catch (error) {
      throw this.#sqlError(error, sql, table);
    }
  }

  // The MariaDB error for what a statement threw (a SqlError as it is).
  #sqlError(error: unknown, sql: string, table?: string): unknown {
    if (error instanceof SqlError) return error;
    // The row number counts the rows the statement already wrote (sql_class.cc current_row_for_warning).
    const row = (this.#capture?.changes.length ?? 0) + 1;
    const state = {
      database: this.#database,
      tables: this.#tables,
      attempts: this.#attempts,
      row,
      firstCollision: (spec: TableSpec, attempt: SqlRow) =>
        collision(this.#access, spec, attempt, false)?.key,
    };
    return translateSqliteError(error, sql, table, state);
  }
}
