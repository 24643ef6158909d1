import type { Clock, TimerHandle } from '../../src/ports/clock.ts';
import type { SqlError } from '../../src/ports/sql.ts';
import { type Gtid, type GtidPos, reached } from './gtid.ts';

interface GtidWaiter {
  readonly target: GtidPos;
  readonly resolve: () => void;
}

/** What the waits need from their node. */
export interface GtidWaitsPorts {
  readonly clock: Clock;
  /** `gtid_slave_pos`, per domain: what the waits compare against. */
  readonly slavePos: ReadonlyMap<number, Gtid>;
  /** The node's waiters to reject with 2013 when it crashes. */
  readonly crashWaiters: Set<(e: SqlError) => void>;
}

/** The connections blocked in `MASTER_GTID_WAIT` on one node (MariaDB rpl_gtid.cc gtid_waiting). */
export class GtidWaits {
  readonly #waiters = new Set<GtidWaiter>();
  readonly #ports: GtidWaitsPorts;

  constructor(ports: GtidWaitsPorts) {
    this.#ports = ports;
  }

  /**
   * Resolves 0 once `gtid_slave_pos` reaches `target` (not reached yet), or -1 after `timeoutMs`
   * (waits forever when undefined); rejects with the node's crash error.
   */
  wait(target: GtidPos, timeoutMs: number | undefined): Promise<number> {
    const { clock, crashWaiters } = this.#ports;
    return new Promise<number>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const entry: GtidWaiter = {
        target,
        resolve: () => {
          timer?.cancel();
          crashWaiters.delete(onCrash);
          resolve(0);
        },
      };
      const onCrash = (e: SqlError) => {
        timer?.cancel();
        this.#waiters.delete(entry);
        reject(e);
      };
      crashWaiters.add(onCrash);
      this.#waiters.add(entry);
      if (timeoutMs !== undefined) {
        timer = clock.schedule(timeoutMs, () => {
          this.#waiters.delete(entry);
          crashWaiters.delete(onCrash);
          resolve(-1);
        });
      }
    });
  }

  /** `gtid_slave_pos` moved: wakes the waits it now satisfies, in the order they began. */
  notify(): void {
    for (const w of [...this.#waiters]) {
      if (reached(this.#ports.slavePos, w.target)) {
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  /** The node crashed: the waits are gone with their connections (rejected through crashWaiters). */
  crash(): void {
    this.#waiters.clear();
  }
}
