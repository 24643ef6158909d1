import { present } from '../../src/assert.ts';
import { SqlError, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import type { ReplEvent, RowChange } from './binlog.ts';
import {
  type InsertRows,
  type ReplaceSpec,
  sameRow,
  type TableSpec,
  uniqueKeysInOrder,
  type WriteStatement,
} from './dialect.ts';
import {
  bind,
  concat,
  Database,
  engineRow,
  formatDatetime,
  rowOf,
  type SqliteDatabase,
  type SqliteStatement,
  triggers,
} from './sqlite.ts';
import { noSuchTable, translateSqliteError } from './sqlite-errors.ts';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

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

/**
 * How reads answer integers, as mysql2's options decide (mysql2 README "supportBigNumbers",
 * "bigNumberStrings"): `numbers` (neither: a BIGINT beyond 2^53 is rounded), `unsafe-as-strings`
 * (supportBigNumbers: a string only when a number would not be exact; what the project's
 * Mysql2SqlPort.create asks for) or `strings` (both: every BIGINT and integer result a string).
 */
export type BigNumbers = 'numbers' | 'unsafe-as-strings' | 'strings';

/** The errors of a value that cannot be stored (strict mode): raised before InnoDB draws an id. */
const CONVERSION_ERRNOS: ReadonlySet<number> = new Set([1048, 1364, 1366, 1406]);

/**
 * What the capture triggers record while one write statement runs: created by `write` for each
 * statement and dropped when it ends, so nothing of one statement leaks into the next.
 */
class StatementCapture {
  /** The statement's row changes in the order SQLite made them: its row-based binlog images. */
  readonly changes: RowChange[] = [];
  /**
   * Whether the row SQLite is inserting draws a generated AUTO_INCREMENT id (SQLite shows
   * NEW.rowid as -1 in a BEFORE INSERT trigger when it will generate it).
   */
  drawing = false;
  /** The AUTO_INCREMENT ids the statement generated, in order. */
  readonly generated: number[] = [];
  /** The AUTO_INCREMENT value of each row SQLite tried to insert, in order (-1 = to be generated). */
  readonly insertAttempts: { id: number; inserted: boolean }[] = [];
  /** Rows the statement tried to update (its matched rows, skipped ones included). */
  updateAttempts = 0;
}

/** What a REPLACE has done so far, row by row. */
interface ReplaceTally {
  inserted: number;
  replaced: number;
  firstGenerated: number | undefined;
  lastAuto: number | undefined;
}

/**
 * A node's storage: one in-memory SQLite database holding the node's real data, plus table
 * metadata. Row images are captured with triggers calling a JS function, so that a write statement
 * yields its row changes for the row-based binlog (binlog_format=ROW), and replicas apply row
 * changes instead of re-running SQL. Everything is synchronous; the node charges virtual time.
 */
export class Engine {
  readonly #db: SqliteDatabase;
  readonly #tables = new Map<string, TableSpec>();
  readonly #database: string;
  /** What the triggers record for the running write statement; null between statements. */
  #capture: StatementCapture | null = null;
  /** The last row SQLite tried to write, per table (names the value in a duplicate-key error). */
  readonly #attempts = new Map<string, SqlRow>();
  // Each table's AUTO_INCREMENT floor: the InnoDB counter the node has advanced past, kept outside
  // SQLite so that rolled-back statements and transactions keep it.
  readonly #autoFloor = new Map<string, number>();
  readonly #stmts = new Map<string, SqliteStatement>();

  readonly #bigNumbers: BigNumbers;

  constructor(database: string, host: EngineHost, bigNumbers: BigNumbers = 'unsafe-as-strings') {
    this.#database = database;
    this.#bigNumbers = bigNumbers;
    this.#db = new Database(':memory:');
    // Integers leave SQLite as BigInt, so none is rounded inside the engine; reads convert them
    // as the client asked (#answer).
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
    this.#db.function('__hasim_now', { deterministic: false }, () => formatDatetime(host.nowMs()));
    this.#db.function('__hasim_unix_timestamp', { deterministic: false }, () =>
      Math.floor(host.nowMs() / 1000),
    );
    this.#db.function('__hasim_last_insert_id', { deterministic: false }, () => host.lastInsertId());
    this.#db.function('__hasim_concat', { deterministic: true, varargs: true, safeIntegers: true }, concat);
  }

  /** Tables by name. */
  get tables(): ReadonlyMap<string, TableSpec> {
    return this.#tables;
  }

  /** Runs a read on the committed state. */
  select(sql: string, params: readonly SqlValue[]): SqlRow[] {
    return this.#guard(sql, () => {
      const stmt = this.#prepare(sql);
      const rows = stmt.all(...bind(params)) as SqlRow[];
      const kinds = this.#columnKinds(stmt);
      for (const row of rows) {
        for (const name in row) {
          const v = row[name];
          const kind = kinds.get(name);
          if (typeof kind === 'number' && (typeof v === 'number' || typeof v === 'bigint'))
            row[name] =
              typeof v === 'number' ? v.toFixed(kind) : `${v}${kind > 0 ? `.${'0'.repeat(kind)}` : ''}`;
          else if (typeof v === 'bigint') row[name] = this.#answer(v, kind === 'bigint');
        }
      }
      return rows;
    });
  }

  /**
   * What mysql2 answers for each result column: a DECIMAL column as a string with its scale
   * ('1.50'; the number is the scale), and whether an integer column is BIGINT-typed (a BIGINT
   * column, or an expression: MariaDB types integer expressions and COUNT(*) as BIGINT).
   */
  #columnKinds(stmt: SqliteStatement): Map<string, number | 'bigint' | 'int'> {
    const kinds = new Map<string, number | 'bigint' | 'int'>();
    for (const c of stmt.columns()) {
      const scale = /^DECIMAL\(\d+,(\d+)\)$/.exec(c.type ?? '')?.[1];
      if (scale !== undefined) kinds.set(c.name, Number(scale));
      else if (c.type === null || c.column === null) kinds.set(c.name, 'bigint');
      else {
        const big = c.table !== null && this.#tables.get(c.table)?.bigints.includes(c.column);
        kinds.set(c.name, big ? 'bigint' : 'int');
      }
    }
    return kinds;
  }

  // An integer as the client's options answer it (see BigNumbers).
  #answer(v: bigint, bigintColumn: boolean): SqlValue {
    if (this.#bigNumbers === 'strings' && bigintColumn) return String(v);
    const exact = v >= MIN_SAFE && v <= MAX_SAFE;
    if (exact || this.#bigNumbers === 'numbers') return Number(v);
    return String(v);
  }

  /**
   * Runs `fn` inside a SQLite transaction that is always rolled back: the scratch state in which
   * a statement of an uncommitted transaction executes (committed state + `base` changes).
   */
  scratch<T>(base: readonly RowChange[], fn: () => T): T {
    this.#db.exec('BEGIN');
    try {
      for (const change of base) this.#applyChange(change);
      return fn();
    } finally {
      this.#db.exec('ROLLBACK');
    }
  }

  /** Executes a write statement (inside `scratch`), returning its row changes. */
  write(st: WriteStatement, params: readonly SqlValue[]): ExecResult {
    const { sql, table, replace } = st;
    const spec = this.#tables.get(table);
    if (spec === undefined) throw noSuchTable(this.#database, table);
    const cap = new StatementCapture();
    const captured = cap.changes;
    this.#capture = cap;
    // mysql_insert checks every row's value count before it writes one (ER_WRONG_VALUE_COUNT_ON_ROW).
    const listed = st.rows?.columns ?? replace?.columns ?? spec.columns;
    st.arities?.forEach((n, i) => {
      if (n !== listed.length)
        throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${i + 1}`);
    });
    const counter = spec.autoIncrement === undefined ? 0 : this.#raiseCounter(spec);
    try {
      if (replace !== undefined) return this.#replace(spec, replace, params, cap);
      const rows = st.rows;
      const rowwise =
        rows !== undefined &&
        (rows.update !== undefined || (rows.ignore && spec.autoIncrement !== undefined));
      const info = rowwise
        ? this.#insertRows(spec, rows, params)
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
   * The row a new row collides with: the first unique key in key order (PRIMARY, then UNIQUE keys
   * as declared) holding the new row's values, as InnoDB reports the first violated index.
   */
  #collision(
    spec: TableSpec,
    row: SqlRow,
    generated: boolean,
  ): { at: number; old: SqlRow; key: readonly string[] } | undefined {
    const keys = uniqueKeysInOrder(spec);
    for (const [k, kcols] of keys.entries()) {
      // A generated id collides with nothing; NULL never collides in a UNIQUE key.
      if (generated && spec.autoIncrement !== undefined && kcols.includes(spec.autoIncrement)) continue;
      if (kcols.some((c) => row[c] === null || row[c] === undefined)) continue;
      const sql = `SELECT * FROM "${spec.name}" WHERE ${kcols.map((c) => `"${c}" = ?`).join(' AND ')}`;
      const found = this.#prepare(sql).all(...kcols.map((c) => row[c]))[0];
      if (found !== undefined) return { at: k, old: engineRow(found), key: kcols };
    }
    return undefined;
  }

  /**
   * INSERT … ON DUPLICATE KEY UPDATE, and INSERT IGNORE on a table with AUTO_INCREMENT,
   * one row at a time (MariaDB sql_insert.cc write_record). ODKU updates the row of the FIRST
   * colliding key in key order (SQLite's upsert picks its own order: observed on 10.11.19, a row
   * colliding on `ua` and `ub` updates the `ua` row). A row that is ignored or turns into an
   * update gives its drawn id back (restore_auto_increment), so the next row takes it, where
   * SQLite would have consumed it.
   */
  #insertRows(spec: TableSpec, rows: InsertRows, params: readonly SqlValue[]): { changes: number } {
    const cols = rows.columns ?? spec.columns;
    const tuples = this.#guard(rows.valuesSql, () =>
      this.#prepare(rows.valuesSql)
        .all(...bind(params.slice(0, rows.valueParams)))
        .map((r) => Object.values(r)),
    );
    const odku = rows.update !== undefined;
    const head = rows.ignore && !odku ? 'INSERT OR IGNORE' : 'INSERT';
    const sql = `${head} INTO "${spec.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    const stmt = this.#guard(sql, () => this.#prepare(sql), spec.name);
    const auto = spec.autoIncrement;
    // sqlite_sequence exists once an AUTOINCREMENT table does.
    const seqOf =
      auto === undefined ? undefined : this.#prepare('SELECT seq FROM sqlite_sequence WHERE name = ?');
    let changes = 0;
    tuples.forEach((values, i) => {
      if (values.length !== cols.length) {
        throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${i + 1}`);
      }
      const seq = seqOf?.all(spec.name)[0]?.seq;
      const generated = auto !== undefined && (!cols.includes(auto) || values[cols.indexOf(auto)] === null);
      try {
        const n = this.#guard(sql, () => stmt.run(...values), spec.name).changes;
        changes += n;
        if (n > 0) return;
        // Ignored by SQLite, which consumed the id it drew: give it back.
        if (seq !== undefined)
          this.#prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(seq, spec.name);
        return;
      } catch (error) {
        if (!odku || !(error instanceof SqlError) || error.errno !== 1062) throw error;
      }
      const attempt = present(this.#attempts.get(spec.name), 'the attempted row of a duplicate');
      const hit = this.#collision(spec, attempt, generated);
      if (hit === undefined)
        throw new SqlError(1105, 'HY000', 'Unknown error (hasim: duplicate key without a colliding row)');
      const where = spec.primaryKey.length > 0 ? spec.primaryKey : hit.key;
      const update = `UPDATE "${spec.name}" SET ${rows.update} WHERE ${where.map((c) => `"${c}" = ?`).join(' AND ')}`;
      const args = rows.updateArgs.map((a) =>
        'param' in a ? (params[a.param] ?? null) : (attempt[a.column] ?? null),
      );
      changes += this.#guard(
        update,
        () => this.#prepare(update).run(...bind(args), ...where.map((c) => hit.old[c])),
        spec.name,
      ).changes;
    });
    return { changes };
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
    const max = this.#prepare(`SELECT max("${spec.autoIncrement}") AS m FROM "${spec.name}"`).all()[0]?.m;
    return Math.max(floor, Number(seq ?? 0), Number(max ?? 0));
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
    this.#db.exec('BEGIN');
    try {
      const res = this.write(st, params);
      this.#db.exec('COMMIT');
      return res;
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /**
   * REPLACE, row by row, as MariaDB 10.11 sql_insert.cc `write_record` runs it: try the insert; on
   * a duplicate, take the first colliding key in key order (PRIMARY, then the UNIQUE keys); if no
   * unique key follows it (`last_uniq_key`) the old row is UPDATED into the new one (one
   * Update_rows image; nothing at all when the row is identical), otherwise the old row is
   * DELETED and the insert retried. affectedRows = rows inserted + rows deleted or changed; so 2
   * for a plain replace, 1 for an identical one, 3 when the row collides on two keys (verified on
   * 10.11.19 with SHOW BINLOG EVENTS, binlog_format=ROW).
   */
  #replace(
    spec: TableSpec,
    rep: ReplaceSpec,
    params: readonly SqlValue[],
    cap: StatementCapture,
  ): ExecResult {
    const cols = rep.columns ?? spec.columns;
    for (const c of cols) {
      if (!spec.columns.includes(c))
        throw new SqlError(1054, '42S22', `Unknown column '${c}' in 'INSERT INTO'`);
    }
    const tuples = this.#guard(rep.valuesSql, () =>
      this.#prepare(rep.valuesSql)
        .all(...bind(params))
        .map((r) => Object.values(r)),
    );
    const insertSql = `INSERT INTO "${spec.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    const insert = this.#guard(insertSql, () => this.#prepare(insertSql));
    const tally: ReplaceTally = { inserted: 0, replaced: 0, firstGenerated: undefined, lastAuto: undefined };
    tuples.forEach((values, i) => {
      // MariaDB ER_WRONG_VALUE_COUNT_ON_ROW.
      if (values.length !== cols.length) {
        throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${i + 1}`);
      }
      this.#replaceRow(spec, cols, values, { sql: insertSql, stmt: insert }, cap, tally);
    });
    // sql_insert.cc mysql_insert: the first generated id, else the last row's AUTO_INCREMENT value.
    const { inserted, replaced, firstGenerated, lastAuto } = tally;
    const insertId =
      spec.autoIncrement === undefined
        ? undefined
        : (firstGenerated ?? (inserted > 0 ? lastAuto : undefined));
    return {
      rows: [],
      affectedRows: inserted + replaced,
      insertId,
      generatedId: firstGenerated,
      changes: cap.changes,
    };
  }

  /** One row of a REPLACE: insert, or resolve its collisions as write_record does (see `#replace`). */
  #replaceRow(
    spec: TableSpec,
    cols: readonly string[],
    values: unknown[],
    insert: { readonly sql: string; readonly stmt: SqliteStatement },
    cap: StatementCapture,
    tally: ReplaceTally,
  ): void {
    const keys = uniqueKeysInOrder(spec);
    const auto = spec.autoIncrement;
    // A retried row keeps the id it drew: only its first insert attempt counts for the counter.
    const attempts = cap.insertAttempts;
    const attemptsMark = attempts.length;
    const keepFirstAttempt = () => {
      const retries = attempts.splice(attemptsMark + 1);
      const first = attempts[attemptsMark];
      if (first !== undefined && retries.some((r) => r.inserted)) first.inserted = true;
    };
    const autoAt = auto === undefined ? -1 : cols.indexOf(auto);
    const generated = auto !== undefined && (autoAt < 0 || values[autoAt] === null);
    const run = () => {
      const info = this.#guard(insert.sql, () => insert.stmt.run(...values), spec.name);
      tally.inserted++;
      if (auto !== undefined) {
        tally.lastAuto = Number(info.lastInsertRowid);
        if (generated) tally.firstGenerated ??= tally.lastAuto;
      }
    };
    for (;;) {
      try {
        run();
        keepFirstAttempt();
        return;
      } catch (error) {
        if (!(error instanceof SqlError) || error.errno !== 1062) throw error;
        const attempt = present(this.#attempts.get(spec.name), 'the attempted row of a duplicate');
        const hit = this.#collision(spec, attempt, generated);
        if (hit === undefined) throw error;
        const { at, old } = hit;
        if (at < keys.length - 1) {
          // A unique key follows the colliding one: delete the old row and retry the insert.
          this.#applyChange({ op: 'delete', table: spec.name, before: old });
          tally.replaced++;
          continue;
        }
        if (!generated && sameRow(spec, old, attempt)) {
          // HA_ERR_RECORD_IS_THE_SAME: counted as inserted, nothing changed, nothing logged.
          tally.inserted++;
          if (auto !== undefined) tally.lastAuto = Number(old[auto]);
          keepFirstAttempt();
          return;
        }
        // The update is done as delete + insert (so that a generated id is drawn as InnoDB
        // does) and logged as the single Update_rows image MariaDB writes.
        const capture = cap.changes;
        const mark = capture.length;
        this.#applyChange({ op: 'delete', table: spec.name, before: old });
        run();
        tally.replaced++;
        const after = capture[mark + 1];
        if (after?.op === 'write') {
          capture.splice(mark, 2, { op: 'update', table: spec.name, before: old, after: after.after });
        }
        keepFirstAttempt();
        return;
      }
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
    const ddl = events.find((e) => e.kind === 'ddl');
    if (ddl !== undefined) {
      this.applyDdl(ddl as Extract<ReplEvent, { kind: 'ddl' }>);
      return;
    }
    this.#db.exec('BEGIN');
    try {
      for (const e of events) if (e.kind === 'rows') this.#applyChange(e.change);
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Executes DDL (CREATE / DROP / TRUNCATE), keeping table metadata and capture triggers. */
  applyDdl(ddl: Extract<ReplEvent, { kind: 'ddl' }>): void {
    const { spec, table } = ddl;
    if (spec !== undefined) {
      if (this.#tables.has(table)) {
        if (/IF NOT EXISTS/i.test(ddl.sql)) return;
        throw new SqlError(1050, '42S01', `Table '${table}' already exists`);
      }
      for (const s of spec.sqlite) this.#guard(s, () => this.#db.exec(s));
      this.#db.exec(triggers(spec));
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

  #applyChange(change: RowChange): void {
    const spec = this.#tables.get(change.table);
    if (spec === undefined) throw noSuchTable(this.#database, change.table);
    if (change.op === 'write') {
      const cols = Object.keys(change.after);
      const sql = `INSERT INTO "${spec.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
      this.#guard(sql, () => this.#prepare(sql).run(...cols.map((c) => change.after[c])), spec.name);
      return;
    }
    // Rows are found by primary key (all columns when the table has none), as the replica's
    // row applier looks them up (MariaDB log_event_server.cc Rows_log_event::find_row).
    const keyCols = spec.primaryKey.length > 0 ? spec.primaryKey : Object.keys(change.before);
    const where = keyCols.map((c) => `"${c}" IS ?`).join(' AND ');
    const keyVals = keyCols.map((c) => change.before[c]);
    let changed: number;
    if (change.op === 'update') {
      const cols = Object.keys(change.after);
      const sql = `UPDATE "${spec.name}" SET ${cols.map((c) => `"${c}" = ?`).join(', ')} WHERE ${where}`;
      changed = this.#guard(
        sql,
        () => this.#prepare(sql).run(...cols.map((c) => change.after[c]), ...keyVals),
        spec.name,
      ).changes;
    } else {
      const sql = `DELETE FROM "${spec.name}" WHERE ${where}`;
      changed = this.#prepare(sql).run(...keyVals).changes;
    }
    // MariaDB: HA_ERR_KEY_NOT_FOUND surfaces as ER_KEY_NOT_FOUND 1032.
    if (changed === 0) throw new SqlError(1032, 'HY000', `Can't find record in '${spec.name}'`);
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
      if (error instanceof SqlError) throw error;
      // The row number counts the rows the statement already wrote (sql_class.cc current_row_for_warning).
      const row = (this.#capture?.changes.length ?? 0) + 1;
      const state = { database: this.#database, tables: this.#tables, attempts: this.#attempts, row };
      throw translateSqliteError(error, sql, table, state);
    }
  }
}
