import { createRequire } from 'node:module';
import type { SqlRow, SqlValue } from '../../src/ports/sql.ts';
import type { TableSpec } from './dialect.ts';

// better-sqlite3 ships no types here; this is the part of its API the engine uses.
export interface SqliteStatement {
  readonly reader: boolean;
  columns(): { name: string; column: string | null; table: string | null; type: string | null }[];
  all(...params: unknown[]): Record<string, unknown>[];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  /** Rows as arrays of column values, in result order (a statement that returns data only). */
  raw(on: boolean): SqliteStatement;
  /** Rows as their first column's value alone (a statement that returns data only). */
  pluck(on: boolean): SqliteStatement;
}
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  function(
    name: string,
    options: { deterministic: boolean; varargs?: boolean; safeIntegers?: boolean },
    fn: (...args: unknown[]) => unknown,
  ): void;
  /** Integers come back as BigInt from every statement prepared afterwards. */
  defaultSafeIntegers(on: boolean): void;
  readonly inTransaction: boolean;
}
type SqliteConstructor = new (filename: string) => SqliteDatabase;
export const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteConstructor;

/**
 * The capture triggers of a table, on while a write statement runs: each row attempt and each
 * row change calls into the engine
 * with the table, the operation and the row's column values in table order (OLD then NEW for an
 * update). Values pass as SQLite holds them (integers as BigInt), so nothing is rounded on the
 * way to the binlog: a BIGINT beyond 2^53 reaches the replicas exactly.
 */
export function triggers(spec: TableSpec): string {
  const row = (alias: string) => spec.columns.map((c) => `${alias}."${c}"`).join(', ');
  const t = spec.name;
  const on = 'WHEN __hasim_capturing()';
  return [
    `CREATE TRIGGER "${t}__bi" BEFORE INSERT ON "${t}" ${on} BEGIN SELECT __hasim_attempt('${t}', 'insert', ${row('NEW')}); END;`,
    `CREATE TRIGGER "${t}__bu" BEFORE UPDATE ON "${t}" ${on} BEGIN SELECT __hasim_attempt('${t}', 'update', ${row('NEW')}); END;`,
    `CREATE TRIGGER "${t}__ai" AFTER INSERT ON "${t}" ${on} BEGIN SELECT __hasim_row('${t}', 'write', ${row('NEW')}); END;`,
    `CREATE TRIGGER "${t}__au" AFTER UPDATE ON "${t}" ${on} BEGIN SELECT __hasim_row('${t}', 'update', ${row('OLD')}, ${row('NEW')}); END;`,
    `CREATE TRIGGER "${t}__ad" AFTER DELETE ON "${t}" ${on} BEGIN SELECT __hasim_row('${t}', 'delete', ${row('OLD')}); END;`,
  ].join('\n');
}

/** A value as the engine keeps it: an integer as a number while it is exact, else as a BigInt. */
export function engineValue(v: unknown): SqlValue {
  if (typeof v === 'bigint') return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
  return v as SqlValue;
}
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The row of `columns` held by `values` from index `at` on. */
export function rowOf(columns: readonly string[], values: readonly unknown[], at: number): SqlRow {
  const row: SqlRow = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]!] = engineValue(values[at + i]);
  return row;
}

/** A row SQLite returned, its integers as the engine keeps them. */
export function engineRow(r: Record<string, unknown>): SqlRow {
  const row: SqlRow = {};
  for (const k in r) row[k] = engineValue(r[k]);
  return row;
}

/**
 * MariaDB CONCAT(): NULL when any argument is NULL (KB "CONCAT"); SQLite's concat() would skip
 * it. Numbers are written as MariaDB writes them for the integers the gateway stores.
 */
export function concat(...args: unknown[]): string | null {
  let out = '';
  for (const a of args) {
    if (a === null || a === undefined) return null;
    out += a instanceof Uint8Array ? Buffer.from(a).toString('utf8') : String(a);
  }
  return out;
}

/**
 * Parameters as better-sqlite3 binds them (booleans as 0/1, bytes as a Buffer): `params` itself
 * when none needs converting (every statement of the gateway's history), else a converted copy.
 */
export function bind(params: readonly SqlValue[]): readonly unknown[] {
  for (const p of params)
    if (typeof p === 'boolean' || p instanceof Uint8Array)
      return params.map((q) =>
        typeof q === 'boolean' ? (q ? 1 : 0) : q instanceof Uint8Array ? Buffer.from(q) : q,
      );
  return params;
}

/**
 * 'YYYY-MM-DD HH:MM:SS' for a virtual-clock time (ms from the Unix epoch 0): what NOW() returns
 * with time_zone='+00:00'. Written as arithmetic rather than with `Date`: it runs inside SQLite
 * (every NOW() of a simulated statement), where the kernel's tripwires have replaced the global
 * `Date`; `new Date(ms)` would pass them, but a pure function of `ms` cannot depend on which
 * `Date` is installed or on the host's time zone, and needs no slicing of an ISO string.
 */
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
