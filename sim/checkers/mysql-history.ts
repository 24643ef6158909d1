import type { Clock } from '../../src/ports/clock.ts';
import { nullTraceSink, type TraceFields, type TraceSink } from '../../src/ports/trace.ts';

/**
 * One client operation on a single key (a row), as a history checker sees it. Values must be
 * unique per write (a workload writes `client:n`), so that a read names the write it observed.
 */
export type MysqlOp =
  | {
      readonly kind: 'write';
      readonly client: string;
      readonly node: string;
      readonly key: string;
      readonly value: string;
      readonly startMs: number;
      readonly endMs: number;
      /** Position of the invocation / completion in the recorder's event order (ties within a ms). */
      readonly invokedAt?: number;
      readonly completedAt?: number;
      /** 'ok' = the client got OK; 'error' = it got an error (the write may or may not exist). */
      readonly outcome: 'ok' | 'error';
    }
  | {
      readonly kind: 'read';
      readonly client: string;
      readonly node: string;
      readonly key: string;
      /** The value read; null = no row. */
      readonly value: string | null;
      readonly startMs: number;
      readonly endMs: number;
      readonly invokedAt?: number;
      readonly completedAt?: number;
    };

type WriteOp = Extract<MysqlOp, { kind: 'write' }>;
type ReadOp = Extract<MysqlOp, { kind: 'read' }>;

/** What `checkMysqlHistory` found. Empty arrays = no anomaly of that kind. */
export interface MysqlHistoryReport {
  /** Acknowledged writes missing from the final state and not overwritten by a later write. */
  readonly lostWrites: ReadonlyArray<{ readonly write: WriteOp; readonly finalValue: string | null }>;
  /** Reads that returned a state older than a write acknowledged before the read began. */
  readonly staleReads: ReadonlyArray<{
    readonly read: ReadOp;
    readonly missed: WriteOp;
    readonly lagMs: number;
  }>;
  /** The stale reads whose missed write came from the same client (read-your-writes). */
  readonly readYourWritesViolations: ReadonlyArray<{ readonly read: ReadOp; readonly missed: WriteOp }>;
}

/** What a `MysqlHistory` touches: the clock it stamps operations with, and the trace it writes them to. */
export interface MysqlHistoryPorts {
  readonly clock: Clock;
  /** Receives a `history op` per operation and a `history final` per key. @defaultValue no trace */
  readonly trace?: TraceSink;
}

/**
 * Records operations with their virtual start and end times and outcomes. With a trace sink, each
 * completed operation is also a trace event (`history op`), and `recordFinal` writes the final
 * state (`history final`), so the checker can judge a saved or replayed trace on its own
 * (`checkMysqlHistoryTrace`), as checkers should.
 */
export class MysqlHistory {
  /** Every recorded operation, in completion order. */
  readonly ops: MysqlOp[] = [];
  /** The final value of each key, as given to `recordFinal`. */
  readonly final = new Map<string, string | null>();
  readonly #clock: Clock;
  readonly #trace: TraceSink;
  #event = 0;

  constructor(ports: MysqlHistoryPorts) {
    this.#clock = ports.clock;
    this.#trace = ports.trace ?? nullTraceSink;
  }

  /** Records a key's value in the final state (read from the surviving primary after the run). */
  recordFinal(key: string, value: string | null): void {
    this.final.set(key, value);
    this.#trace.emit('history', 'final', { key, value });
  }

  #push(op: MysqlOp): void {
    this.ops.push(op);
    this.#trace.emit('history', 'op', op as unknown as TraceFields);
  }

  /** Runs a write and records it; resolves true on OK, false on error (never rejects). */
  async write(
    client: string,
    node: string,
    key: string,
    value: string,
    run: () => Promise<unknown>,
  ): Promise<boolean> {
    const startMs = this.#clock.now();
    const invokedAt = this.#event++;
    let outcome: 'ok' | 'error' = 'ok';
    try {
      await run();
    } catch {
      outcome = 'error';
    }
    const completedAt = this.#event++;
    this.#push({
      kind: 'write',
      client,
      node,
      key,
      value,
      startMs,
      endMs: this.#clock.now(),
      invokedAt,
      completedAt,
      outcome,
    });
    return outcome === 'ok';
  }

  /** Runs a read returning the row's value (null = none) and records it; failed reads are not recorded. */
  async read(
    client: string,
    node: string,
    key: string,
    run: () => Promise<string | null>,
  ): Promise<string | null | undefined> {
    const startMs = this.#clock.now();
    const invokedAt = this.#event++;
    let value: string | null;
    try {
      value = await run();
    } catch {
      return undefined;
    }
    const completedAt = this.#event++;
    this.#push({
      kind: 'read',
      client,
      node,
      key,
      value,
      startMs,
      endMs: this.#clock.now(),
      invokedAt,
      completedAt,
    });
    return value;
  }
}

/**
 * Judges a finished history against the final state (each key's value on the surviving primary).
 * Rules, per key, with W ⟶ X meaning "W ended before X started" (real-time order):
 * - lost: an OK write W whose value is not final, while the final value is absent or was written
 *   by a write X with X ⟶ W (so nothing that could legally follow W explains it);
 * - stale: a read R returning the value of X (or no row) while some OK write W has X ⟶ W ⟶ R,
 *   i.e. R missed a write acknowledged before R began (not linearizable; Jepsen's "stale read");
 * - read-your-writes: a stale read whose missed write was made by the same client.
 */
export function checkMysqlHistory(
  ops: readonly MysqlOp[],
  final: ReadonlyMap<string, string | null>,
): MysqlHistoryReport {
  const writesByKey = new Map<string, WriteOp[]>();
  const byValue = new Map<string, WriteOp>();
  for (const op of ops) {
    if (op.kind !== 'write') continue;
    if (byValue.has(`${op.key}\u0000${op.value}`)) {
      throw new RangeError(
        `checkMysqlHistory: value '${op.value}' written twice to key '${op.key}'; values must be unique`,
      );
    }
    byValue.set(`${op.key}\u0000${op.value}`, op);
    const list = writesByKey.get(op.key) ?? [];
    list.push(op);
    writesByKey.set(op.key, list);
  }
  // Real-time order; within one virtual ms the recorder's event order decides.
  const precedes = (a: WriteOp, b: MysqlOp) =>
    a.endMs < b.startMs ||
    (a.endMs === b.startMs &&
      a.completedAt !== undefined &&
      b.invokedAt !== undefined &&
      a.completedAt < b.invokedAt);
  const lostWrites: Array<{ write: WriteOp; finalValue: string | null }> = [];
  for (const w of ops) {
    if (w.kind !== 'write' || w.outcome !== 'ok') continue;
    const finalValue = final.get(w.key) ?? null;
    if (w.value === finalValue) continue;
    const finalWriter = finalValue === null ? null : byValue.get(`${w.key}\u0000${finalValue}`);
    if (finalWriter === null || finalWriter === undefined || precedes(finalWriter, w)) {
      lostWrites.push({ write: w, finalValue });
    }
  }
  const staleReads: Array<{ read: ReadOp; missed: WriteOp; lagMs: number }> = [];
  const readYourWritesViolations: Array<{ read: ReadOp; missed: WriteOp }> = [];
  for (const op of ops) {
    if (op.kind !== 'read') continue;
    const observed = op.value === null ? null : byValue.get(`${op.key}\u0000${op.value}`);
    if (observed === undefined) continue; // a value no recorded write produced: outside this check
    let missed: WriteOp | undefined;
    for (const w of writesByKey.get(op.key) ?? []) {
      if (w.outcome !== 'ok' || w === observed || !precedes(w, op)) continue;
      if (observed !== null && !precedes(observed, w)) continue;
      if (missed === undefined || w.endMs > missed.endMs) missed = w;
    }
    if (missed === undefined) continue;
    staleReads.push({ read: op, missed, lagMs: op.startMs - missed.endMs });
    if (missed.client === op.client) readYourWritesViolations.push({ read: op, missed });
  }
  return { lostWrites, staleReads, readYourWritesViolations };
}

/**
 * Judges a history from its trace alone: the `history op` and `history final` events that a
 * `MysqlHistory` with a trace sink wrote, given as canonical trace lines (a trace file's lines;
 * other events and the header/footer lines are skipped).
 */
export function checkMysqlHistoryTrace(lines: Iterable<string>): MysqlHistoryReport {
  const ops: MysqlOp[] = [];
  const final = new Map<string, string | null>();
  for (const line of lines) {
    if (!line.includes('"c":"history"')) continue;
    const event = JSON.parse(line) as { c: string; k: string; t: number } & Record<string, unknown>;
    if (event.c !== 'history') continue;
    const { t: _t, c: _c, k, ...fields } = event;
    if (k === 'op') ops.push(fields as unknown as MysqlOp);
    else if (k === 'final') final.set(String(fields.key), (fields.value as string | null) ?? null);
  }
  return checkMysqlHistory(ops, final);
}
