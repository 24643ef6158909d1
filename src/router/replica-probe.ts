// What the router's optional checks (health, lag, causal reads) ask of a replica. ShardingSphere has
// none of these; they follow MaxScale readwritesplit (max_replication_lag, causal_reads) and the
// MariaDB's SHOW SLAVE STATUS page (Slave_IO_Running, Slave_SQL_Running, Seconds_Behind_Master). The default probe speaks SQL, so it works on real MariaDB and on the
// simulated cluster (sim/mysql understands both statements).
import type { SqlPort, SqlValue } from '../ports/sql.ts';

/** A replica's replication state, as `SHOW SLAVE STATUS` reports it. */
export interface ReplicaStatus {
  /** `Slave_IO_Running = Yes` (`Connecting` counts as not running). */
  readonly ioRunning: boolean;
  /** `Slave_SQL_Running = Yes`. */
  readonly sqlRunning: boolean;
  /** `Seconds_Behind_Master`, whole seconds; `null` when the server reports NULL (a thread stopped). */
  readonly secondsBehindMaster: number | null;
}

/** How the router learns about one replica. */
export interface ReplicaProbe {
  /** The replica's current replication status. Rejects when the replica cannot be reached. */
  status(): Promise<ReplicaStatus>;
  /**
   * Waits until the replica has applied `gtid` (MariaDB `domain-server-seq`), at most `timeoutMs`
   * milliseconds: `MASTER_GTID_WAIT(gtid, timeout)` semantics, true for 0 (reached), false for -1 (timed out).
   */
  waitForGtid(gtid: string, timeoutMs: number): Promise<boolean>;
}

const firstValue = (row: Record<string, SqlValue> | undefined): SqlValue | undefined =>
  row === undefined ? undefined : Object.values(row)[0];

/** A probe that asks the replica itself: `SHOW SLAVE STATUS` and `SELECT MASTER_GTID_WAIT(?, ?)`. */
export function sqlReplicaProbe(replica: SqlPort): ReplicaProbe {
  return {
    async status() {
      const { rows } = await replica.query('SHOW SLAVE STATUS');
      const row = rows[0];
      if (!row) return { ioRunning: false, sqlRunning: false, secondsBehindMaster: null };
      const sbm = row.Seconds_Behind_Master;
      return {
        ioRunning: row.Slave_IO_Running === 'Yes',
        sqlRunning: row.Slave_SQL_Running === 'Yes',
        secondsBehindMaster: sbm === null || sbm === undefined ? null : Number(sbm),
      };
    },
    async waitForGtid(gtid, timeoutMs) {
      // MASTER_GTID_WAIT takes seconds (a decimal is allowed) and returns 0 (reached) or -1 (timeout).
      const { rows } = await replica.query('SELECT MASTER_GTID_WAIT(?, ?)', [gtid, timeoutMs / 1000]);
      return Number(firstValue(rows[0])) === 0;
    },
  };
}
