// `hasim live` as a user runs it, against the servers of `scripts/backends.sh up`: a run that
// kills nothing writes summary.json with mode live and leaves no key or table behind; a server that
// is not there is one line and exit 2; a server that dies mid-run is one line and exit 1 (a
// redis-server of the test's own on a spare port is killed, never a shared one).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { hasim, ROOT } from '../helpers/cli.ts';
import { BACKENDS_SH_HINT, gateBackend, probeTcp } from './backends.ts';

const gate = await gateBackend({
  name: 'hasim live',
  ports: [7000, 7001, 7002, 7003, 7004, 7005, 3307, 3308],
  hint: BACKENDS_SH_HINT,
});

/** A free port for the test's own redis-server (nothing listens there in this project). */
const OWN_REDIS_PORT = 7399;

/** Runs hasim without blocking the event loop; resolves with the exit code and output. */
function hasimAsync(args: readonly string[], timeoutMs: number) {
  const child: ChildProcess = spawn(process.execPath, [resolve(ROOT, 'bin/hasim.mjs'), ...args], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolveDone) =>
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolveDone({ status, stdout, stderr });
    }),
  );
  return { child, done, stdout: () => stdout };
}

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hasim-live-'));
  let ownRedis: ChildProcess | undefined;
  afterAll(() => {
    ownRedis?.kill('SIGKILL');
  });

  it('runs the live smoke scenario: summary.json says mode live, the expectations pass, nothing is left behind', async () => {
    const out = join(dir, 'smoke');
    const r = hasim(['live', 'scenarios/live/smoke.yaml', '--time-scale', '5', '--out', out], {
      timeoutMs: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.mode).toBe('live');
    expect(summary.verdict).toBe('pass');
    expect(summary.report.requests).toBeGreaterThan(0);
    expect(summary.live.cleanup.tables).toBe(4);
    // What held the process during the run, in summary.json and on the terminal.
    expect(summary.live.process).toMatchObject({
      gcMinor: { count: expect.any(Number), totalMs: expect.any(Number), maxMs: expect.any(Number) },
      gcOther: { count: expect.any(Number) },
      eventLoopDelayMs: { p99: expect.any(Number), max: expect.any(Number) },
    });
    expect(r.stdout).toMatch(
      /this process: GC \d+ scavenges? \(\d+ ms, max [\d.]+ ms\), \d+ other .*; event-loop delay p99 [\d.]+ ms/,
    );
    const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').split('\n');
    expect(JSON.parse(trace[1] as string)).toMatchObject({ c: 'run', k: 'topology' });
    expect(JSON.parse(trace[0] as string)).toMatchObject({ hasim: 'trace', mode: 'live' });
    // A live trace is not replayed: one line, exit 2.
    const replay = hasim(['replay', join(out, 'trace.jsonl')], { timeoutMs: 30_000 });
    expect(replay.status).toBe(2);
    expect(replay.stderr).toMatch(
      /^hasim replay: .*: a live run's trace \(hasim live\): real servers do not replay/,
    );
    // Nothing of the run is left: no key with its prefix on any master, no table with its prefix.
    for (const port of [7000, 7001, 7002]) {
      const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
      await node.connect();
      const role = await node.role();
      if (role[0] === 'master') {
        const [, keys] = await node.scan('0', 'MATCH', `${summary.live.keyPrefix}*`, 'COUNT', 100_000);
        expect(keys).toEqual([]);
      }
      node.disconnect();
    }
    const db = await mysql.createConnection({
      host: '127.0.0.1',
      port: 3307,
      user: 'root',
      database: 'hasim',
    });
    const [tables] = await db.query(`SHOW TABLES LIKE '${summary.live.tablePrefix}%'`);
    await db.end();
    expect(tables).toEqual([]);
  }, 90_000);

  it('names a Redis that is not there in one line and exits 2', () => {
    const r = hasim(
      ['live', 'scenarios/live/smoke.yaml', '--redis-cluster', '127.0.0.1:7999', '--out', join(dir, 'x')],
      {
        timeoutMs: 30_000,
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('hasim live: cannot reach Redis at 127.0.0.1:7999 (ECONNREFUSED)\n');
  });

  it('names a MariaDB that refuses the login in one line and exits 2', () => {
    const r = hasim(
      [
        'live',
        'scenarios/live/smoke.yaml',
        '--mysql',
        'mysql://nobody@127.0.0.1:3307/hasim',
        '--out',
        join(dir, 'y'),
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^hasim live: MariaDB at 127\.0\.0\.1:3307 refused the connection: Access denied[^\n]*\n$/,
    );
  });

  it('refuses to fault a server hasim did not start, before the run, unless --allow-foreign-faults', async () => {
    const port = OWN_REDIS_PORT - 1;
    expect(await probeTcp(port)).toBe(false);
    const foreign = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    try {
      for (let i = 0; i < 50 && !(await probeTcp(port)); i++) await new Promise((r) => setTimeout(r, 100));
      const scenario = join(dir, 'foreign.yaml');
      writeFileSync(
        scenario,
        [
          'kind: gateway',
          'name: live-foreign',
          'variant: fixed',
          'topology:',
          '  layers: [redis-limiter]',
          '  redisLimiter: { limit: 1000, windowSeconds: 60 }',
          '  providers:',
          '    - { name: primary, model: gpt-4o-mini, ttftMedianMs: 50, decodeTokensPerSecond: 1000, outputTokensMu: 3 }',
          'workload:',
          '  phases:',
          '    - { name: steady, durationMs: 2s, arrivalRate: 5 }',
          'faults:',
          '  - { at: 1s, do: crash, target: redis/shard-1/master }',
          '',
        ].join('\n'),
      );
      const r = await hasimAsync(
        ['live', scenario, '--redis', `redis://127.0.0.1:${port}`, '--out', join(dir, 'f')],
        30_000,
      ).done;
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `hasim live: ${scenario}: fault crash redis/shard-1/master: 127.0.0.1:${port} was not started by hasim (scripts/backends.sh); pass --allow-foreign-faults to fault servers hasim did not start\n`,
      );
      expect(await probeTcp(port)).toBe(true);
    } finally {
      foreign.kill('SIGKILL');
    }
  }, 60_000);

  it('names a Redis that dies mid-run in one line, exits 1 and judges nothing', async () => {
    expect(await probeTcp(OWN_REDIS_PORT)).toBe(false);
    ownRedis = spawn('redis-server', ['--port', String(OWN_REDIS_PORT), '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50 && !(await probeTcp(OWN_REDIS_PORT)); i++)
      await new Promise((r) => setTimeout(r, 100));
    const scenario = join(dir, 'dies.yaml');
    writeFileSync(
      scenario,
      [
        'kind: gateway',
        'name: live-dies',
        'variant: fixed',
        'topology:',
        '  instances: 2',
        '  layers: [redis-limiter, cache]',
        '  redisLimiter: { limit: 1000, windowSeconds: 60 }',
        '  providers:',
        '    - { name: primary, model: gpt-4o-mini, ttftMedianMs: 50, decodeTokensPerSecond: 1000, outputTokensMu: 3 }',
        'workload:',
        '  phases:',
        '    - { name: steady, durationMs: 120s, arrivalRate: 20 }',
        '  timeoutMs: 5000',
        'expect:',
        "  thresholds: { 'gateway.errors': ['rate<0.05'] }",
        '',
      ].join('\n'),
    );
    const run = hasimAsync(
      [
        'live',
        scenario,
        '--redis',
        `redis://127.0.0.1:${OWN_REDIS_PORT}`,
        '--dead-after-ms',
        '2000',
        '--out',
        join(dir, 'dies'),
      ],
      60_000,
    );
    // Killed once the run has started (its first line is out), not before it connects.
    for (let i = 0; i < 300 && !run.stdout().includes('hasim live live-dies'); i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    ownRedis.kill('SIGKILL');
    const r = await run.done;
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `hasim live: Redis at 127.0.0.1:${OWN_REDIS_PORT} stopped answering mid-run (ECONNREFUSED); the run is incomplete, nothing was judged\n`,
    );
    expect(() => readFileSync(join(dir, 'dies', 'summary.json'))).toThrow();
  }, 90_000);

  it('refuses a fault on a target the real servers do not have (a second replica), before the run', () => {
    const scenario = join(dir, 'two-replicas.yaml');
    writeFileSync(
      scenario,
      [
        'kind: gateway',
        'name: live-two-replicas',
        'variant: fixed',
        'topology:',
        '  layers: [chat-history]',
        '  mysql: { replicas: 2 }',
        '  providers:',
        '    - { name: primary, model: gpt-4o-mini, ttftMedianMs: 50, decodeTokensPerSecond: 1000, outputTokensMu: 3 }',
        'workload:',
        '  phases:',
        '    - { name: steady, durationMs: 2s, arrivalRate: 5 }',
        'faults:',
        '  - { at: 1s, do: stop-io-thread, target: mysql/replica-2, for: 1s }',
        '',
      ].join('\n'),
    );
    const r = hasim(['live', scenario, '--out', join(dir, 'z')], { timeoutMs: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^hasim live: .*two-replicas\.yaml: fault stop-io-thread mysql\/replica-2: no such target live \(targets: .*mysql\/replica-1[^\n]*\)\n$/,
    );
  });
});
