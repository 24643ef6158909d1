import { SqlError, type SqlRow } from '../../src/ports/sql.ts';
import { sameColumns, type TableSpec } from './dialect.ts';
import { syntaxError } from './errors.ts';

// SQLite's errors mapped to the MariaDB errors a client of the real server would get: the
// constraint errors by their code (they name the attempted row, from the engine's state), the
// rest by a table of message patterns.

/** What the engine knows that an error text needs. */
export interface ErrorState {
  readonly database: string;
  readonly tables: ReadonlyMap<string, TableSpec>;
  /** The last row SQLite tried to write, per table. */
  readonly attempts: ReadonlyMap<string, SqlRow>;
  /** The running statement's row number (1-based, sql_class.cc current_row_for_warning). */
  readonly row: number;
  /** The columns of the first unique key (in key order) on which `row` collides with a stored row. */
  firstCollision(spec: TableSpec, row: SqlRow): readonly string[] | undefined;
}

/** The MariaDB error for an error SQLite threw running `sql` (on `table`, when the caller knows it). */
export function translateSqliteError(
  error: unknown,
  sql: string,
  table: string | undefined,
  state: ErrorState,
): SqlError {
  const e = error as { code?: string; message?: string };
  const msg = e.message ?? String(error);
  if (e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return duplicateEntry(msg, sql, table, state);
  }
  if (e.code === 'SQLITE_CONSTRAINT_CHECK' || e.code === 'SQLITE_MISMATCH') {
    const bad = badValue(msg, table, state);
    if (bad !== undefined) return bad;
  }
  if (e.code === 'SQLITE_CONSTRAINT_NOTNULL') return notNullError(msg, sql);
  return errorFromMessage(msg, sql, state.database);
}

// A CHECK constraint of the column types (hasim_len__col, hasim_bytes_N__col, hasim_int__col) or a
// datatype mismatch on the AUTO_INCREMENT column: ER_DATA_TOO_LONG, ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
// or the incorrect string value of a cut character.
function badValue(msg: string, table: string | undefined, state: ErrorState): SqlError | undefined {
  const spec = table === undefined ? undefined : state.tables.get(table);
  const check = /CHECK constraint failed: hasim_(len|int|bytes_(\d+))__(\w+)/.exec(msg);
  const col = check?.[3] ?? spec?.autoIncrement;
  const { row } = state;
  const tooLong = new SqlError(1406, '22001', `Data too long for column '${col}' at row ${row}`);
  if (check?.[1] === 'len') return tooLong;
  if (spec !== undefined && col !== undefined) {
    const value = state.attempts.get(spec.name)?.[col];
    const where = `\`${state.database}\`.\`${spec.name}\`.\`${col}\` at row ${row}`;
    if (check?.[2] !== undefined) {
      const cut = cutCharacter(String(value ?? ''), Number(check[2]));
      return cut === undefined
        ? tooLong
        : new SqlError(1366, '22007', `Incorrect string value: '${cut}' for column ${where}`);
    }
    return new SqlError(
      1366,
      '22007',
      `Incorrect integer value: '${String(value ?? '')}' for column ${where}`,
    );
  }
  return undefined;
}

/**
 * Strict mode cuts a too-long string at `limitBytes` first (Field_blob::store,
 * well_formed_copy_nchars): when the cut falls inside a character, the error is not 1406 but
 * 1366 naming the bytes from that character on, as strfunc.cc convert_to_printable writes them
 * (printable ASCII as itself, other bytes as \xHH, at most 6, then '...'). Observed on 10.11.19:
 * 'é' x 32768 in a TEXT → `Incorrect string value: '\xC3\xA9'`. Undefined when the cut falls
 * between characters (then it is 1406).
 */
function cutCharacter(value: string, limitBytes: number): string | undefined {
  const bytes = Buffer.from(value, 'utf8');
  let at = limitBytes;
  while (at > 0 && ((bytes[at] ?? 0) & 0xc0) === 0x80) at--; // back to the start of the cut character
  if (at === limitBytes) return undefined;
  const shown = [...bytes.subarray(at, at + 6)]
    .map((b) =>
      b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
  return bytes.length - at > 6 ? `${shown}...` : shown;
}

// ER_DUP_ENTRY (1062), naming the key and the attempted row's values as MariaDB does (SQLite's
// message names only the columns). A new row that collides on several keys is reported on the
// first in key order, PRIMARY first (InnoDB inserts into the clustered index before the
// secondary ones; observed on 10.11.19), where SQLite may name another.
function duplicateEntry(msg: string, sql: string, table: string | undefined, state: ErrorState): SqlError {
  let cols = (/constraint failed: (.*)$/.exec(msg)?.[1] ?? '').split(', ').map((c) => c.split('.')[1] ?? c);
  const tableName = table ?? /constraint failed: (\w+)\./.exec(msg)?.[1] ?? '';
  const spec = state.tables.get(tableName);
  const row = state.attempts.get(tableName);
  if (spec !== undefined && row !== undefined && /^\s*INSERT\b/i.test(sql))
    cols = [...(state.firstCollision(spec, row) ?? cols)];
  let key = 'PRIMARY';
  if (spec !== undefined && !sameColumns(spec.primaryKey, cols)) {
    for (const [name, kcols] of spec.uniqueKeys) if (sameColumns(kcols, cols)) key = name;
  }
  // MariaDB joins the values of a multi-column key with '-' (key_unpack).
  const value = row === undefined ? '' : cols.map((c) => String(row[c] ?? 'NULL')).join('-');
  return new SqlError(1062, '23000', `Duplicate entry '${value}' for key '${key}'`);
}

/** What a rule sees: the SQLite message, the statement and the database name. */
interface ErrorContext {
  readonly msg: string;
  readonly sql: string;
  readonly database: string;
}

/** A SQLite message pattern and the MariaDB error it becomes. */
type MessageRule = readonly [pattern: RegExp, error: (m: RegExpExecArray, c: ErrorContext) => SqlError];

/** Tried in order; the first pattern that matches the message decides. */
const MESSAGE_RULES: readonly MessageRule[] = [
  [/no such table: (\w+)/, (m, c) => noSuchTable(c.database, m[1] ?? '')],
  [
    /no such column: ([\w.]+)/,
    (m, c) =>
      new SqlError(1054, '42S22', `Unknown column '${m[1]}' in '${columnContext(c.sql, m[1] ?? '')}'`),
  ],
  [
    /cannot join using column (\w+)/,
    (m) => new SqlError(1054, '42S22', `Unknown column '${m[1]}' in 'FROM'`),
  ],
  [
    /has no column named (\w+)/,
    (m) => new SqlError(1054, '42S22', `Unknown column '${m[1]}' in 'INSERT INTO'`),
  ],
  // ER_WRONG_VALUE_COUNT_ON_ROW; SQLite checks the first tuple against the column list.
  [
    /\d+ values for \d+ columns/,
    () => new SqlError(1136, '21S01', "Column count doesn't match value count at row 1"),
  ],
  [/syntax error|incomplete input/, (_m, c) => syntaxError(c.sql, c.msg)],
  [/no such function: (\w+)/, (m, c) => syntaxError(c.sql, `function ${m[1]} is not simulated`)],
];

/** The MariaDB error for a SQLite error message; ER_UNKNOWN_ERROR (1105) naming it when no rule fits. */
function errorFromMessage(msg: string, sql: string, database: string): SqlError {
  const context: ErrorContext = { msg, sql, database };
  for (const [pattern, error] of MESSAGE_RULES) {
    const m = pattern.exec(msg);
    if (m) return error(m, context);
  }
  return new SqlError(1105, 'HY000', `Unknown error (hasim: SQLite said ${msg})`);
}

/**
 * SQLITE_CONSTRAINT_NOTNULL. Strict mode (STRICT_TRANS_TABLES, the server default): a NOT NULL
 * column without a default that the INSERT leaves out is ER_NO_DEFAULT_FOR_FIELD, not ER_BAD_NULL_ERROR.
 */
function notNullError(msg: string, sql: string): SqlError {
  const col = /NOT NULL constraint failed: \w+\.(\w+)/.exec(msg)?.[1] ?? '?';
  const list = /^\s*(?:INSERT|REPLACE)\b[^(]*\(([^)]*)\)\s*VALUES?\b/i.exec(sql)?.[1];
  if (list !== undefined && !list.split(',').some((c) => c.trim().replace(/[`"]/g, '') === col)) {
    return new SqlError(1364, 'HY000', `Field '${col}' doesn't have a default value`);
  }
  return new SqlError(1048, '23000', `Column '${col}' cannot be null`);
}

/** ER_NO_SUCH_TABLE (1146). */
export function noSuchTable(database: string, table: string): SqlError {
  return new SqlError(1146, '42S02', `Table '${database}.${table}' doesn't exist`);
}

/**
 * The clause MariaDB 10.11 names in ER_BAD_FIELD_ERROR ("Unknown column 'x' in 'WHERE'"): the
 * clause of the column's first mention (all observed on 10.11.19: 'SELECT', 'FROM' (JOIN … USING),
 * 'ON', 'WHERE', 'GROUP BY', 'HAVING', 'ORDER BY', 'SET', 'VALUES'; an INSERT column list is
 * 'INSERT INTO').
 */
function columnContext(sql: string, column: string): string {
  const name = column.split('.').at(-1) ?? column;
  const at = new RegExp(`\\b${name}\\b`, 'i').exec(sql)?.index ?? 0;
  const clauses = /\b(SELECT|FROM|WHERE|GROUP BY|HAVING|ORDER BY|SET|ON|VALUES)\b/gi;
  let clause = 'field list';
  for (let k = clauses.exec(sql); k !== null && k.index < at; k = clauses.exec(sql)) {
    clause = (k[1] ?? '').toUpperCase().replace(/\s+/g, ' ');
  }
  return clause;
}
