import { SqlError, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import { type CreateTable, parseCreateTable } from './create-table.ts';
import { syntaxError } from './errors.ts';
import { type Lexed, lex, literalValue, toSource, toSqlite } from './lexer.ts';
import {
  ident,
  insertSetToValues,
  parseInsertRows,
  parseReplace,
  stripLocking,
  stripModifiers,
  translateExpressions,
  translateSelect,
  translateWrite,
  tupleArities,
} from './translate.ts';

/**
 * The small MySQL dialect the simulated nodes understand, classified and translated to SQLite.
 * This is not a SQL engine: the lexer (lexer.ts) reads literals and comments as MariaDB does,
 * statements are recognised by their leading keywords, the few
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
      /** The number of values in each row of an `INSERT|REPLACE … VALUES` statement. */
      readonly arities?: readonly number[];
      /** An `INSERT … VALUES` taken apart, for the engine to run row by row when it must. */
      readonly rows?: InsertRows;
      /** A plain `INSERT … VALUES` (no IGNORE, no ON DUPLICATE KEY UPDATE) with `RETURNING *`. */
      readonly returning?: string;
    }
  | CreateTable
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
  /** `SET [SESSION] …`: the session variables the simulation models (only `autocommit`); others are ignored. */
  | { readonly kind: 'setSession'; readonly autocommit: boolean | undefined }
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
  /** The BIGINT columns (what mysql2's `bigNumberStrings` answers as strings). */
  readonly bigints: readonly string[];
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

/** Classifies one statement and translates what SQLite must run. */
export function parseStatement(input: string): Statement {
  const lexed = lex(input);
  const sql = stripModifiers(lexed.masked);
  const upper = sql.toUpperCase().replace(/\s+/g, ' ');
  try {
    return classify(sql, upper, lexed);
  } catch (error) {
    // A syntax error quotes the statement as the client sent it, not masked.
    if (error instanceof SqlError && error.errno === 1064 && sql.includes('\uE000')) {
      throw syntaxError(toSource(sql, lexed), /\(hasim: ([^)]*)\)$/.exec(error.message)?.[1] ?? '');
    }
    throw error;
  }
}

function classify(sql: string, upper: string, lexed: Lexed): Statement {
  if (upper === 'BEGIN' || upper === 'BEGIN WORK' || upper.startsWith('START TRANSACTION'))
    return { kind: 'begin' };
  if (upper === 'COMMIT' || upper === 'COMMIT WORK') return { kind: 'commit' };
  if (upper === 'ROLLBACK' || upper === 'ROLLBACK WORK') return { kind: 'rollback' };
  if (upper.startsWith('USE ')) return { kind: 'noop' };
  let m = /^(STOP|START) (SLAVE|REPLICA)(?: (IO_THREAD|SQL_THREAD))?$/.exec(upper);
  if (m) {
    const thread = m[3] === 'IO_THREAD' ? 'io' : m[3] === 'SQL_THREAD' ? 'sql' : 'both';
    return { kind: 'slave', action: m[1] === 'STOP' ? 'stop' : 'start', thread };
  }
  if (/^RESET (SLAVE|REPLICA) ALL$/.test(upper)) return { kind: 'resetSlaveAll' };
  if (/^PURGE (BINARY|MASTER) LOGS (TO|BEFORE) /.test(upper)) return { kind: 'purgeBinaryLogs' };
  if (/^SHOW (SLAVE|REPLICA) STATUS$/.test(upper)) return { kind: 'showSlaveStatus' };
  m = /^SHOW (?:GLOBAL |SESSION )?(STATUS|VARIABLES)(?: LIKE ('\uE000\d+'))?$/i.exec(
    sql.replace(/\s+/g, ' '),
  );
  if (m) {
    const like = m[2] === undefined ? undefined : literalValue(m[2], lexed);
    return m[1]!.toUpperCase() === 'STATUS' ? { kind: 'showStatus', like } : { kind: 'showVariables', like };
  }
  m = /^SET\s+(?:GLOBAL\s+|@@GLOBAL\.)(\w+)\s*=\s*(\S+)$/i.exec(sql);
  if (m) return { kind: 'setGlobal', name: m[1]!.toLowerCase(), value: literalValue(m[2]!, lexed) ?? m[2]! };
  if (upper.startsWith('SET ')) return parseSet(sql, lexed);
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
  if (upper.startsWith('SELECT'))
    return { kind: 'select', sql: toSqlite(translateSelect(stripLocking(sql), lexed), lexed) };
  m = /^(?:INSERT|REPLACE)\s+DELAYED\b(?:\s+IGNORE)?(?:\s+INTO)?\s+(`?\w+`?)/i.exec(sql);
  if (m) {
    // Observed on 10.11.19 (InnoDB): ER_DELAYED_NOT_SUPPORTED.
    throw new SqlError(1616, 'HY000', `DELAYED option not supported for table '${ident(m[1]!)}'`);
  }
  m = /^(INSERT|REPLACE)(?:\s+IGNORE)?(?:\s+INTO)?\s+(`?\w+`?)/i.exec(sql);
  if (m) return parseInsert(m[1]!.toUpperCase(), ident(m[2]!), sql, lexed);
  // UPDATE IGNORE skips the rows whose change would duplicate a key, as SQLite's UPDATE OR IGNORE.
  m = /^UPDATE\s+IGNORE\s+(`?\w+`?)/i.exec(sql);
  if (m) {
    const update = translateExpressions(sql).replace(/^UPDATE\s+IGNORE\b/i, 'UPDATE OR IGNORE');
    return { kind: 'write', sql: toSqlite(update, lexed), table: ident(m[1]!) };
  }
  m = /^UPDATE\s+(`?\w+`?)/i.exec(sql) ?? /^DELETE\s+FROM\s+(`?\w+`?)/i.exec(sql);
  if (m) return { kind: 'write', sql: toSqlite(translateExpressions(sql), lexed), table: ident(m[1]!) };
  m = /^DROP TABLE (IF EXISTS )?(`?\w+`?)$/i.exec(sql);
  if (m) return { kind: 'dropTable', table: ident(m[2]!), ifExists: m[1] !== undefined };
  m = /^TRUNCATE (?:TABLE )?(`?\w+`?)$/i.exec(sql);
  if (m) return { kind: 'truncate', table: ident(m[1]!) };
  if (upper.startsWith('CREATE TABLE')) return parseCreateTable(sql, lexed);
  throw syntaxError(sql, 'statement not in the simulated dialect (see docs/mysql.md)');
}

function parseInsert(verb: string, table: string, sql: string, lexed: Lexed): Statement {
  const normal = insertSetToValues(sql);
  const arities = tupleArities(normal);
  const counted = arities === undefined ? {} : { tuples: arities.length, arities };
  if (verb === 'REPLACE') {
    const replace = parseReplace(normal, lexed);
    return { kind: 'write', sql: toSqlite(normal, lexed), table, replace, ...counted };
  }
  const rows = parseInsertRows(normal, lexed);
  const insert = toSqlite(translateWrite(normal), lexed);
  const plain = rows !== undefined && !rows.ignore && rows.update === undefined;
  return {
    kind: 'write',
    sql: insert,
    table,
    ...counted,
    ...(rows ? { rows } : {}),
    ...(plain ? { returning: `${insert} RETURNING *` } : {}),
  };
}

/**
 * `SET [SESSION | LOCAL] var = value [, …]`, `SET @@[session. | local.]var = value`, `SET NAMES …`
 * (MariaDB KB "SET"). Only `autocommit` changes anything in the simulation; the other session
 * variables (`session_track_system_variables`, `NAMES`, `time_zone`, …) are accepted and ignored.
 */
function parseSet(sql: string, lexed: Lexed): Statement {
  let autocommit: boolean | undefined;
  for (const part of sql.replace(/^SET\s+/i, '').split(',')) {
    const m = /^(?:SESSION\s+|LOCAL\s+|@@(?:SESSION\.|LOCAL\.)?)?autocommit\s*:?=\s*(\S+)$/i.exec(
      part.trim(),
    );
    if (!m) continue;
    const raw = literalValue(m[1]!, lexed) ?? m[1]!;
    const value = /^(1|ON|TRUE|DEFAULT)$/i.test(raw)
      ? true
      : /^(0|OFF|FALSE)$/i.test(raw)
        ? false
        : undefined;
    // ER_WRONG_VALUE_FOR_VAR, as 10.11 answers `SET autocommit = 2`.
    if (value === undefined)
      throw new SqlError(1231, '42000', `Variable 'autocommit' can't be set to the value of '${raw}'`);
    autocommit = value;
  }
  return { kind: 'setSession', autocommit };
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
