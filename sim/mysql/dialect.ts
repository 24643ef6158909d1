import { SqlError, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';

/**
 * The small MySQL dialect the simulated nodes understand, classified and translated to SQLite.
 * This is not a SQL engine: statements are recognised by their leading keywords, the few
 * MySQL-only spellings are rewritten, and SQLite (better-sqlite3) executes them. docs/mysql.md
 * lists what is supported; anything else fails with MySQL's syntax error 1064, naming the part.
 */
export type Statement =
  | { readonly kind: 'select'; readonly sql: string }
  | {
      readonly kind: 'write';
      readonly sql: string;
      readonly table: string;
      /** Present for `REPLACE`: run row by row by the engine (MariaDB sql_insert.cc write_record). */
      readonly replace?: ReplaceSpec;
      /** Rows of an `INSERT|REPLACE … VALUES` statement (InnoDB reserves that many ids). */
      readonly tuples?: number;
      /** An `INSERT … VALUES` taken apart, for the engine to run row by row when it must. */
      readonly rows?: InsertRows;
    }
  | {
      readonly kind: 'createTable';
      readonly table: string;
      readonly spec: TableSpec;
      readonly ifNotExists: boolean;
    }
  | { readonly kind: 'dropTable'; readonly table: string; readonly ifExists: boolean }
  | { readonly kind: 'truncate'; readonly table: string }
  | { readonly kind: 'begin' }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'variables'; readonly names: readonly string[] }
  | { readonly kind: 'gtidWait'; readonly timeoutArg: boolean }
  | { readonly kind: 'showSlaveStatus' }
  | { readonly kind: 'showStatus'; readonly like: string | undefined }
  | { readonly kind: 'showVariables'; readonly like: string | undefined }
  | { readonly kind: 'slave'; readonly action: 'start' | 'stop'; readonly thread: 'io' | 'sql' | 'both' }
  | { readonly kind: 'resetSlaveAll' }
  | { readonly kind: 'purgeBinaryLogs' }
  | { readonly kind: 'setGlobal'; readonly name: string; readonly value: string }
  | { readonly kind: 'noop' };

/** A write statement (INSERT / REPLACE / UPDATE / DELETE). */
export type WriteStatement = Extract<Statement, { kind: 'write' }>;

/** A table as declared by MySQL `CREATE TABLE`, and its SQLite translation. */
export interface TableSpec {
  readonly name: string;
  readonly columns: readonly string[];
  /** Primary key columns, in key order; empty when the table has none. */
  readonly primaryKey: readonly string[];
  /** Unique keys by MySQL key name (an inline `UNIQUE` column's key is named after the column). */
  readonly uniqueKeys: ReadonlyMap<string, readonly string[]>;
  /** The AUTO_INCREMENT column, if any. */
  readonly autoIncrement: string | undefined;
  /** SQLite DDL: the CREATE TABLE and any CREATE INDEX statements. */
  readonly sqlite: readonly string[];
}

/**
 * A `REPLACE` statement taken apart: the engine evaluates the value tuples, then inserts each row,
 * deleting or updating the rows it collides with, as MariaDB's write_record does.
 */
export interface ReplaceSpec {
  /** Target columns in tuple order; `undefined` = every column in table order. */
  readonly columns: readonly string[] | undefined;
  /** A SQLite `VALUES (…), (…)` statement yielding the tuples (same `?` parameters, same order). */
  readonly valuesSql: string;
}

/**
 * An `INSERT [IGNORE] … VALUES (…), (…) [ON DUPLICATE KEY UPDATE …]` taken apart: `valuesSql`
 * yields the tuples (from the first `valueParams` parameters); the engine inserts each row and,
 * on a duplicate key, runs `UPDATE t SET <update> WHERE <colliding row>`, where each entry of
 * `updateArgs` says what binds the next `?` of `update`: a user parameter or `VALUES(col)`.
 */
export interface InsertRows {
  readonly columns: readonly string[] | undefined;
  readonly valuesSql: string;
  readonly valueParams: number;
  readonly ignore: boolean;
  readonly update: string | undefined;
  readonly updateArgs: readonly ({ readonly param: number } | { readonly column: string })[];
}

/** MySQL syntax error 1064, worded as the server words it, plus what the simulator lacks. */
export function syntaxError(near: string, why = ''): SqlError {
  return new SqlError(
    1064,
    '42000',
    `You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '${near.slice(0, 80)}' at line 1${why ? ` (hasim: ${why})` : ''}`,
  );
}

const ident = (s: string) => s.replace(/^[`"]|[`"]$/g, '');

/** Classifies one statement and translates what SQLite must run. */
/**
 * Drops the comments before a statement's first keyword: `/* ... *\/` blocks (ShardingSphere's
 * `SHARDINGSPHERE_HINT` rides in one), `-- ` and `#` lines. MariaDB ignores them ("Comment Syntax",
 * MariaDB Knowledge Base); an executable comment (`/*! ... *\/`, `/*M! ... *\/`) is not a comment
 * to MariaDB and is left in place, to be refused by the parser as before.
 */
export function stripLeadingComments(sql: string): string {
  let s = sql.trimStart();
  for (;;) {
    if (s.startsWith('/*') && !s.startsWith('/*!') && !s.startsWith('/*M!')) {
      const end = s.indexOf('*/', 2);
      if (end < 0) return s;
      s = s.slice(end + 2).trimStart();
    } else if (/^(-- |--\n|#)/.test(s)) {
      const nl = s.indexOf('\n');
      s = nl < 0 ? '' : s.slice(nl + 1).trimStart();
    } else {
      return s;
    }
  }
}

export function parseStatement(input: string): Statement {
  const sql = stripModifiers(stripLeadingComments(input).trim().replace(/;\s*$/, ''));
  const upper = sql.toUpperCase().replace(/\s+/g, ' ');
  if (upper === 'BEGIN' || upper === 'BEGIN WORK' || upper.startsWith('START TRANSACTION'))
    return { kind: 'begin' };
  if (upper === 'COMMIT' || upper === 'COMMIT WORK') return { kind: 'commit' };
  if (upper === 'ROLLBACK' || upper === 'ROLLBACK WORK') return { kind: 'rollback' };
  if (upper.startsWith('SET NAMES') || upper.startsWith('SET SESSION') || upper.startsWith('USE ')) {
    return { kind: 'noop' };
  }
  let m = /^(STOP|START) (SLAVE|REPLICA)(?: (IO_THREAD|SQL_THREAD))?$/.exec(upper);
  if (m) {
    const thread = m[3] === 'IO_THREAD' ? 'io' : m[3] === 'SQL_THREAD' ? 'sql' : 'both';
    return { kind: 'slave', action: m[1] === 'STOP' ? 'stop' : 'start', thread };
  }
  if (/^RESET (SLAVE|REPLICA) ALL$/.test(upper)) return { kind: 'resetSlaveAll' };
  if (/^PURGE (BINARY|MASTER) LOGS (TO|BEFORE) /.test(upper)) return { kind: 'purgeBinaryLogs' };
  if (/^SHOW (SLAVE|REPLICA) STATUS$/.test(upper)) return { kind: 'showSlaveStatus' };
  m = /^SHOW (?:GLOBAL |SESSION )?(STATUS|VARIABLES)(?: LIKE '([^']*)')?$/i.exec(sql.replace(/\s+/g, ' '));
  if (m) {
    return m[1]!.toUpperCase() === 'STATUS'
      ? { kind: 'showStatus', like: m[2] }
      : { kind: 'showVariables', like: m[2] };
  }
  m = /^SET GLOBAL (\w+)\s*=\s*'?([^']*)'?$/i.exec(sql);
  if (m) return { kind: 'setGlobal', name: m[1]!.toLowerCase(), value: m[2]! };
  if (/^SELECT MASTER_GTID_WAIT\(\s*\?\s*(,\s*\?\s*)?\)$/.test(upper)) {
    return { kind: 'gtidWait', timeoutArg: /,/.test(upper) };
  }
  if (/^SELECT @@/.test(upper)) {
    const names = sql
      .slice(6)
      .split(',')
      .map((part) => part.trim());
    if (names.every((n) => /^@@(global\.|session\.)?\w+$/i.test(n))) return { kind: 'variables', names };
  }
  if (upper.startsWith('SELECT')) return { kind: 'select', sql: translateExpressions(stripLocking(sql)) };
  m = /^(?:INSERT|REPLACE)\s+DELAYED\b(?:\s+IGNORE)?(?:\s+INTO)?\s+(`?\w+`?)/i.exec(sql);
  if (m) {
    // Observed on 10.11.19 (InnoDB): ER_DELAYED_NOT_SUPPORTED.
    throw new SqlError(1616, 'HY000', `DELAYED option not supported for table '${ident(m[1]!)}'`);
  }
  m = /^(INSERT|REPLACE)(?:\s+IGNORE)?(?:\s+INTO)?\s+(`?\w+`?)/i.exec(sql);
  if (m) {
    const table = ident(m[2]!);
    const normal = insertSetToValues(sql);
    const tuples = countTuples(normal);
    const counted = tuples === undefined ? {} : { tuples };
    if (m[1]!.toUpperCase() === 'REPLACE') {
      return { kind: 'write', sql: normal, table, replace: parseReplace(normal), ...counted };
    }
    const rows = parseInsertRows(normal);
    return { kind: 'write', sql: translateWrite(normal), table, ...counted, ...(rows ? { rows } : {}) };
  }
  // UPDATE IGNORE skips the rows whose change would duplicate a key, as SQLite's UPDATE OR IGNORE.
  m = /^UPDATE\s+IGNORE\s+(`?\w+`?)/i.exec(sql);
  if (m) {
    const update = translateExpressions(sql).replace(/^UPDATE\s+IGNORE\b/i, 'UPDATE OR IGNORE');
    return { kind: 'write', sql: update, table: ident(m[1]!) };
  }
  m = /^UPDATE\s+(`?\w+`?)/i.exec(sql) ?? /^DELETE\s+FROM\s+(`?\w+`?)/i.exec(sql);
  if (m) return { kind: 'write', sql: translateExpressions(sql), table: ident(m[1]!) };
  m = /^DROP TABLE (IF EXISTS )?(`?\w+`?)$/i.exec(sql);
  if (m) return { kind: 'dropTable', table: ident(m[2]!), ifExists: m[1] !== undefined };
  m = /^TRUNCATE (?:TABLE )?(`?\w+`?)$/i.exec(sql);
  if (m) return { kind: 'truncate', table: ident(m[1]!) };
  if (upper.startsWith('CREATE TABLE')) return parseCreateTable(sql);
  throw syntaxError(sql, 'statement not in the simulated dialect (see docs/mysql.md)');
}

// `INSERT|REPLACE [INTO] t SET a = x, b = y` is MySQL's other spelling of `(a, b) VALUES (x, y)`.
function insertSetToValues(sql: string): string {
  const m = /^((?:INSERT|REPLACE)(?:\s+IGNORE)?(?:\s+INTO)?\s+`?\w+`?)\s+SET\s+([\s\S]*)$/i.exec(sql);
  if (!m) return sql;
  const odku = /\bON DUPLICATE KEY UPDATE\b/i.exec(m[2]!);
  const assigns = splitTopLevel(odku ? m[2]!.slice(0, odku.index) : m[2]!);
  const cols: string[] = [];
  const vals: string[] = [];
  for (const a of assigns) {
    const eq = /^(`?\w+`?)\s*=\s*([\s\S]+)$/.exec(a);
    if (!eq) throw syntaxError(a, 'expected col = value in INSERT … SET');
    cols.push(eq[1]!);
    vals.push(eq[2]!);
  }
  const tail = odku ? ` ${m[2]!.slice(odku.index)}` : '';
  return `${m[1]} (${cols.join(', ')}) VALUES (${vals.join(', ')})${tail}`;
}

// The number of `(…)` tuples after VALUES, or undefined for INSERT … SELECT.
function countTuples(sql: string): number | undefined {
  const at = /\bVALUES?\s*\(/i.exec(sql);
  if (!at) return undefined;
  const odku = /\bON DUPLICATE KEY UPDATE\b/i.exec(sql);
  const body = sql.slice(at.index + at[0].length - 1, odku?.index ?? sql.length);
  return splitTopLevel(body).length;
}

function parseInsertRows(sql: string): InsertRows | undefined {
  const m = /^INSERT(\s+IGNORE)?(?:\s+INTO)?\s+`?\w+`?\s*(?:\(([^)]*)\))?\s*VALUES?\s*(\([\s\S]*)$/i.exec(
    sql,
  );
  if (!m) return undefined;
  const odku = /\bON DUPLICATE KEY UPDATE\b/i.exec(m[3]!);
  const tuples = odku ? m[3]!.slice(0, odku.index) : m[3]!;
  const valueParams = countPlaceholders(tuples);
  const updateArgs: ({ param: number } | { column: string })[] = [];
  let next = valueParams;
  const update = odku
    ? translateExpressions(m[3]!.slice(odku.index + odku[0].length)).replace(
        /\bVALUES\((`?\w+`?)\)|\?/gi,
        (_match, col: string | undefined) => {
          updateArgs.push(col === undefined ? { param: next++ } : { column: ident(col) });
          return '?';
        },
      )
    : undefined;
  return {
    columns: m[2] === undefined ? undefined : columnList(m[2]),
    valuesSql: `VALUES ${translateExpressions(tuples)}`,
    valueParams,
    ignore: m[1] !== undefined,
    update,
    updateArgs,
  };
}

// `?` placeholders outside quoted strings and identifiers.
function countPlaceholders(sql: string): number {
  let n = 0;
  let quote: string | null = null;
  for (const c of sql) {
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '?') n++;
  }
  return n;
}

function parseReplace(sql: string): ReplaceSpec {
  const m = /^REPLACE(?:\s+INTO)?\s+`?\w+`?\s*(?:\(([^)]*)\))?\s*VALUES?\s*(\([\s\S]*\))$/i.exec(sql);
  if (!m)
    throw syntaxError(sql, 'REPLACE is simulated in its VALUES and SET forms only (not REPLACE … SELECT)');
  const columns = m[1] === undefined ? undefined : columnList(m[1]);
  return { columns, valuesSql: `VALUES ${translateExpressions(m[2]!)}` };
}

// Modifiers InnoDB ignores (LOW_PRIORITY / HIGH_PRIORITY / QUICK only matter to table-locking
// engines), and DELETE IGNORE, which only turns errors a single-table DELETE cannot raise here
// into warnings. (DELAYED is refused by InnoDB tables: 1616, see parseStatement.)
function stripModifiers(sql: string): string {
  return sql
    .replace(/^(INSERT|REPLACE)\s+(?:LOW_PRIORITY|HIGH_PRIORITY)\b\s*/i, '$1 ')
    .replace(/^UPDATE\s+LOW_PRIORITY\b\s*/i, 'UPDATE ')
    .replace(/^DELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)+FROM\b/i, 'DELETE FROM')
    .replace(/^SELECT\b([\s\S]*?)\s+FROM\s+DUAL\b/i, 'SELECT$1');
}

function stripLocking(sql: string): string {
  return sql.replace(/\s+(FOR UPDATE|LOCK IN SHARE MODE)\s*$/i, '');
}

// MySQL spellings SQLite lacks. NOW() would read the real clock in SQLite, so it is rewritten to
// the node's virtual-clock function; LAST_INSERT_ID() reads the session's value.
function translateExpressions(sql: string): string {
  return (
    sql
      .replace(/\bNOW\(\)|\bCURRENT_TIMESTAMP\b(\(\))?/gi, '__hasim_now()')
      .replace(/\bUNIX_TIMESTAMP\(\)/gi, '__hasim_unix_timestamp()')
      .replace(/\bLAST_INSERT_ID\(\)/gi, '__hasim_last_insert_id()')
      // SQLite's multi-argument max()/min() are NULL when an argument is, like GREATEST/LEAST.
      .replace(/\bGREATEST\s*\(/gi, 'max(')
      .replace(/\bLEAST\s*\(/gi, 'min(')
  );
}

function translateWrite(sql: string): string {
  let out = translateExpressions(sql).replace(/^INSERT\s+IGNORE\b/i, 'INSERT OR IGNORE');
  const odku = /\bON DUPLICATE KEY UPDATE\b/i.exec(out);
  if (odku) {
    // SQLite upsert: `ON CONFLICT DO UPDATE SET`, with VALUES(col) spelled excluded.col.
    const head = out.slice(0, odku.index);
    const tail = out.slice(odku.index + odku[0].length).replace(/\bVALUES\((`?\w+`?)\)/gi, 'excluded.$1');
    out = `${head} ON CONFLICT DO UPDATE SET ${tail}`;
  }
  return out;
}

function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(body.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

const columnList = (s: string) => s.split(',').map((c) => ident(c.trim().replace(/\(\d+\)$/, '')));

// MySQL column types → SQLite affinities. String lengths are enforced by CHECK constraints.
const TYPE_MAP: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT|BOOL|BOOLEAN)\b(\(\d+\))?/i, 'INT'],
  [/^(VARCHAR|CHAR)\(\d+\)/i, 'TEXT'],
  [/^(TINYTEXT|MEDIUMTEXT|LONGTEXT|TEXT|JSON|DATETIME|DATE|TIMESTAMP)\b(\(\d+\))?/i, 'TEXT'],
  [/^(DOUBLE|FLOAT|REAL)\b/i, 'REAL'],
  [/^(DECIMAL|NUMERIC)\b(\(\d+(,\s*\d+)?\))?/i, 'NUMERIC'],
  [/^(BLOB|VARBINARY\(\d+\)|BINARY\(\d+\))/i, 'BLOB'],
];

/** A table definition while `parseCreateTable` reads it, part by part. */
interface TableDraft {
  readonly name: string;
  readonly columns: string[];
  primaryKey: string[];
  readonly uniqueKeys: Map<string, string[]>;
  readonly indexes: string[];
  autoIncrement: string | undefined;
  /** SQLite column definitions, one per column. */
  readonly defs: string[];
  /**
   * Strict mode (STRICT_TRANS_TABLES, the server's default) refuses what SQLite would store:
   * a string longer than VARCHAR(n) / CHAR(n) (1406) and a non-number in an integer column (1366).
   */
  readonly checks: string[];
  /** The table's own collation is a _bin one. */
  readonly binaryTable: boolean;
}

function parseCreateTable(sql: string): Statement {
  const m = /^CREATE TABLE (IF NOT EXISTS )?(`?\w+`?)\s*\(([\s\S]*)\)([^)]*)$/i.exec(sql);
  if (!m) throw syntaxError(sql, 'expected CREATE TABLE name (definitions) [table options]');
  const name = ident(m[2] ?? '');
  const t: TableDraft = {
    name,
    columns: [],
    primaryKey: [],
    uniqueKeys: new Map(),
    indexes: [],
    autoIncrement: undefined,
    defs: [],
    checks: [],
    binaryTable: /\bCOLLATE\s*=?\s*\w+_bin\b/i.test(m[4] ?? ''),
  };
  for (const part of splitTopLevel(m[3] ?? '')) {
    let k = /^PRIMARY KEY\s*\(([^)]*)\)$/i.exec(part);
    if (k) {
      t.primaryKey = columnList(k[1] ?? '');
      continue;
    }
    k = /^(?:CONSTRAINT\s+\S+\s+)?UNIQUE(?:\s+(?:KEY|INDEX))?(?:\s+(`?\w+`?))?\s*\(([^)]*)\)$/i.exec(part);
    if (k) {
      const cols = columnList(k[2] ?? '');
      t.uniqueKeys.set(k[1] ? ident(k[1]) : (cols[0] ?? ''), cols);
      continue;
    }
    k = /^(?:KEY|INDEX)\s+(`?\w+`?)\s*\(([^)]*)\)$/i.exec(part);
    if (k) {
      t.indexes.push(
        `CREATE INDEX "${name}__${ident(k[1] ?? '')}" ON "${name}" (${columnList(k[2] ?? '')
          .map((c) => `"${c}"`)
          .join(', ')})`,
      );
      continue;
    }
    parseColumn(part, t);
  }
  const { columns, primaryKey, uniqueKeys, autoIncrement } = t;
  if (autoIncrement !== undefined && !(primaryKey.length === 1 && primaryKey[0] === autoIncrement)) {
    throw syntaxError(sql, `AUTO_INCREMENT column ${autoIncrement} must be the single-column PRIMARY KEY`);
  }
  // SQLite's INTEGER PRIMARY KEY AUTOINCREMENT never reuses ids, like InnoDB's counter.
  // Other integer columns are declared INT, not INTEGER, so that SQLite does not turn a primary
  // key into a rowid alias that silently numbers NULLs; PK columns are NOT NULL as in MySQL.
  const body = t.defs.map((d, i) => {
    const col = columns[i];
    if (col === autoIncrement) return d.replace(/^("\w+") INT/, '$1 INTEGER PRIMARY KEY AUTOINCREMENT');
    return col !== undefined && primaryKey.includes(col) && !/NOT NULL/i.test(d) ? `${d} NOT NULL` : d;
  });
  if (primaryKey.length > 0 && autoIncrement === undefined) {
    body.push(`PRIMARY KEY (${primaryKey.map((c) => `"${c}"`).join(', ')})`);
  }
  for (const [key, cols] of uniqueKeys) {
    body.push(`CONSTRAINT "${key}" UNIQUE (${cols.map((c) => `"${c}"`).join(', ')})`);
  }
  body.push(...t.checks);
  const create = `CREATE TABLE ${m[1] ? 'IF NOT EXISTS ' : ''}"${name}" (${body.join(', ')})`;
  return {
    kind: 'createTable',
    table: name,
    ifNotExists: m[1] !== undefined,
    spec: { name, columns, primaryKey, uniqueKeys, autoIncrement, sqlite: [create, ...t.indexes] },
  };
}

/** One column definition of a CREATE TABLE, added to the draft `t`. */
function parseColumn(part: string, t: TableDraft): void {
  const k = /^(`?\w+`?)\s+(.*)$/s.exec(part);
  if (!k) throw syntaxError(part, 'unrecognised column definition');
  const col = ident(k[1] ?? '');
  let rest = k[2] ?? '';
  const type = TYPE_MAP.find(([re]) => re.test(rest));
  if (!type) throw syntaxError(rest, `unsupported column type for ${col}`);
  const length = /^(?:VARCHAR|CHAR)\((\d+)\)/i.exec(rest)?.[1];
  const decimal = /^(?:DECIMAL|NUMERIC)\s*\((\d+)(?:,\s*(\d+))?\)/i.exec(rest);
  // The server's default collations (utf8mb4_general_ci here, latin1_swedish_ci on the pair) are
  // case-insensitive, in comparisons and in UNIQUE keys: 'a@x' and 'A@X' collide. SQLite's NOCASE
  // folds ASCII letters only. A _bin collation (column or table) stays case-sensitive; JSON is
  // utf8mb4_bin in MariaDB.
  const text = /^(VARCHAR|CHAR|TINYTEXT|MEDIUMTEXT|LONGTEXT|TEXT)\b/i.test(rest);
  const binary = /\bCOLLATE\s+\w+_bin\b|\bCHARACTER SET binary\b/i.test(rest) || t.binaryTable;
  if (length !== undefined)
    t.checks.push(`CONSTRAINT "hasim_len__${col}" CHECK (length("${col}") <= ${length})`);
  rest = rest.replace(type[0], '').trim();
  rest = rest
    .replace(/\bUNSIGNED\b/gi, '')
    .replace(/\bCOMMENT\s+'[^']*'/gi, '')
    .replace(/\bCHARACTER SET \w+|\bCOLLATE \w+/gi, '');
  if (/\bON UPDATE\b|\bCURRENT_TIMESTAMP\b|\bNOW\(\)/i.test(rest)) {
    throw syntaxError(rest, `column ${col}: time defaults are not simulated; pass the time as a parameter`);
  }
  if (/\bAUTO_INCREMENT\b/i.test(rest)) {
    t.autoIncrement = col;
    rest = rest.replace(/\bAUTO_INCREMENT\b/i, '');
  }
  if (/\bPRIMARY KEY\b/i.test(rest)) {
    t.primaryKey = [col];
    rest = rest.replace(/\bPRIMARY KEY\b/i, '');
  }
  if (/\bUNIQUE(\s+KEY)?\b/i.test(rest)) {
    t.uniqueKeys.set(col, [col]);
    rest = rest.replace(/\bUNIQUE(\s+KEY)?\b/i, '');
  }
  if (type[1] === 'INT' && col !== t.autoIncrement) {
    t.checks.push(`CONSTRAINT "hasim_int__${col}" CHECK (typeof("${col}") IN ('integer', 'real', 'null'))`);
  }
  t.columns.push(col);
  const collate = text && !binary ? ' COLLATE NOCASE' : '';
  // DECIMAL keeps its declared precision and scale (NUMERIC affinity in SQLite), so that reads
  // can answer it as mysql2 does: a string with exactly `scale` decimals ('1.50').
  const sqliteType = type[1] === 'NUMERIC' ? `DECIMAL(${decimal?.[1] ?? 10},${decimal?.[2] ?? 0})` : type[1];
  t.defs.push(`"${col}" ${sqliteType}${collate} ${rest.replace(/\s+/g, ' ').trim()}`.trim());
}

/** PRIMARY, then the UNIQUE keys as declared: the order InnoDB checks them in. */
export function uniqueKeysInOrder(spec: TableSpec): (readonly string[])[] {
  const keys: (readonly string[])[] = [];
  if (spec.primaryKey.length > 0) keys.push(spec.primaryKey);
  keys.push(...spec.uniqueKeys.values());
  return keys;
}

/** Two rows hold the same values in every column of the table (NULL equals NULL). */
export const sameRow = (spec: TableSpec, a: SqlRow, b: SqlRow) =>
  spec.columns.every((c) => sameValue(a[c], b[c]));

const sameValue = (a: SqlValue | undefined, b: SqlValue | undefined) =>
  a === null || a === undefined || b === null || b === undefined
    ? (a ?? null) === (b ?? null)
    : String(a) === String(b);

/** The same column list, in the same order. */
export const sameColumns = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((c, i) => c === b[i]);
