import { createRequire } from 'node:module';
import { Simulation } from '../../sim/kernel/simulation.ts';
import { SimMysqlCluster } from '../../sim/mysql/index.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// Commits replicated per second: N autocommit INSERTs on the simulated primary, each applied by
// the SQL threads of 2 replicas (row-based), virtual time, measured in wall-clock time. The peer
// is the floor under it: the same rows inserted straight into 3 better-sqlite3 databases (what
// the nodes' storage costs without binlog, relay log, threads, GTIDs and the virtual clock).
const N = 3_000;
const REPLICAS = 2;

async function replicated(semiSync: boolean): Promise<Measurement> {
  const sim = new Simulation({ seed: 1 });
  const cluster = new SimMysqlCluster(
    {
      replicas: REPLICAS,
      linkLatencyMs: 1,
      applyCostMs: 1,
      ...(semiSync ? { semiSync: { enabled: true, waitPoint: 'AFTER_SYNC' as const } } : {}),
    },
    sim,
  );
  const t0 = performance.now();
  sim.spawn(async () => {
    await cluster.primary.query('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(32))');
    for (let i = 1; i <= N; i++)
      await cluster.primary.query('INSERT INTO t VALUES (?, ?)', [i, `value-${i}`]);
  });
  await sim.run();
  const ms = performance.now() - t0;
  for (const r of cluster.replicas) {
    if (r.status().gtid_slave_pos !== `0-1-${N + 1}`)
      throw new Error(`bench: ${r.name} did not apply everything`);
  }
  return { ops: N, ms };
}

interface RawDb {
  exec(sql: string): void;
  prepare(sql: string): { run(...p: unknown[]): unknown };
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => RawDb;

async function rawSqlite(): Promise<Measurement> {
  const dbs = Array.from({ length: REPLICAS + 1 }, () => new Database(':memory:'));
  const t0 = performance.now();
  const stmts = dbs.map((db) => {
    db.exec('CREATE TABLE t (id INT PRIMARY KEY NOT NULL, v TEXT)');
    return db.prepare('INSERT INTO t VALUES (?, ?)');
  });
  for (let i = 1; i <= N; i++) for (const s of stmts) s.run(i, `value-${i}`);
  return { ops: N, ms: performance.now() - t0 };
}

export const cases: BenchCase[] = [
  {
    name: `mysql: commits replicated/s (async, 1 primary + ${REPLICAS} replicas, ${N.toLocaleString('en')} INSERTs, row-based apply)`,
    unit: 'commits/s',
    ours: { label: 'SimMysqlCluster (async)', run: () => replicated(false) },
    peer: { label: `raw better-sqlite3 x${REPLICAS + 1} inserts`, run: rawSqlite },
  },
  {
    name: `mysql: commits replicated/s (semi-sync AFTER_SYNC, 1 primary + ${REPLICAS} replicas)`,
    unit: 'commits/s',
    ours: { label: 'SimMysqlCluster (semi-sync)', run: () => replicated(true) },
    peer: { label: `raw better-sqlite3 x${REPLICAS + 1} inserts`, run: rawSqlite },
  },
];
