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

/** How many of a group's events are row changes (`rowChanges(events).length`, without the array). */
export function rowCount(events: readonly ReplEvent[]): number {
  let n = 0;
  for (const e of events) if (e.kind === 'rows') n++;
  return n;
}

/** Rough wire size: GTID + Table_map + row images + Xid, enough for bandwidth modelling. */
export function groupSize(events: readonly ReplEvent[]): number {
  let n = 42 + 31;
  for (const e of events) {
    if (e.kind === 'ddl') n += 60 + e.sql.length;
    else {
      n += 46 + 40;
      const c = e.change;
      if (c.op !== 'write') n += rowSize(c.before);
      if (c.op !== 'delete') n += rowSize(c.after);
    }
  }
  return n;
}

const valueSize = (v: SqlValue): number => (typeof v === 'string' ? v.length + 2 : v === null ? 0 : 8);

// The sizes of a row image's values (a row is a plain object: for-in visits what Object.values
// would, without building the array).
function rowSize(row: SqlRow): number {
  let n = 0;
  for (const k in row) n += valueSize(row[k]!);
  return n;
}

/**
 * A node's binlog: its groups by absolute index (the position of a group since the node started,
 * which dump threads, semi-sync acks and status use), of which only a tail is kept in memory.
 * `purgeBefore` drops the groups in front of an index, as MariaDB's automatic purge removes whole
 * binlog files once they expire (KB "PURGE BINARY LOGS", `binlog_expire_logs_seconds`); what was
 * dropped can no longer be read, but `length` still counts it.
 */
export class Binlog implements Iterable<BinlogGroup> {
  readonly #groups: BinlogGroup[] = [];
  /** Absolute index of `#groups[0]`: how many groups were dropped from the front. */
  #base = 0;
  /** The last GTID per domain among the dropped groups. */
  readonly #droppedPos = new Map<number, Gtid>();

  /** Groups ever written (dropped ones included): the absolute index of the next group. */
  get length(): number {
    return this.#base + this.#groups.length;
  }

  /** Absolute index of the oldest group still held (0 until something was dropped). */
  get first(): number {
    return this.#base;
  }

  /** The last GTID per domain of the dropped groups (to rebuild `gtid_binlog_pos`). */
  get droppedPos(): ReadonlyMap<number, Gtid> {
    return this.#droppedPos;
  }

  push(group: BinlogGroup): void {
    this.#groups.push(group);
  }

  /** The group at absolute `index` (negative: from the end), undefined when dropped or absent. */
  at(index: number): BinlogGroup | undefined {
    const i = index < 0 ? this.length + index : index;
    return i < this.#base ? undefined : this.#groups[i - this.#base];
  }

  /** Absolute index of `group`, -1 when it is not held. */
  indexOf(group: BinlogGroup): number {
    const i = this.#groups.indexOf(group);
    return i < 0 ? -1 : this.#base + i;
  }

  /** Absolute index of the first held group matching `pred`, -1 when none does. */
  findIndex(pred: (g: BinlogGroup) => boolean): number {
    const i = this.#groups.findIndex(pred);
    return i < 0 ? -1 : this.#base + i;
  }

  /** The first held group matching `pred`. */
  find(pred: (g: BinlogGroup) => boolean): BinlogGroup | undefined {
    return this.#groups.find(pred);
  }

  /** The held groups from absolute `from` on (as `Array.prototype.slice`, from the held ones). */
  slice(from = 0): BinlogGroup[] {
    return this.#groups.slice(Math.max(0, from - this.#base));
  }

  /** Removes and returns the groups from absolute `from` to the end (crash-recovery truncation). */
  truncate(from: number): BinlogGroup[] {
    return this.#groups.splice(Math.max(0, from - this.#base));
  }

  /** Drops the held groups in front of absolute `index`. */
  purgeBefore(index: number): void {
    const n = Math.min(index - this.#base, this.#groups.length);
    if (n <= 0) return;
    for (let i = 0; i < n; i++) {
      const g = this.#groups[i]!.gtid;
      this.#droppedPos.set(g.domain, g);
    }
    // In place: a copy of the held tail (`slice(n)`) left the next pushes growing a fresh
    // array of ~binlogRetainGroups entries, and cost ~10x more per group in a microbenchmark.
    // Nothing iterates the held groups across a purge (iteration, `find` and `findIndex`
    // callbacks do not write to the binlog).
    this.#groups.splice(0, n);
    this.#base += n;
  }

  [Symbol.iterator](): Iterator<BinlogGroup> {
    return this.#groups[Symbol.iterator]();
  }
}
