import type { SqlPort } from '../ports/sql.ts';

/**
 * The longest a run's setup waits for a replica to apply the schema, s. A replica that has not
 * caught up by then is reported and the run goes on. @defaultValue 60
 */
export const SCHEMA_WAIT_SECONDS = 60;

/**
 * Waits until each replica has applied everything the primary had written to its binlog when this
 * is called, the way a deployment lets its migrations reach the replicas before it takes traffic:
 * `SELECT @@gtid_binlog_pos` on the primary, then `SELECT MASTER_GTID_WAIT(pos, timeout)` on each
 * replica, which returns 0 once the replica's SQL thread has applied that position and -1 on
 * timeout (MariaDB KB, "MASTER_GTID_WAIT"; rpl_gtid.cc `gtid_waiting::wait_for_pos`). Without it,
 * a read routed to a replica in the first milliseconds of a run, before the replica applied the
 * CREATE TABLE, fails with "Table ... doesn't exist" (ER_NO_SUCH_TABLE), which no real gateway
 * in service sees.
 *
 * @returns the names of the replicas that did not catch up within `timeoutSeconds` (or whose wait
 * failed), in the order given.
 */
export async function waitForReplicas(
  primary: SqlPort,
  replicas: ReadonlyMap<string, SqlPort>,
  timeoutSeconds: number = SCHEMA_WAIT_SECONDS,
): Promise<readonly string[]> {
  if (replicas.size === 0) return [];
  const pos = await primary.query('SELECT @@gtid_binlog_pos');
  const target = String(Object.values(pos.rows[0] ?? {})[0] ?? '');
  if (target === '') return [];
  const behind: string[] = [];
  for (const [name, replica] of replicas) {
    const waited = await replica.query('SELECT MASTER_GTID_WAIT(?, ?)', [target, timeoutSeconds]).then(
      (r) => Number(Object.values(r.rows[0] ?? {})[0]),
      () => -1,
    );
    if (waited !== 0) behind.push(name);
  }
  return behind;
}
