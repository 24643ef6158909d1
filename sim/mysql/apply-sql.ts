import type { SqlRow } from '../../src/ports/sql.ts';
import type { TableSpec } from './dialect.ts';

/**
 * A table's row-image statements: insert, update and delete by key. Rows are found by primary key
 * (all columns when the table has none), as the replica's row applier looks them up (MariaDB
 * log_event_server.cc Rows_log_event::find_row); images hold every column in table order.
 */
export interface ApplySql {
  readonly keyCols: readonly string[];
  readonly insert: string;
  readonly update: string;
  readonly delete: string;
}

/** The row-image statements of `spec`'s table. */
export function applySqlOf(spec: TableSpec): ApplySql {
  const cols = spec.columns;
  const keyCols = spec.primaryKey.length > 0 ? spec.primaryKey : cols;
  const where = keyCols.map((c) => `"${c}" IS ?`).join(' AND ');
  return {
    keyCols,
    insert: `INSERT INTO "${spec.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    update: `UPDATE "${spec.name}" SET ${cols.map((c) => `"${c}" = ?`).join(', ')} WHERE ${where}`,
    delete: `DELETE FROM "${spec.name}" WHERE ${where}`,
  };
}

/** The values of `row`'s `cols`, in order, with room for `extra` more. */
export function valuesOf(row: SqlRow, cols: readonly string[], extra: number): unknown[] {
  const values = new Array<unknown>(cols.length + extra);
  for (let i = 0; i < cols.length; i++) values[i] = row[cols[i]!];
  return values;
}
