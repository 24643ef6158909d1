import type { SqlRow, SqlValue } from '../../src/ports/sql.ts';
import type { TableSpec } from './dialect.ts';
import type { SqliteStatement } from './sqlite.ts';

/** A DECIMAL column's scale, or whether an integer column answers as a BIGINT. */
export type ColumnKind = number | 'bigint' | 'int';

/**
 * How reads answer integers, as mysql2's options decide (mysql2 README "supportBigNumbers",
 * "bigNumberStrings"): `numbers` (neither: a BIGINT beyond 2^53 is rounded), `unsafe-as-strings`
 * (supportBigNumbers: a string only when a number would not be exact; what the project's
 * Mysql2SqlPort.create asks for) or `strings` (both: every BIGINT and integer result a string).
 */
export type BigNumbers = 'numbers' | 'unsafe-as-strings' | 'strings';

/**
 * A prepared SELECT and what each of its result columns answers. It runs in better-sqlite3's raw
 * mode (each row an array; better-sqlite3 README, "statement.raw()"), and the row objects are
 * built here: better-sqlite3 would build one object per row in C++, and `answer` would then
 * rewrite its integers; building it once with its final values does half the work. A row holds
 * the columns in result order, a repeated name keeping its place and its last value, as
 * better-sqlite3's own rows do.
 */
export class ReadStatement {
  readonly #stmt: SqliteStatement;
  readonly #names: readonly string[];
  readonly #kinds: readonly ColumnKind[];
  /**
   * One result column: the statement runs in pluck mode (better-sqlite3 README,
   * "statement.pluck()"), each row its value alone, so no array is made per row.
   */
  readonly #single: boolean;

  constructor(stmt: SqliteStatement, tables: ReadonlyMap<string, TableSpec>) {
    const columns = stmt.columns();
    this.#stmt = stmt;
    this.#names = columns.map((c) => c.name);
    this.#kinds = columns.map((c) => columnKind(c, tables));
    this.#single = columns.length === 1;
    if (this.#single) stmt.pluck(true);
    else stmt.raw(true);
  }

  /**
   * A ReadStatement for `stmt`, or undefined when its rows must be built by better-sqlite3: a
   * statement that returns no rows (its `all()` raises the error it must), or a column named
   * `__proto__` (assigning that name would set the row's prototype).
   */
  static of(stmt: SqliteStatement, tables: ReadonlyMap<string, TableSpec>): ReadStatement | undefined {
    if (!stmt.reader || stmt.columns().some((c) => c.name === '__proto__')) return undefined;
    return new ReadStatement(stmt, tables);
  }

  /** The result rows for `params` (as better-sqlite3 binds them), answered as `bigNumbers` says. */
  rows(params: readonly unknown[], bigNumbers: BigNumbers): SqlRow[] {
    if (this.#single) return this.#plucked(params, bigNumbers);
    const raw = this.#stmt.all(...params) as unknown as unknown[][];
    const names = this.#names;
    const kinds = this.#kinds;
    const rows: SqlRow[] = new Array(raw.length);
    for (let r = 0; r < raw.length; r++) {
      const values = raw[r]!;
      const row: SqlRow = {};
      for (let i = 0; i < names.length; i++) row[names[i]!] = answer(values[i], kinds[i]!, bigNumbers);
      rows[r] = row;
    }
    return rows;
  }

  // `rows` of a one-column statement, from the plucked values.
  #plucked(params: readonly unknown[], bigNumbers: BigNumbers): SqlRow[] {
    const values = this.#stmt.all(...params) as unknown[];
    const name = this.#names[0]!;
    const kind = this.#kinds[0]!;
    const rows: SqlRow[] = new Array(values.length);
    for (let r = 0; r < values.length; r++) {
      const row: SqlRow = {};
      row[name] = answer(values[r], kind, bigNumbers);
      rows[r] = row;
    }
    return rows;
  }
}

/**
 * What mysql2 answers for a result column: a DECIMAL column as a string with its scale ('1.50';
 * the number is the scale), and whether an integer column is BIGINT-typed (a BIGINT column, or an
 * expression: MariaDB types integer expressions and COUNT(*) as BIGINT).
 */
export function columnKind(
  c: { column: string | null; table: string | null; type: string | null },
  tables: ReadonlyMap<string, TableSpec>,
): ColumnKind {
  const scale = /^DECIMAL\(\d+,(\d+)\)$/.exec(c.type ?? '')?.[1];
  if (scale !== undefined) return Number(scale);
  if (c.type === null || c.column === null) return 'bigint';
  const big = c.table !== null && tables.get(c.table)?.bigints.includes(c.column);
  return big ? 'bigint' : 'int';
}

/** A value SQLite returned (integers as BigInt), as the client reads it from a `kind` column. */
export function answer(v: unknown, kind: ColumnKind, bigNumbers: BigNumbers): SqlValue {
  if (typeof kind === 'number') {
    if (typeof v === 'number') return v.toFixed(kind);
    if (typeof v === 'bigint') return `${v}${kind > 0 ? `.${'0'.repeat(kind)}` : ''}`;
    return v as SqlValue;
  }
  if (typeof v !== 'bigint') return v as SqlValue;
  if (bigNumbers === 'strings' && kind === 'bigint') return String(v);
  // Number() rounds only outside ±(2^53 - 1), where the result is not a safe integer either.
  const n = Number(v);
  if (bigNumbers === 'numbers' || Number.isSafeInteger(n)) return n;
  return String(v);
}
