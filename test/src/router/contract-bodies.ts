// Router test bodies that run unchanged on the simulated pair (sim/mysql, inside a Simulation) and
// on the real MariaDB pair (test/integration/mariadb-router.test.ts): everything goes through SqlPorts
// and SQL both servers understand (STOP/START SLAVE SQL_THREAD, @@gtid_binlog_pos, MASTER_GTID_WAIT).
import type { Clock } from '#src/ports/clock.ts';
import type { Random } from '#src/ports/random.ts';
import type { SqlPort } from '#src/ports/sql.ts';
import { ReadWriteRouter, type ReadWriteRouterOptions } from '#src/router/index.ts';

/** One primary and one replica, seen through SqlPorts, plus the time and chance the router needs. */
export interface PairEnv {
  /** Admin connection to the primary (not through the router). */
  readonly primary: SqlPort;
  /** Admin connection to the replica (not through the router). */
  readonly replica: SqlPort;
  /** The router's data sources: `ds-master` and `ds-slave-0`. */
  readonly dataSources: ReadonlyMap<string, SqlPort>;
  readonly clock: Clock;
  readonly random: Random;
  /** A table name no other test uses. */
  readonly table: string;
}

/**
 * The article's group `prd_ds` (writer ds-master, ROUND_ROBIN) with one reader, ds-slave-0: the shape of
 * both two-node pairs (simulated and real) these bodies and test/integration/mariadb-router.test.ts use.
 */
export const ONE_REPLICA_RULE = `rules:
  readwrite-splitting:
    data-sources:
      prd_ds:
        writeDataSourceName: ds-master
        readDataSourceNames: [ds-slave-0]
        loadBalancerName: round_robin
    loadBalancers:
      round_robin:
        type: ROUND_ROBIN
`;

/** Bound on a replica catching up, in ms (MASTER_GTID_WAIT gets it in seconds). A limit, not an assertion. */
export const CATCH_UP_MS = 15_000;

/**
 * Waits (at most {@link CATCH_UP_MS}) until the replica has applied everything the primary has
 * binlogged; true when it did. Only the two admin connections are used.
 */
export async function replicaCaughtUp(env: Pick<PairEnv, 'primary' | 'replica'>): Promise<boolean> {
  const { rows } = await env.primary.query('SELECT @@gtid_binlog_pos');
  const pos = String(Object.values(rows[0]!)[0]);
  const { rows: waited } = await env.replica.query('SELECT MASTER_GTID_WAIT(?, ?)', [
    pos,
    CATCH_UP_MS / 1000,
  ]);
  return Number(Object.values(waited[0]!)[0]) === 0;
}

/** What {@link staleReadWhileReplicaLags} observed. */
export interface StaleReadObservation {
  readonly staleRead: { readonly dataSource: string; readonly v: string };
  readonly causalRead: { readonly dataSource: string; readonly reason: string; readonly v: string };
  readonly afterCatchUp: { readonly dataSource: string; readonly v: string };
}

/**
 * The replica's SQL thread is stopped; a write through the router is acknowledged; the next read
 * through a plain router (the article's) returns the old row from the replica; a router with causal
 * reads reads its own write from the primary; after the replica resumes, the replica serves it.
 * The SQL thread is restarted in `finally` whatever happens.
 */
export async function staleReadWhileReplicaLags(env: PairEnv): Promise<StaleReadObservation> {
  const router = (extra: Partial<ReadWriteRouterOptions> = {}) =>
    new ReadWriteRouter(ONE_REPLICA_RULE, {
      dataSources: env.dataSources,
      clock: env.clock,
      random: env.random,
      ...extra,
    });
  const read = async (r: ReadWriteRouter) => {
    const { rows } = await r.query(`SELECT v FROM \`${env.table}\` WHERE id = 1`);
    return { dataSource: r.lastRoute!.dataSourceName, v: String(rows[0]?.v) };
  };
  await env.primary.query(`CREATE TABLE \`${env.table}\` (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL)`);
  await env.primary.query(`INSERT INTO \`${env.table}\` VALUES (1, 'old')`);
  if (!(await replicaCaughtUp(env))) throw new Error('replica did not apply the setup rows');
  await env.replica.query('STOP SLAVE SQL_THREAD');
  try {
    const plain = router();
    await plain.query(`UPDATE \`${env.table}\` SET v = 'new' WHERE id = 1`);
    const staleRead = await read(plain);
    const causal = router({ causalReads: { timeoutMs: 200 } });
    await causal.query(`UPDATE \`${env.table}\` SET v = 'newer' WHERE id = 1`);
    const c = await read(causal);
    const causalRead = { ...c, reason: causal.lastRoute!.reason };
    await env.replica.query('START SLAVE SQL_THREAD');
    if (!(await replicaCaughtUp(env)))
      throw new Error('replica did not catch up after START SLAVE SQL_THREAD');
    const afterCatchUp = await read(plain);
    return { staleRead, causalRead, afterCatchUp };
  } finally {
    await env.replica.query('START SLAVE SQL_THREAD');
  }
}

/** The outcome both backends must show. */
export const STALE_READ_EXPECTED: StaleReadObservation = {
  staleRead: { dataSource: 'ds-slave-0', v: 'old' },
  causalRead: { dataSource: 'ds-master', reason: 'causal-timeout', v: 'newer' },
  afterCatchUp: { dataSource: 'ds-slave-0', v: 'newer' },
};
