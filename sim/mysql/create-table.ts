import type { TableSpec } from './dialect.ts';
import { syntaxError } from './errors.ts';
import { type Lexed, toSqlite } from './lexer.ts';
import { columnList, ident, splitTopLevel } from './translate.ts';

// MySQL `CREATE TABLE` → a TableSpec and its SQLite DDL.

/** A `CREATE TABLE` statement taken apart. */
export interface CreateTable {
  readonly kind: 'createTable';
  readonly table: string;
  readonly spec: TableSpec;
  readonly ifNotExists: boolean;
}

// MySQL column types → SQLite affinities. String lengths are enforced by CHECK constraints.
const TYPE_MAP: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(TINYINT|SMALLINT|MEDIUMINT|INT|INTEGER|BIGINT|BOOL|BOOLEAN)\b(\(\d+\))?/i, 'INT'],
  [/^(VARCHAR|CHAR)\(\d+\)/i, 'TEXT'],
  [/^(TINYTEXT|MEDIUMTEXT|LONGTEXT|TEXT|JSON|DATETIME|DATE|TIMESTAMP)\b(\(\d+\))?/i, 'TEXT'],
  [/^(DOUBLE|FLOAT|REAL)\b/i, 'REAL'],
  [/^(DECIMAL|NUMERIC)\b(\(\d+(,\s*\d+)?\))?/i, 'NUMERIC'],
  [/^(TINYBLOB|MEDIUMBLOB|LONGBLOB|BLOB|VARBINARY\(\d+\)|BINARY\(\d+\))/i, 'BLOB'],
];

/**
 * The byte limits of the variable-length string and binary types (MariaDB KB "TEXT": "a
 * maximum length of 65,535 (2^16 - 1) characters. The effective maximum length is less if the
 * value contains multi-byte characters", i.e. 65,535 bytes; "TINYTEXT" 255; "MEDIUMTEXT"
 * 16,777,215; the BLOB types alike). Strict mode refuses a longer value with 1406. Measured in
 * UTF-8 bytes: the simulated columns are utf8mb4.
 */
const BYTE_LIMITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(TINYTEXT|TINYBLOB)\b/i, 255],
  [/^(TEXT|BLOB)\b/i, 65_535],
  [/^(MEDIUMTEXT|MEDIUMBLOB)\b/i, 16_777_215],
];

/** A table definition while `parseCreateTable` reads it, part by part. */
interface TableDraft {
  readonly name: string;
  readonly columns: string[];
  primaryKey: string[];
  readonly uniqueKeys: Map<string, string[]>;
  /** Every key name taken so far (unique keys and plain indexes share one namespace). */
  readonly keyNames: Set<string>;
  readonly indexes: string[];
  autoIncrement: string | undefined;
  /** The BIGINT columns. */
  readonly bigints: string[];
  /** SQLite column definitions, one per column. */
  readonly defs: string[];
  /**
   * Strict mode (STRICT_TRANS_TABLES, the server's default) refuses what SQLite would store:
   * a string longer than VARCHAR(n) / CHAR(n) or TEXT's bytes (1406) and a non-number in an
   * integer column (1366).
   */
  readonly checks: string[];
  /** The table's own collation is a _bin one. */
  readonly binaryTable: boolean;
}

/**
 * The name of an unnamed key: its first column, then `_2`, `_3`, … while that name is taken
 * (sql_table.cc make_unique_key_name; observed on 10.11.19: `UNIQUE KEY (v), KEY (u), KEY (u, v),
 * INDEX (v)` are named v, u, u_2, v_2).
 */
function keyName(t: TableDraft, given: string | undefined, cols: readonly string[]): string {
  if (given !== undefined) return ident(given);
  const base = cols[0] ?? 'key';
  let name = base;
  for (let i = 2; t.keyNames.has(name.toLowerCase()); i++) name = `${base}_${i}`;
  return name;
}

/** `CREATE TABLE` (masked by the lexer) → its spec and SQLite DDL. */
export function parseCreateTable(sql: string, lexed: Lexed): CreateTable {
  const m = /^CREATE TABLE (IF NOT EXISTS )?(`?\w+`?)\s*\(([\s\S]*)\)([^)]*)$/i.exec(sql);
  if (!m) throw syntaxError(sql, 'expected CREATE TABLE name (definitions) [table options]');
  const name = ident(m[2] ?? '');
  const t: TableDraft = {
    name,
    columns: [],
    primaryKey: [],
    uniqueKeys: new Map(),
    keyNames: new Set(),
    indexes: [],
    autoIncrement: undefined,
    bigints: [],
    defs: [],
    checks: [],
    binaryTable: /\bCOLLATE\s*=?\s*\w+_bin\b/i.test(m[4] ?? ''),
  };
  for (const part of splitTopLevel(m[3] ?? '')) {
    let k = /^(?:CONSTRAINT\s+\S+\s+)?PRIMARY KEY\s*\(([^)]*)\)$/i.exec(part);
    if (k) {
      t.primaryKey = columnList(k[1] ?? '');
      continue;
    }
    k = /^(?:CONSTRAINT\s+\S+\s+)?UNIQUE(?:\s+(?:KEY|INDEX))?(?:\s+(`?\w+`?))?\s*\(([^)]*)\)$/i.exec(part);
    if (k) {
      const cols = columnList(k[2] ?? '');
      const key = keyName(t, k[1], cols);
      t.keyNames.add(key.toLowerCase());
      t.uniqueKeys.set(key, cols);
      continue;
    }
    k = /^(?:KEY|INDEX)(?:\s+(`?\w+`?))?(?:\s+USING\s+\w+)?\s*\(([^)]*)\)$/i.exec(part);
    if (k) {
      const cols = columnList(k[2] ?? '');
      const key = keyName(t, k[1], cols);
      t.keyNames.add(key.toLowerCase());
      t.indexes.push(`CREATE INDEX "${name}__${key}" ON "${name}" (${cols.map((c) => `"${c}"`).join(', ')})`);
      continue;
    }
    parseColumn(part, t, lexed);
  }
  const { columns, primaryKey, uniqueKeys, autoIncrement, bigints } = t;
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
    spec: { name, columns, primaryKey, uniqueKeys, autoIncrement, bigints, sqlite: [create, ...t.indexes] },
  };
}

/** One column definition of a CREATE TABLE, added to the draft `t`. */
function parseColumn(part: string, t: TableDraft, lexed: Lexed): void {
  const k = /^(`?\w+`?)\s+(.*)$/s.exec(part);
  if (!k) throw syntaxError(part, 'unrecognised column definition');
  const col = ident(k[1] ?? '');
  let rest = k[2] ?? '';
  const type = TYPE_MAP.find(([re]) => re.test(rest));
  if (!type) throw syntaxError(rest, `unsupported column type for ${col}`);
  const length = /^(?:VARCHAR|CHAR)\((\d+)\)/i.exec(rest)?.[1];
  const bytes = BYTE_LIMITS.find(([re]) => re.test(rest))?.[1];
  const decimal = /^(?:DECIMAL|NUMERIC)\s*\((\d+)(?:,\s*(\d+))?\)/i.exec(rest);
  if (/^BIGINT\b/i.test(rest)) t.bigints.push(col);
  // The server's default collations (utf8mb4_general_ci here, latin1_swedish_ci on the pair) are
  // case-insensitive, in comparisons and in UNIQUE keys: 'a@x' and 'A@X' collide. SQLite's NOCASE
  // folds ASCII letters only. A _bin collation (column or table) stays case-sensitive; JSON is
  // utf8mb4_bin in MariaDB.
  const text = /^(VARCHAR|CHAR|TINYTEXT|MEDIUMTEXT|LONGTEXT|TEXT)\b/i.test(rest);
  const binary = /\bCOLLATE\s+\w+_bin\b|\bCHARACTER SET binary\b/i.test(rest) || t.binaryTable;
  if (length !== undefined)
    t.checks.push(`CONSTRAINT "hasim_len__${col}" CHECK (length("${col}") <= ${length})`);
  if (bytes !== undefined)
    t.checks.push(`CONSTRAINT "hasim_bytes_${bytes}__${col}" CHECK (octet_length("${col}") <= ${bytes})`);
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
    const key = keyName(t, undefined, [col]);
    t.keyNames.add(key.toLowerCase());
    t.uniqueKeys.set(key, [col]);
    rest = rest.replace(/\bUNIQUE(\s+KEY)?\b/i, '');
  }
  if (type[1] === 'INT' && col !== t.autoIncrement) {
    // typeof() answers one of five types ("Datatypes In SQLite"), so this is "integer, real or
    // null"; SQLite runs a three-item IN list through an ephemeral table on every row written,
    // two comparisons are about 0.9 us cheaper per INSERT.
    t.checks.push(`CONSTRAINT "hasim_int__${col}" CHECK (typeof("${col}") NOT IN ('text', 'blob'))`);
  }
  t.columns.push(col);
  const collate = text && !binary ? ' COLLATE NOCASE' : '';
  // DECIMAL keeps its declared precision and scale (NUMERIC affinity in SQLite), so that reads
  // can answer it as mysql2 does: a string with exactly `scale` decimals ('1.50').
  const sqliteType = type[1] === 'NUMERIC' ? `DECIMAL(${decimal?.[1] ?? 10},${decimal?.[2] ?? 0})` : type[1];
  const def = `"${col}" ${sqliteType}${collate} ${rest.replace(/\s+/g, ' ').trim()}`.trim();
  t.defs.push(toSqlite(def, lexed));
}
