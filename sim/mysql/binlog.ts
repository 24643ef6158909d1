import type { SqlRow, SqlValue } from '../../src/ports/sql.ts';
import type { TableSpec } from './dialect.ts';
import type { Gtid } from './gtid.ts';

/** One row change in a row-based binlog event (MariaDB Write_rows / Update_rows / Delete_rows). */
export type RowChange =
  | { readonly op: 'write'; readonly table: string; readonly after: SqlRow }
  | { readonly op: 'update'; readonly table: string; readonly before: SqlRow; readonly after: SqlRow }
  | { readonly op: 'delete'; readonly table: string; readonly before: SqlRow };

/** A binlog event of a group: row changes, or a DDL statement (a Query event, re-executed). */
export type ReplEvent =
  | { readonly kind: 'rows'; readonly change: RowChange }
  | { readonly kind: 'ddl'; readonly sql: string; readonly table: string; readonly spec?: TableSpec };

/** One transaction in a binlog or relay log. */
export interface BinlogGroup {
  readonly gtid: Gtid;
  /** Header timestamp (`when`) of the group's first event: statement start on the origin, s. */
  readonly timestampS: number;
  /** Virtual ms at which the origin wrote it to its binlog (for the true lag). */
  readonly originCommitMs: number;
  readonly events: readonly ReplEvent[];
  /** Approximate size on the wire, bytes. */
  readonly sizeBytes: number;
}

/** The row changes of a group's events, in order (DDL events left out). */
export function rowChanges(events: readonly ReplEvent[]): RowChange[] {
  const out: RowChange[] = [];
  for (const e of events) if (e.kind === 'rows') out.push(e.change);
  return out;
}

/** Rough wire size: GTID + Table_map + row images + Xid, enough for bandwidth modelling. */
export function groupSize(events: readonly ReplEvent[]): number {
  let n = 42 + 31;
  for (const e of events) {
    if (e.kind === 'ddl') n += 60 + e.sql.length;
    else {
      n += 46 + 40;
      const c = e.change;
      if (c.op !== 'write') for (const v of Object.values(c.before)) n += valueSize(v);
      if (c.op !== 'delete') for (const v of Object.values(c.after)) n += valueSize(v);
    }
  }
  return n;
}

const valueSize = (v: SqlValue): number => (typeof v === 'string' ? v.length + 2 : v === null ? 0 : 8);
