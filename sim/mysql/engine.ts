import { createRequire } from 'node:module';
import { SqlError, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import {
  type InsertRows,
  type ReplaceSpec,
  syntaxError,
  type TableSpec,
  type WriteStatement,
} from './dialect.ts';

// better-sqlite3 ships no types here; this is the part of its API the engine uses.
interface SqliteStatement {
  readonly reader: boolean;
  columns(): { name: string; type: string | null }[];
  all(...params: unknown[]): Record<string, unknown>[];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  function(
    name: string,
    options: { deterministic: boolean; varargs?: boolean },
    fn: (...args: unknown[]) => unknown,
  ): void;
  readonly inTransaction: boolean;
}
type SqliteConstructor = new (filename: string) => SqliteDatabase;
const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteConstructor;

/** One row change in a row-based binlog event (MariaDB Write_rows / Update_rows / Delete_rows). */
export type RowChange =
  | { readonly op: 'write'; readonly table: string; readonly after: SqlRow }
  | { readonly op: 'update'; readonly table: string; readonly before: SqlRow; readonly after: SqlRow }
  | { readonly op: 'delete'; readonly table: string; readonly before: SqlRow };

/** A binlog event of a group: row changes, or a DDL statement (a Query event, re-executed). */
export type ReplEvent =
  | { readonly kind: 'rows'; readonly change: RowChange }
  | { readonly kind: 'ddl'; readonly sql: string; readonly table: string; readonly spec?: TableSpec };

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
 * A node's storage: one in-memory SQLite database holding the node's real data, plus table
 * metadata. Row images are captured with triggers calling a JS function, so that a write statement
 * yields its row changes for the row-based binlog (binlog_format=ROW), and replicas apply row
 * changes instead of re-running SQL. Everything is synchronous; the node charges virtual time.
 */
export class Engine {
  readonly #db: SqliteDatabase;
  readonly #tables = new Map<string, TableSpec>();
  readonly #database: string;
  #capture: RowChange[] | null = null;
  readonly #attempts = new Map<string, SqlRow>();
  // Whether the last row SQLite tried to insert draws a generated AUTO_INCREMENT id (SQLite shows
  // NEW.rowid as -1 in a BEFORE INSERT trigger when it will generate it), and the ids so drawn
  // by the running statement.
  #drawing = false;
  #generated: number[] = [];
  // The AUTO_INCREMENT value of each row SQLite tried to insert in the running statement, in
  // order (-1 = to be generated), and each table's counter floor: the InnoDB counter the node has
  // advanced past, kept outside SQLite so that rolled-back statements and transactions keep it.
  #insertAttempts: { id: number; inserted: boolean }[] = [];
  // Rows the running statement tried to update (its matched rows, skipped ones included).
  #updateAttempts = 0;
  readonly #autoFloor = new Map<string, number>();
  readonly #stmts = new Map<string, SqliteStatement>();

  constructor(database: string, host: EngineHost) {
    this.#database = database;
    this.#db = new Database(':memory:');
    this.#db.function('__hasim_row', { deterministic: false }, (table, op, before, after) => {
      if (this.#capture === null) return null;
      const t = String(table);
      const b = before === null ? undefined : (JSON.parse(String(before)) as SqlRow);
      const a = after === null ? undefined : (JSON.parse(String(after)) as SqlRow);
      if (op === 'write') {
        this.#capture.push({ op: 'write', table: t, after: a! });
        const auto = this.#tables.get(t)?.autoIncrement;
        if (this.#drawing && auto !== undefined) this.#generated.push(Number(a![auto]));
        this.#drawing = false;
        const attempt = this.#insertAttempts.at(-1);
        if (attempt !== undefined) attempt.inserted = true;
      } else if (op === 'update') this.#capture.push({ op: 'update', table: t, before: b!, after: a! });
      else this.#capture.push({ op: 'delete', table: t, before: b! });
      return null;
    });
    // Remembers the last row SQLite tried to write, so a duplicate-key error can name the value
    // as MariaDB does (SQLite's message names only the columns).
    this.#db.function('__hasim_attempt', { deterministic: false }, (table, row, op) => {
      const attempt = JSON.parse(String(row)) as SqlRow;
      this.#attempts.set(String(table), attempt);
      if (op === 'update') this.#updateAttempts++;
      if (op === 'insert') {
        const auto = this.#tables.get(String(table))?.autoIncrement;
        this.#drawing = auto !== undefined && attempt[auto] === -1;
        if (auto !== undefined) this.#insertAttempts.push({ id: Number(attempt[auto]), inserted: false });
      }
      return null;
    });
    this.#db.function('__hasim_now', { deterministic: false }, () => formatDatetime(host.nowMs()));
    this.#db.function('__hasim_unix_timestamp', { deterministic: false }, () =>
      Math.floor(host.nowMs() / 1000),
    );
    this.#db.function('__hasim_last_insert_id', { deterministic: false }, () => host.lastInsertId());
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
      // mysql2 answers DECIMAL as a string with the column's scale ('1.50'); SQLite as a number.
      const decimals: [string, number][] = [];
      for (const c of stmt.columns()) {
        const scale = /^DECIMAL\(\d+,(\d+)\)$/.exec(c.type ?? '')?.[1];
        if (scale !== undefined) decimals.push([c.name, Number(scale)]);
      }
      for (const row of rows) {
        for (const [name, scale] of decimals) {
          const v = row[name];
          if (typeof v === 'number') row[name] = v.toFixed(scale);
        }
      }
      return rows;
    });
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
    const captured: RowChange[] = [];
    this.#capture = captured;
    this.#generated = [];
    this.#insertAttempts = [];
    this.#updateAttempts = 0;
    const counter = spec.autoIncrement === undefined ? 0 : this.#raiseCounter(spec);
    try {
      if (replace !== undefined) return this.#replace(spec, replace, params, captured);
      const rowwise =
        st.rows !== undefined &&
        (st.rows.update !== undefined || (st.rows.ignore && spec.autoIncrement !== undefined));
      const info = rowwise
        ? this.#insertRows(spec, st.rows!, params)
        : this.#guard(sql, () => this.#prepare(sql).run(...bind(params)), table);
      // A row updated to its current values is not changed, so not logged (InnoDB answers
      // HA_ERR_RECORD_IS_THE_SAME; verified: a no-op UPDATE writes no GTID on 10.11.19).
      const changes = captured.filter((c) => c.op !== 'update' || !sameRow(spec, c.before, c.after));
      if (!/^\s*INSERT/i.test(sql)) {
        // UPDATE IGNORE: a row skipped for a duplicate key still counts as matched (CLIENT_FOUND_ROWS).
        const affectedRows = /^UPDATE OR IGNORE\b/i.test(sql) ? this.#updateAttempts : info.changes;
        return { rows: [], affectedRows, insertId: undefined, generatedId: undefined, changes };
      }
      // INSERT (… ON DUPLICATE KEY UPDATE), sql_insert.cc write_record: 1 per row inserted, 2 per
      // row updated, and, as mysql2 connects with CLIENT_FOUND_ROWS, 1 per row left unchanged.
      const unchanged = captured.length - changes.length;
      const affectedRows = changes.reduce((n, c) => n + (c.op === 'update' ? 2 : 1), unchanged);
      const generatedId = this.#generated[0];
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
    } finally {
      this.#capture = null;
      if (spec.autoIncrement !== undefined) this.#reserve(spec, counter, st.tuples);
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
    for (let k = 0; k < keys.length; k++) {
      const kcols = keys[k]!;
      // A generated id collides with nothing; NULL never collides in a UNIQUE key.
      if (generated && spec.autoIncrement !== undefined && kcols.includes(spec.autoIncrement)) continue;
      if (kcols.some((c) => row[c] === null || row[c] === undefined)) continue;
      const sql = `SELECT * FROM "${spec.name}" WHERE ${kcols.map((c) => `"${c}" = ?`).join(' AND ')}`;
      const old = this.#prepare(sql).all(...kcols.map((c) => row[c]))[0] as SqlRow | undefined;
      if (old !== undefined) return { at: k, old, key: kcols };
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
      const attempt = this.#attempts.get(spec.name)!;
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
  #reserve(spec: TableSpec, start: number, tuples: number | undefined): void {
    let counter = start;
    let first: number | undefined;
    for (const { id, inserted } of this.#insertAttempts) {
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
  #replace(spec: TableSpec, rep: ReplaceSpec, params: readonly SqlValue[], capture: RowChange[]): ExecResult {
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
    const keys = uniqueKeysInOrder(spec);
    const auto = spec.autoIncrement;
    let inserted = 0;
    let replaced = 0;
    let firstGenerated: number | undefined;
    let lastAuto: number | undefined;
    tuples.forEach((values, i) => {
      // MariaDB ER_WRONG_VALUE_COUNT_ON_ROW.
      if (values.length !== cols.length) {
        throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${i + 1}`);
      }
      // A retried row keeps the id it drew: only its first insert attempt counts for the counter.
      const attemptsMark = this.#insertAttempts.length;
      const keepFirstAttempt = () => {
        const retries = this.#insertAttempts.splice(attemptsMark + 1);
        const first = this.#insertAttempts[attemptsMark];
        if (first !== undefined && retries.some((r) => r.inserted)) first.inserted = true;
      };
      const autoAt = auto === undefined ? -1 : cols.indexOf(auto);
      const generated = auto !== undefined && (autoAt < 0 || values[autoAt] === null);
      const run = () => {
        const info = this.#guard(insertSql, () => insert.run(...values), spec.name);
        inserted++;
        if (auto !== undefined) {
          lastAuto = Number(info.lastInsertRowid);
          if (generated) firstGenerated ??= lastAuto;
        }
      };
      for (;;) {
        try {
          run();
          keepFirstAttempt();
          return;
        } catch (error) {
          if (!(error instanceof SqlError) || error.errno !== 1062) throw error;
          const attempt = this.#attempts.get(spec.name)!;
          const hit = this.#collision(spec, attempt, generated);
          if (hit === undefined) throw error;
          const { at, old } = hit;
          if (at < keys.length - 1) {
            this.#applyChange({ op: 'delete', table: spec.name, before: old });
            replaced++;
            continue;
          }
          if (!generated && sameRow(spec, old, attempt)) {
            // HA_ERR_RECORD_IS_THE_SAME: counted as inserted, nothing changed, nothing logged.
            inserted++;
            if (auto !== undefined) lastAuto = Number(old[auto]);
            keepFirstAttempt();
            return;
          }
          // The update is done as delete + insert (so that a generated id is drawn as InnoDB
          // does) and logged as the single Update_rows image MariaDB writes.
          const mark = capture.length;
          this.#applyChange({ op: 'delete', table: spec.name, before: old });
          run();
          replaced++;
          const after = capture[mark + 1];
          if (after?.op === 'write') {
            capture.splice(mark, 2, { op: 'update', table: spec.name, before: old, after: after.after });
          }
          keepFirstAttempt();
          return;
        }
      }
    });
    // sql_insert.cc mysql_insert: the first generated id, else the last row's AUTO_INCREMENT value.
    const insertId =
      auto === undefined ? undefined : (firstGenerated ?? (inserted > 0 ? lastAuto : undefined));
    return {
      rows: [],
      affectedRows: inserted + replaced,
      insertId,
      generatedId: firstGenerated,
      changes: capture,
    };
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

  // Maps SQLite errors to the MariaDB errors a client of the real server would get.
  #guard<T>(sql: string, fn: () => T, table?: string): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof SqlError) throw error;
      const e = error as { code?: string; message?: string };
      const msg = e.message ?? String(error);
      if (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw this.#duplicate(msg, table);
      }
      if (e.code === 'SQLITE_CONSTRAINT_CHECK' || e.code === 'SQLITE_MISMATCH') {
        const spec = table === undefined ? undefined : this.#tables.get(table);
        const check = /CHECK constraint failed: hasim_(len|int)__(\w+)/.exec(msg);
        const col = check?.[2] ?? spec?.autoIncrement;
        // The row number counts the rows the statement already wrote (sql_class.cc current_row_for_warning).
        const row = (this.#capture?.length ?? 0) + 1;
        if (check?.[1] === 'len') {
          throw new SqlError(1406, '22001', `Data too long for column '${col}' at row ${row}`);
        }
        if (spec !== undefined && col !== undefined) {
          const value = String(this.#attempts.get(spec.name)?.[col] ?? '');
          throw new SqlError(
            1366,
            '22007',
            `Incorrect integer value: '${value}' for column \`${this.#database}\`.\`${spec.name}\`.\`${col}\` at row ${row}`,
          );
        }
      }
      if (e.code === 'SQLITE_CONSTRAINT_NOTNULL') {
        const col = /NOT NULL constraint failed: \w+\.(\w+)/.exec(msg)?.[1] ?? '?';
        // Strict mode (STRICT_TRANS_TABLES, the server default): a NOT NULL column without a
        // default that the INSERT leaves out is ER_NO_DEFAULT_FOR_FIELD, not ER_BAD_NULL_ERROR.
        const list = /^\s*(?:INSERT|REPLACE)\b[^(]*\(([^)]*)\)\s*VALUES?\b/i.exec(sql)?.[1];
        if (list !== undefined && !list.split(',').some((c) => c.trim().replace(/[`"]/g, '') === col)) {
          throw new SqlError(1364, 'HY000', `Field '${col}' doesn't have a default value`);
        }
        throw new SqlError(1048, '23000', `Column '${col}' cannot be null`);
      }
      let m = /no such table: (\w+)/.exec(msg);
      if (m) throw noSuchTable(this.#database, m[1]!);
      m = /no such column: ([\w.]+)/.exec(msg);
      if (m) throw new SqlError(1054, '42S22', `Unknown column '${m[1]}' in '${columnContext(sql, m[1]!)}'`);
      m = /cannot join using column (\w+)/.exec(msg);
      if (m) throw new SqlError(1054, '42S22', `Unknown column '${m[1]}' in 'FROM'`);
      m = /has no column named (\w+)/.exec(msg);
      if (m) throw new SqlError(1054, '42S22', `Unknown column '${m[1]}' in 'INSERT INTO'`);
      // ER_WRONG_VALUE_COUNT_ON_ROW; SQLite checks the first tuple against the column list.
      if (/\d+ values for \d+ columns/.test(msg)) {
        throw new SqlError(1136, '21S01', "Column count doesn't match value count at row 1");
      }
      if (/syntax error|incomplete input/.test(msg)) throw syntaxError(sql, msg);
      m = /no such function: (\w+)/.exec(msg);
      if (m) throw syntaxError(sql, `function ${m[1]} is not simulated`);
      throw new SqlError(1105, 'HY000', `Unknown error (hasim: SQLite said ${msg})`);
    }
  }

  #duplicate(msg: string, table: string | undefined): SqlError {
    const cols = (/constraint failed: (.*)$/.exec(msg)?.[1] ?? '')
      .split(', ')
      .map((c) => c.split('.')[1] ?? c);
    const tableName = table ?? /constraint failed: (\w+)\./.exec(msg)?.[1] ?? '';
    const spec = this.#tables.get(tableName);
    let key = 'PRIMARY';
    if (spec !== undefined && !sameColumns(spec.primaryKey, cols)) {
      for (const [name, kcols] of spec.uniqueKeys) if (sameColumns(kcols, cols)) key = name;
    }
    const row = this.#attempts.get(tableName);
    // MariaDB joins the values of a multi-column key with '-' (key_unpack).
    const value = row === undefined ? '' : cols.map((c) => String(row[c] ?? 'NULL')).join('-');
    return new SqlError(1062, '23000', `Duplicate entry '${value}' for key '${key}'`);
  }
}

/** PRIMARY, then the UNIQUE keys as declared: the order InnoDB checks them in. */
function uniqueKeysInOrder(spec: TableSpec): (readonly string[])[] {
  const keys: (readonly string[])[] = [];
  if (spec.primaryKey.length > 0) keys.push(spec.primaryKey);
  keys.push(...spec.uniqueKeys.values());
  return keys;
}

const sameRow = (spec: TableSpec, a: SqlRow, b: SqlRow) => spec.columns.every((c) => sameValue(a[c], b[c]));

const sameValue = (a: SqlValue | undefined, b: SqlValue | undefined) =>
  a === null || a === undefined || b === null || b === undefined
    ? (a ?? null) === (b ?? null)
    : String(a) === String(b);

const sameColumns = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((c, i) => c === b[i]);

/**
 * The clause MariaDB 10.11 names in ER_BAD_FIELD_ERROR ("Unknown column 'x' in 'WHERE'"): the
 * clause of the column's first mention (all observed on 10.11.19: 'SELECT', 'FROM' (JOIN … USING),
 * 'ON', 'WHERE', 'GROUP BY', 'HAVING', 'ORDER BY', 'SET', 'VALUES'; an INSERT column list is
 * 'INSERT INTO').
 */
function columnContext(sql: string, column: string): string {
  const name = column.split('.').at(-1)!;
  const at = new RegExp(`\\b${name}\\b`, 'i').exec(sql)?.index ?? 0;
  const clauses = /\b(SELECT|FROM|WHERE|GROUP BY|HAVING|ORDER BY|SET|ON|VALUES)\b/gi;
  let clause = 'field list';
  for (let k = clauses.exec(sql); k !== null && k.index < at; k = clauses.exec(sql)) {
    clause = k[1]!.toUpperCase().replace(/\s+/g, ' ');
  }
  return clause;
}

function noSuchTable(database: string, table: string): SqlError {
  return new SqlError(1146, '42S02', `Table '${database}.${table}' doesn't exist`);
}

function triggers(spec: TableSpec): string {
  const obj = (alias: string) =>
    `json_object(${spec.columns.map((c) => `'${c}', ${alias}."${c}"`).join(', ')})`;
  const t = spec.name;
  return [
    `CREATE TRIGGER "${t}__bi" BEFORE INSERT ON "${t}" BEGIN SELECT __hasim_attempt('${t}', ${obj('NEW')}, 'insert'); END;`,
    `CREATE TRIGGER "${t}__bu" BEFORE UPDATE ON "${t}" BEGIN SELECT __hasim_attempt('${t}', ${obj('NEW')}, 'update'); END;`,
    `CREATE TRIGGER "${t}__ai" AFTER INSERT ON "${t}" BEGIN SELECT __hasim_row('${t}', 'write', NULL, ${obj('NEW')}); END;`,
    `CREATE TRIGGER "${t}__au" AFTER UPDATE ON "${t}" BEGIN SELECT __hasim_row('${t}', 'update', ${obj('OLD')}, ${obj('NEW')}); END;`,
    `CREATE TRIGGER "${t}__ad" AFTER DELETE ON "${t}" BEGIN SELECT __hasim_row('${t}', 'delete', ${obj('OLD')}, NULL); END;`,
  ].join('\n');
}

function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) =>
    typeof p === 'boolean' ? (p ? 1 : 0) : p instanceof Uint8Array ? Buffer.from(p) : p,
  );
}

/** 'YYYY-MM-DD HH:MM:SS' for a virtual-clock time (ms from the Unix epoch 0). */
export function formatDatetime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const days = Math.floor(s / 86400);
  const rem = s - days * 86400;
  // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil inverse).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const mo = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (mo <= 2 ? 1 : 0);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${y}-${p(mo)}-${p(d)} ${p(Math.floor(rem / 3600))}:${p(Math.floor((rem % 3600) / 60))}:${p(rem % 60)}`;
}
