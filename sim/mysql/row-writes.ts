import { present } from '../../src/assert.ts';
import { SqlError, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import type { RowChange } from './binlog.ts';
import { type InsertRows, type ReplaceSpec, sameRow, type TableSpec, uniqueKeysInOrder } from './dialect.ts';
import type { ExecResult } from './engine.ts';
import { bind, engineRow, type SqliteStatement } from './sqlite.ts';

// The writes the engine runs one row at a time, as MariaDB's sql_insert.cc write_record does,
// where SQLite's own upsert / REPLACE would pick other rows or log other images.

/** What the row-at-a-time writers use of the engine. */
export interface RowAccess {
  /** Runs `fn`, turning a SQLite error into the MariaDB error. */
  guard<T>(sql: string, fn: () => T, table?: string): T;
  /** The prepared statement for `sql` (cached). */
  prepare(sql: string): SqliteStatement;
  /** Applies one row change (a replica's row apply; REPLACE's delete). */
  applyChange(change: RowChange): void;
  /** The last row SQLite tried to write into `table`. */
  attempt(table: string): SqlRow | undefined;
}

/**
 * What the capture triggers record while one write statement runs: created by `write` for each
 * statement and dropped when it ends, so nothing of one statement leaks into the next.
 */
export class StatementCapture {
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
 * The row a new row collides with: the first unique key in key order (PRIMARY, then UNIQUE keys
 * as declared) holding the new row's values, as InnoDB reports the first violated index.
 */
export function collision(
  db: RowAccess,
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
    const found = db.prepare(sql).all(...kcols.map((c) => row[c]))[0];
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
export function insertRows(
  db: RowAccess,
  spec: TableSpec,
  rows: InsertRows,
  params: readonly SqlValue[],
): { changes: number } {
  const cols = rows.columns ?? spec.columns;
  const tuples = db.guard(rows.valuesSql, () =>
    db
      .prepare(rows.valuesSql)
      .all(...bind(params.slice(0, rows.valueParams)))
      .map((r) => Object.values(r)),
  );
  const odku = rows.update !== undefined;
  const head = rows.ignore && !odku ? 'INSERT OR IGNORE' : 'INSERT';
  const sql = `${head} INTO "${spec.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
  const stmt = db.guard(sql, () => db.prepare(sql), spec.name);
  const auto = spec.autoIncrement;
  // sqlite_sequence exists once an AUTOINCREMENT table does.
  const seqOf = auto === undefined ? undefined : db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?');
  let changes = 0;
  tuples.forEach((values, i) => {
    if (values.length !== cols.length) {
      throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${i + 1}`);
    }
    const seq = seqOf?.all(spec.name)[0]?.seq;
    const generated = auto !== undefined && (!cols.includes(auto) || values[cols.indexOf(auto)] === null);
    try {
      const n = db.guard(sql, () => stmt.run(...values), spec.name).changes;
      changes += n;
      if (n > 0) return;
      // Ignored by SQLite, which consumed the id it drew: give it back.
      if (seq !== undefined)
        db.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(seq, spec.name);
      return;
    } catch (error) {
      if (!odku || !(error instanceof SqlError) || error.errno !== 1062) throw error;
    }
    const attempt = present(db.attempt(spec.name), 'the attempted row of a duplicate');
    const hit = collision(db, spec, attempt, generated);
    if (hit === undefined)
      throw new SqlError(1105, 'HY000', 'Unknown error (hasim: duplicate key without a colliding row)');
    const where = spec.primaryKey.length > 0 ? spec.primaryKey : hit.key;
    const update = `UPDATE "${spec.name}" SET ${rows.update} WHERE ${where.map((c) => `"${c}" = ?`).join(' AND ')}`;
    const args = rows.updateArgs.map((a) =>
      'param' in a ? (params[a.param] ?? null) : (attempt[a.column] ?? null),
    );
    changes += db.guard(
      update,
      () => db.prepare(update).run(...bind(args), ...where.map((c) => hit.old[c])),
      spec.name,
    ).changes;
  });
  return { changes };
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
export function replaceRows(
  db: RowAccess,
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
  const tuples = db.guard(rep.valuesSql, () =>
    db
      .prepare(rep.valuesSql)
      .all(...bind(params))
      .map((r) => Object.values(r)),
  );
  const insertSql = `INSERT INTO "${spec.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
  const insert = db.guard(insertSql, () => db.prepare(insertSql));
  const tally: ReplaceTally = { inserted: 0, replaced: 0, firstGenerated: undefined, lastAuto: undefined };
  tuples.forEach((values, i) => {
    // MariaDB ER_WRONG_VALUE_COUNT_ON_ROW.
    if (values.length !== cols.length) {
      throw new SqlError(1136, '21S01', `Column count doesn't match value count at row ${i + 1}`);
    }
    replaceRow(db, spec, cols, values, { sql: insertSql, stmt: insert }, cap, tally);
  });
  // sql_insert.cc mysql_insert: the first generated id, else the last row's AUTO_INCREMENT value.
  const { inserted, replaced, firstGenerated, lastAuto } = tally;
  const insertId =
    spec.autoIncrement === undefined ? undefined : (firstGenerated ?? (inserted > 0 ? lastAuto : undefined));
  return {
    rows: [],
    affectedRows: inserted + replaced,
    insertId,
    generatedId: firstGenerated,
    changes: cap.changes,
  };
}

/** One row of a REPLACE: insert, or resolve its collisions as write_record does (see `#replace`). */
function replaceRow(
  db: RowAccess,
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
    const info = db.guard(insert.sql, () => insert.stmt.run(...values), spec.name);
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
      const attempt = present(db.attempt(spec.name), 'the attempted row of a duplicate');
      const hit = collision(db, spec, attempt, generated);
      if (hit === undefined) throw error;
      const { at, old } = hit;
      if (at < keys.length - 1) {
        // A unique key follows the colliding one: delete the old row and retry the insert.
        db.applyChange({ op: 'delete', table: spec.name, before: old });
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
      db.applyChange({ op: 'delete', table: spec.name, before: old });
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
