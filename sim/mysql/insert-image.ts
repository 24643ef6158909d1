import type { SqlRow, SqlValue } from '../../src/ports/sql.ts';
import type { TableSpec, WriteStatement } from './dialect.ts';
import { engineValue } from './sqlite.ts';

/** What SQLite stores a bound value as, unchanged, in a column of one declared type. */
type Slot = 'int' | 'text';

/**
 * How the row image of a one-row plain INSERT is known without reading the row back: the
 * statement lists every column but the AUTO_INCREMENT one, each bound straight from a `?`, so
 * the stored row is the parameters plus the id SQLite drew, whenever SQLite's type affinity
 * leaves each value as it was bound ("Datatypes In SQLite" 3.4, column affinity behaviour): a
 * string in a TEXT column, an integer in an INT column, NULL anywhere.
 */
export interface InsertImage {
  /** The table the plan was made for (a table dropped and created again gets a new plan). */
  readonly spec: TableSpec;
  /** Per table column, in table order: the parameter it comes from, or -1 for the generated id. */
  readonly sources: readonly number[];
  /** Per parameter: what it must be to be stored unchanged. */
  readonly slots: readonly Slot[];
}

const PLACEHOLDERS = /^VALUES \(\?(?:, \?)*\)$/;

/**
 * The plan of `st` on `spec`, or undefined when its row image must be read back. `declared`
 * gives a column's declared SQLite type (PRAGMA table_info).
 */
export function planImage(
  st: WriteStatement,
  spec: TableSpec,
  declared: (column: string) => string | undefined,
): InsertImage | undefined {
  const rows = st.rows;
  if (st.returning === undefined || rows === undefined || st.tuples !== 1) return undefined;
  const listed = rows.columns ?? spec.columns;
  if (!PLACEHOLDERS.test(rows.valuesSql) || rows.valueParams !== listed.length) return undefined;
  const auto = spec.autoIncrement;
  const expected = spec.columns.filter((c) => c !== auto);
  if (listed.length !== expected.length || new Set(listed).size !== listed.length) return undefined;
  const slots: Slot[] = [];
  for (const column of listed) {
    if (!expected.includes(column)) return undefined;
    const type = declared(column);
    if (type === 'INT') slots.push('int');
    else if (type === 'TEXT') slots.push('text');
    else return undefined;
  }
  const sources = spec.columns.map((c) => (c === auto ? -1 : listed.indexOf(c)));
  return { spec, sources, slots };
}

/**
 * The row image `params` make under `plan`, the generated id (if any) still to be set; undefined
 * when some value would not be stored as bound (it is then read back with RETURNING).
 */
export function imageOf(plan: InsertImage, params: readonly SqlValue[]): SqlRow | undefined {
  const { slots, sources, spec } = plan;
  if (params.length !== slots.length) return undefined;
  for (let i = 0; i < slots.length; i++) {
    const v = params[i];
    if (v === null) continue;
    if (slots[i] === 'text' ? !wellFormed(v) : !exactInteger(v)) return undefined;
  }
  const row: SqlRow = {};
  const columns = spec.columns;
  for (let i = 0; i < columns.length; i++) {
    const at = sources[i]!;
    row[columns[i]!] = at < 0 ? null : engineValue(params[at]);
  }
  return row;
}

// A string that UTF-8 encodes and decodes to itself (no lone surrogate, which the encoding would
// replace with U+FFFD).
function wellFormed(v: SqlValue | undefined): boolean {
  return typeof v === 'string' && (v as string & { isWellFormed(): boolean }).isWellFormed();
}

// An integer SQLite stores and gives back exactly: a safe integer number (not -0, stored as 0)
// or a BigInt (one beyond 64 bits fails to bind, and the INSERT is run again on the slow path).
function exactInteger(v: SqlValue | undefined): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0);
  return typeof v === 'bigint';
}
