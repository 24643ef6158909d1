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
  prepare(sql: string): { run(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
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

// The gateway's chat-history traffic (src/gateway/chat-history.ts), the MySQL share of the
// gateway bench: each exchange appends one row (AUTO_INCREMENT id, a user id, a prompt and an
// answer of a few hundred bytes of mixed text) to its shard table on the primary, and reads the
// user's last 10 ids back from the replica. The peer does the same inserts on 2 better-sqlite3
// databases and the read on one: storage without replication, binlog or MySQL semantics.
const EXCHANGES = 3_000;
const SHARDS = 4;
const USERS = 500;
const CHAT_DDL = (t: string) =>
  `CREATE TABLE ${t} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id VARCHAR(64) NOT NULL, prompt TEXT NOT NULL, answer TEXT NOT NULL, created_ms BIGINT NOT NULL, KEY idx_user (user_id))`;
const PROMPT = 'How do I keep a replica in sync? 复制延迟 ';
const ANSWER = 'Use semi-sync AFTER_SYNC and read your writes from the primary. '.repeat(8);
const exchange = (i: number) => {
  const user = `user-${(i * 7919) % USERS}`;
  return { user, table: `chat_message_${(i * 31) % SHARDS}`, prompt: `${PROMPT}${i}`, answer: ANSWER };
};

async function chatHistory(): Promise<Measurement> {
  const sim = new Simulation({ seed: 1 });
  const cluster = new SimMysqlCluster({ replicas: 1, linkLatencyMs: 1, applyCostMs: 1 }, sim);
  const t0 = performance.now();
  sim.spawn(async () => {
    for (let s = 0; s < SHARDS; s++) await cluster.primary.query(CHAT_DDL(`chat_message_${s}`));
    await sim.clock.sleep(100); // the replica creates the tables too
    const replica = cluster.replicas[0]!;
    for (let i = 0; i < EXCHANGES; i++) {
      const e = exchange(i);
      await cluster.primary.query(
        `INSERT INTO ${e.table} (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?)`,
        [e.user, e.prompt, e.answer, i],
      );
      await replica.query(`SELECT id FROM ${e.table} WHERE user_id = ? ORDER BY id DESC LIMIT 10`, [e.user]);
    }
  });
  await sim.run();
  return { ops: EXCHANGES, ms: performance.now() - t0 };
}

async function rawChatHistory(): Promise<Measurement> {
  const dbs = [new Database(':memory:'), new Database(':memory:')];
  const t0 = performance.now();
  const inserts = dbs.map((db) => {
    const stmts = new Map<string, { run(...p: unknown[]): unknown }>();
    for (let s = 0; s < SHARDS; s++) {
      const t = `chat_message_${s}`;
      db.exec(
        `CREATE TABLE ${t} (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, prompt TEXT NOT NULL, answer TEXT NOT NULL, created_ms INT NOT NULL)`,
      );
      db.exec(`CREATE INDEX ${t}_user ON ${t} (user_id)`);
      stmts.set(t, db.prepare(`INSERT INTO ${t} (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?)`));
    }
    return stmts;
  });
  const reads = new Map<string, { all(...p: unknown[]): unknown[] }>();
  for (let s = 0; s < SHARDS; s++) {
    const t = `chat_message_${s}`;
    reads.set(
      t,
      (dbs[1] as RawDb).prepare(`SELECT id FROM ${t} WHERE user_id = ? ORDER BY id DESC LIMIT 10`) as never,
    );
  }
  for (let i = 0; i < EXCHANGES; i++) {
    const e = exchange(i);
    for (const stmts of inserts) stmts.get(e.table)?.run(e.user, e.prompt, e.answer, i);
    reads.get(e.table)?.all(e.user);
  }
  return { ops: EXCHANGES, ms: performance.now() - t0 };
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
  {
    name: `mysql: chat-history exchanges/s (the gateway's append on the primary + last-10 read on the replica, ${EXCHANGES.toLocaleString('en')} exchanges, ${SHARDS} shard tables)`,
    unit: 'exchanges/s',
    ours: { label: 'SimMysqlCluster (async, 1 replica)', run: chatHistory },
    peer: { label: 'raw better-sqlite3 x2 inserts + 1 read', run: rawChatHistory },
  },
];
