import type { InsertRows, ReplaceSpec } from './dialect.ts';
import { syntaxError } from './errors.ts';
import { type Lexed, literalValue, toSource, toSqlite } from './lexer.ts';

// MySQL spellings → SQLite, over statements masked by the lexer (no literal or comment inside
// can be mistaken for a keyword, a comma or a placeholder).

/** An identifier without its backticks. */
export const ident = (s: string) => s.replace(/^[`"]|[`"]$/g, '');

/** The column names of a `(a, b(10), `c`)` list. */
export const columnList = (s: string) => s.split(',').map((c) => ident(c.trim().replace(/\(\d+\)$/, '')));

/** Splits `body` at its top-level commas (outside parentheses and quotes); drops empty parts. */
export function splitTopLevel(body: string): string[] {
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

/** `?` placeholders in masked text outside quoted identifiers. */
export function countPlaceholders(sql: string): number {
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

/**
 * MySQL spellings SQLite lacks or reads differently. NOW() would read the real clock in SQLite,
 * so it is rewritten to the node's virtual-clock function; LAST_INSERT_ID() reads the session's
 * value; CONCAT is NULL when an argument is (MariaDB KB "CONCAT"), where SQLite's concat()
 * skips NULLs; LIKE patterns take `\` as their escape character, as in MariaDB (KB "LIKE").
 */
export function translateExpressions(sql: string): string {
  return (
    sql
      .replace(/\bNOW\(\)|\bCURRENT_TIMESTAMP\b(\(\))?/gi, '__hasim_now()')
      .replace(/\bUNIX_TIMESTAMP\(\)/gi, '__hasim_unix_timestamp()')
      .replace(/\bLAST_INSERT_ID\(\)/gi, '__hasim_last_insert_id()')
      .replace(/\bCONCAT\s*\(/gi, '__hasim_concat(')
      // LENGTH counts bytes in MariaDB, CHAR_LENGTH characters; SQLite's length() counts characters.
      .replace(/\bLENGTH\s*\(/gi, 'octet_length(')
      .replace(/\b(?:CHAR_LENGTH|CHARACTER_LENGTH)\s*\(/gi, 'length(')
      .replace(/\bLIKE\s+('\uE000\d+'|\?)(?!\s+ESCAPE\b)/gi, "LIKE $1 ESCAPE '\\'")
      // SQLite's multi-argument max()/min() are NULL when an argument is, like GREATEST/LEAST.
      .replace(/\bGREATEST\s*\(/gi, 'max(')
      .replace(/\bLEAST\s*\(/gi, 'min(')
  );
}

/** Words that end an expression without being an alias after it (`x IS NULL`, `CASE … END`). */
const NOT_ALIAS = new Set(
  'AND OR NOT XOR IS NULL TRUE FALSE UNKNOWN END LIKE IN BETWEEN DIV MOD ELSE THEN WHEN CASE ASC DESC BINARY ESCAPE REGEXP RLIKE COLLATE INTERVAL MICROSECOND SECOND MINUTE HOUR DAY WEEK MONTH QUARTER YEAR DISTINCT'.split(
    ' ',
  ),
);

const SELECT_LIST_END =
  /\b(FROM|WHERE|GROUP\s+BY|HAVING|ORDER\s+BY|LIMIT|UNION|INTO|FOR\s+UPDATE|LOCK\s+IN|WINDOW)\b/i;

/**
 * A SELECT translated, its result columns named as MariaDB names them: an expression without an
 * alias is named by its text as the client typed it (`LAST_INSERT_ID()`, `1 + 1`), a string
 * literal by its value (`SELECT 'it\'s'` → `it's`); observed on 10.11.19 through mysql2.
 * Translation would change SQLite's names (`__hasim_last_insert_id()`), so such items get an
 * explicit alias. Bare column references keep SQLite's naming, which is MariaDB's.
 */
export function translateSelect(sql: string, lexed: Lexed): string {
  const head =
    /^SELECT\s+((?:(?:ALL|DISTINCT|DISTINCTROW|HIGH_PRIORITY|STRAIGHT_JOIN|SQL_CALC_FOUND_ROWS|SQL_NO_CACHE|SQL_CACHE)\s+)*)/i.exec(
      sql,
    );
  if (!head) return translateExpressions(sql);
  const listStart = head[0].length;
  const end = topLevelMatch(sql, listStart, SELECT_LIST_END);
  const list = sql.slice(listStart, end);
  const items = splitTopLevel(list).map((item) => {
    const translated = translateExpressions(item);
    const name = resultName(item, lexed);
    return name === undefined ? translated : `${translated} AS "${name.replaceAll('"', '""')}"`;
  });
  return `${sql.slice(0, listStart)}${items.join(', ')}${end < sql.length ? ' ' : ''}${translateExpressions(sql.slice(end))}`;
}

// The index of the first match of `re` in `sql` at parenthesis depth 0 from `from`, else sql.length.
function topLevelMatch(sql: string, from: number, re: RegExp): number {
  let depth = 0;
  for (let i = from; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /\w/.test(c ?? '') && !/\w/.test(sql[i - 1] ?? '')) {
      if (re.exec(sql.slice(i, i + 12))?.index === 0) return i;
    }
  }
  return sql.length;
}

/** The name MariaDB gives select item `item` when SQLite would name it otherwise; else undefined. */
function resultName(item: string, lexed: Lexed): string | undefined {
  const s = item.trim();
  if (/^(\*|(`[^`]+`|\w+)(\.(`[^`]+`|\w+|\*))?)$/.test(s)) return undefined; // a column, t.col, t.*
  if (/\sAS\s+(`[^`]+`|\w+|'\uE000\d+')$/i.test(s)) return undefined;
  const implicit = /^([\s\S]*[\w)`'])\s+(`[^`]+`|[A-Za-z_]\w*)$/.exec(s);
  if (implicit) {
    const alias = ident(implicit[2] ?? '').toUpperCase();
    const before = /(\w+)$/.exec(implicit[1] ?? '')?.[1]?.toUpperCase() ?? '';
    if (!NOT_ALIAS.has(alias) && !NOT_ALIAS.has(before)) return undefined;
  }
  return literalValue(s, lexed) ?? toSource(s, lexed);
}

/** A write statement (UPDATE / DELETE / INSERT) translated for SQLite. */
export function translateWrite(sql: string): string {
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

/** `INSERT|REPLACE [INTO] t SET a = x, b = y` is MySQL's other spelling of `(a, b) VALUES (x, y)`. */
export function insertSetToValues(sql: string): string {
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

/** The number of values in each `(…)` tuple after VALUES, or undefined for INSERT … SELECT. */
export function tupleArities(sql: string): number[] | undefined {
  const at = /\bVALUES?\s*\(/i.exec(sql);
  if (!at) return undefined;
  const odku = /\bON DUPLICATE KEY UPDATE\b/i.exec(sql);
  const body = sql.slice(at.index + at[0].length - 1, odku?.index ?? sql.length);
  return splitTopLevel(body).map((tuple) => splitTopLevel(tuple.replace(/^\(|\)$/g, '')).length);
}

/** An `INSERT … VALUES` taken apart (see `InsertRows`), or undefined for INSERT … SELECT. */
export function parseInsertRows(sql: string, lexed: Lexed): InsertRows | undefined {
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
    valuesSql: toSqlite(`VALUES ${translateExpressions(tuples)}`, lexed),
    valueParams,
    ignore: m[1] !== undefined,
    update: update === undefined ? undefined : toSqlite(update, lexed),
    updateArgs,
  };
}

/** A `REPLACE … VALUES` taken apart. */
export function parseReplace(sql: string, lexed: Lexed): ReplaceSpec {
  const m = /^REPLACE(?:\s+INTO)?\s+`?\w+`?\s*(?:\(([^)]*)\))?\s*VALUES?\s*(\([\s\S]*\))$/i.exec(sql);
  if (!m)
    throw syntaxError(sql, 'REPLACE is simulated in its VALUES and SET forms only (not REPLACE … SELECT)');
  const columns = m[1] === undefined ? undefined : columnList(m[1]);
  return { columns, valuesSql: toSqlite(`VALUES ${translateExpressions(m[2]!)}`, lexed) };
}

/**
 * Modifiers InnoDB ignores (LOW_PRIORITY / HIGH_PRIORITY / QUICK only matter to table-locking
 * engines), and DELETE IGNORE, which only turns errors a single-table DELETE cannot raise here
 * into warnings. (DELAYED is refused by InnoDB tables: 1616, see parseStatement.)
 */
export function stripModifiers(sql: string): string {
  return sql
    .replace(/^(INSERT|REPLACE)\s+(?:LOW_PRIORITY|HIGH_PRIORITY)\b\s*/i, '$1 ')
    .replace(/^UPDATE\s+LOW_PRIORITY\b\s*/i, 'UPDATE ')
    .replace(/^DELETE\s+(?:(?:LOW_PRIORITY|QUICK|IGNORE)\s+)+FROM\b/i, 'DELETE FROM')
    .replace(/^SELECT\b([\s\S]*?)\s+FROM\s+DUAL\b/i, 'SELECT$1');
}

/** A SELECT without its locking clause (rows are not locked in the simulation). */
export function stripLocking(sql: string): string {
  return sql.replace(/\s+(FOR UPDATE|LOCK IN SHARE MODE)\s*$/i, '');
}
