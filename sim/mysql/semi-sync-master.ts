import { assert } from '../../src/assert.ts';
import type { Clock, TimerHandle } from '../../src/ports/clock.ts';
import type { SqlError } from '../../src/ports/sql.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import { nonNegative } from './options.ts';

/** `rpl_semi_sync_master_wait_point`. */
export type SemiSyncWaitPoint = 'AFTER_SYNC' | 'AFTER_COMMIT';

/** Semi-synchronous replication settings of a primary (MariaDB semisync_master.cc). */
export interface SemiSyncOptions {
  /** `rpl_semi_sync_master_enabled` (and the replicas' `rpl_semi_sync_slave_enabled`). @defaultValue false */
  readonly enabled?: boolean;
  /** `rpl_semi_sync_master_wait_point`. @defaultValue 'AFTER_COMMIT' (MariaDB 10.11's default) */
  readonly waitPoint?: SemiSyncWaitPoint;
  /** `rpl_semi_sync_master_timeout`, ms. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /**
   * `rpl_semi_sync_master_wait_no_slave`: ON keeps semi-sync ON with no replica connected until a
   * commit times out; OFF switches to async as soon as the last semi-sync replica disconnects.
   * @defaultValue true
   */
  readonly waitNoSlave?: boolean;
}

/**
 * The semi-sync master's state: `off` while `rpl_semi_sync_master_enabled=OFF`; `on` while it is
 * enabled and `Rpl_semi_sync_master_status` is ON (commits wait for an ack); `fallen-back` while it
 * is enabled but a timed-out wait (or the last replica leaving, with wait_no_slave=OFF) switched
 * the status OFF, until a replica catches up (semisync_master.cc switch_off / try_switch_on).
 */
export type SemiSyncState =
  | { readonly state: 'off' }
  | { readonly state: 'on' }
  | { readonly state: 'fallen-back'; readonly why: string };

/** What the semi-sync master needs from its node. */
export interface SemiSyncPorts {
  readonly clock: Clock;
  readonly trace: TraceSink;
  /** The node's name, in trace events. */
  readonly name: string;
  /** The node's restart epoch: a timer armed before a crash does nothing after it. */
  epoch(): number;
  /** The node's waiters to reject with 2013 when it crashes. */
  readonly crashWaiters: Set<(e: SqlError) => void>;
}

interface AckWaiter {
  readonly index: number;
  readonly resolve: (acked: boolean) => void;
}

/**
 * The semi-sync master plug-in of one node (MariaDB semisync_master.cc): its settings, its status
 * (`SemiSyncState`), the commits waiting for a replica's ack and the yes/no counters.
 */
export class SemiSyncMaster {
  #state: SemiSyncState;
  #waitPoint: SemiSyncWaitPoint;
  #timeoutMs: number;
  #waitNoSlave: boolean;
  #yesTx = 0;
  #noTx = 0;
  /** Binlog index of the latest group a replica acknowledged; -1 = none. */
  #ackedIndex = -1;
  #ackWaiters: AckWaiter[] = [];
  readonly #ports: SemiSyncPorts;

  constructor(options: SemiSyncOptions, ports: SemiSyncPorts) {
    this.#ports = ports;
    this.#waitPoint = options.waitPoint ?? 'AFTER_COMMIT';
    if (this.#waitPoint !== 'AFTER_SYNC' && this.#waitPoint !== 'AFTER_COMMIT') {
      throw new RangeError(
        `semiSync.waitPoint: expected 'AFTER_SYNC' or 'AFTER_COMMIT', got '${this.#waitPoint}'`,
      );
    }
    this.#timeoutMs = nonNegative('semiSync.timeoutMs', options.timeoutMs ?? 10_000);
    this.#waitNoSlave = options.waitNoSlave ?? true;
    this.#state = (options.enabled ?? false) ? { state: 'on' } : { state: 'off' };
  }

  /** `rpl_semi_sync_master_enabled`. */
  get enabled(): boolean {
    return this.#state.state !== 'off';
  }

  /** `Rpl_semi_sync_master_status`: commits wait for an ack. */
  get on(): boolean {
    return this.#state.state === 'on';
  }

  /** The state, for status views and tests. */
  get state(): SemiSyncState {
    return this.#state;
  }

  /** `rpl_semi_sync_master_wait_point`. */
  get waitPoint(): SemiSyncWaitPoint {
    return this.#waitPoint;
  }

  /** `rpl_semi_sync_master_timeout`, ms. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** `rpl_semi_sync_master_wait_no_slave`. */
  get waitNoSlave(): boolean {
    return this.#waitNoSlave;
  }

  /** `Rpl_semi_sync_master_yes_tx`: commits acknowledged in time. */
  get yesTx(): number {
    return this.#yesTx;
  }

  /** `Rpl_semi_sync_master_no_tx`: commits that returned without an ack. */
  get noTx(): number {
    return this.#noTx;
  }

  /** True when a commit's engine commit waits for the ack (status ON, AFTER_SYNC). */
  get defersEngineCommit(): boolean {
    return this.on && this.#waitPoint === 'AFTER_SYNC';
  }

  /**
   * Sets the variables (`SET GLOBAL rpl_semi_sync_master_*`); the status follows `enabled` at once.
   * Unset fields keep their value.
   */
  configure(options: SemiSyncOptions): void {
    const enabled = options.enabled ?? this.enabled;
    this.#waitPoint = options.waitPoint ?? this.#waitPoint;
    this.#timeoutMs = nonNegative('semiSync.timeoutMs', options.timeoutMs ?? this.#timeoutMs);
    this.#waitNoSlave = options.waitNoSlave ?? this.#waitNoSlave;
    this.#switch(enabled ? { state: 'on' } : { state: 'off' }, null);
  }

  /** `SET GLOBAL rpl_semi_sync_master_enabled`: the status follows at once. */
  setEnabled(on: boolean): void {
    this.#switch(on ? { state: 'on' } : { state: 'off' }, null);
  }

  /** `SET GLOBAL rpl_semi_sync_master_timeout`, ms (validated by the caller). */
  setTimeoutMs(ms: number): void {
    this.#timeoutMs = ms;
  }

  /** `SET GLOBAL rpl_semi_sync_master_wait_point`. */
  setWaitPoint(waitPoint: SemiSyncWaitPoint): void {
    this.#waitPoint = waitPoint;
  }

  /** A restart: the status follows `enabled` again, the counters start from 0, all acked so far. */
  restart(binlogLength: number): void {
    this.#switch(this.enabled ? { state: 'on' } : { state: 'off' }, null);
    this.#yesTx = 0;
    this.#noTx = 0;
    this.#ackedIndex = binlogLength - 1;
    assert(this.#ackWaiters.length === 0, 'semi-sync: a commit waits for an ack across a restart');
  }

  /** A crash: the waiting commits are gone with their connections. */
  crash(): void {
    this.#ackWaiters = [];
  }

  /** Counts a commit that waited (`acked`) or did not (`Rpl_semi_sync_master_yes_tx` / `_no_tx`). */
  count(acked: boolean): void {
    if (acked) this.#yesTx++;
    else this.#noTx++;
  }

  /**
   * Waits for an ack of binlog group `index`: true once a replica acknowledged it, false when
   * `rpl_semi_sync_master_timeout` passed first (the status then falls back to OFF).
   */
  waitAck(index: number): Promise<boolean> {
    if (this.#ackedIndex >= index) return Promise.resolve(true);
    const { clock, crashWaiters } = this.#ports;
    return new Promise<boolean>((resolve, reject) => {
      const epoch = this.#ports.epoch();
      let timer: TimerHandle | undefined;
      const waiter: AckWaiter = {
        index,
        resolve: (acked) => {
          timer?.cancel();
          crashWaiters.delete(onCrash);
          resolve(acked);
        },
      };
      const onCrash = (e: SqlError) => {
        timer?.cancel();
        reject(e);
      };
      crashWaiters.add(onCrash);
      this.#ackWaiters.push(waiter);
      timer = clock.schedule(this.#timeoutMs, () => {
        if (epoch !== this.#ports.epoch()) return;
        // semisync_master.cc: "Timeout waiting for reply of binlog ..., semi-sync up to file ...";
        // switch_off() wakes every waiter; they all return OK, counted in no_tx.
        this.fallBack('timeout');
        const waiters = this.#ackWaiters.splice(0);
        for (const w of waiters) w.resolve(false);
      });
    });
  }

  /**
   * A replica's reply for binlog group `index` (semisync_master.cc report_reply_binlog): wakes the
   * commits it covers. A reply at or past the latest commit (`binlogLength - 1`) means the replica
   * has caught up, so a fallen-back status goes back ON (try_switch_on).
   */
  reply(index: number, binlogLength: number, from: string, gtid: string): void {
    if (index > this.#ackedIndex) this.#ackedIndex = index;
    // A replica acknowledges only what the binlog holds.
    assert(
      this.#ackedIndex < binlogLength,
      () => `semi-sync: acked index ${this.#ackedIndex} >= binlog length ${binlogLength}`,
    );
    if (this.#state.state === 'fallen-back' && index >= binlogLength - 1) {
      this.#switch({ state: 'on' }, `${from} caught up`);
    }
    this.#ports.trace.emit('mysql', 'ack', { node: this.#ports.name, from, gtid });
    const ready = this.#ackWaiters.filter((w) => w.index <= this.#ackedIndex);
    if (ready.length === 0) return;
    this.#ackWaiters = this.#ackWaiters.filter((w) => w.index > this.#ackedIndex);
    for (const w of ready) w.resolve(true);
  }

  /** semisync_master.cc remove_slave: with wait_no_slave OFF the last replica leaving switches OFF. */
  replicaLeft(connected: number): void {
    if (this.on && !this.#waitNoSlave && connected === 0) {
      this.fallBack('no semi-sync replica connected (wait_no_slave=OFF)');
    }
  }

  /** semisync_master.cc switch_off: an ON status falls back to OFF (async) for `why`. */
  fallBack(why: string): void {
    if (this.#state.state !== 'on') return;
    this.#switch({ state: 'fallen-back', why }, why);
  }

  /**
   * The one place the state changes. With a `why`, a change of `Rpl_semi_sync_master_status` is
   * traced (`semisync-status`); without one (setting variables, a restart) it is silent.
   */
  #switch(next: SemiSyncState, why: string | null): void {
    const wasOn = this.on;
    this.#state = next;
    if (why !== null && wasOn !== this.on) {
      this.#ports.trace.emit('mysql', 'semisync-status', {
        node: this.#ports.name,
        status: this.on ? 'ON' : 'OFF',
        why,
      });
    }
  }
}
