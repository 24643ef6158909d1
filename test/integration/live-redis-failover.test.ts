// The Must-show of issue 15: a catalog scenario runs live against the servers of
// `scripts/backends.sh up`, the real Redis master of shard 1 is killed mid-run (SIGKILL) and the
// cluster promotes its replica; the run finishes, its expectations are checked, and its figures are
// printed beside the simulated run's (`--compare`). The run's own fault driver restarts the node and
// fails the shard back; afterAll checks that 7000-7002 are masters again and repairs it if not.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { linuxProcesses } from '../../src/adapters/process-control.ts';
import { backendsRedisCommand, backendsStateDir } from '../../src/live/faults/servers.ts';
import { hasim } from '../helpers/cli.ts';
import { BACKENDS_SH_HINT, gateBackend, probeTcp } from './backends.ts';

const MASTERS = [7000, 7001, 7002] as const;
/** Longest wait for each step of the repair in afterAll, in ms. */
const REPAIR_WAIT_MS = 30_000;

const gate = await gateBackend({
  name: 'hasim live redis failover',
  ports: [7000, 7001, 7002, 7003, 7004, 7005, 3307, 3308],
  hint: BACKENDS_SH_HINT,
});

async function waitFor(what: string, check: () => Promise<boolean>, limitMs = REPAIR_WAIT_MS): Promise<void> {
  for (let waited = 0; waited < limitMs; waited += 200) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`afterAll: gave up waiting for ${what} after ${limitMs} ms`);
}

/** Starts any of 7000-7002 that is down (as backends.sh does) and fails back any that is a replica. */
async function restoreMasters(): Promise<void> {
  for (const port of MASTERS) {
    if (!(await probeTcp(port))) {
      await linuxProcesses.start(backendsRedisCommand(backendsStateDir(), port, 5000));
      await waitFor(`127.0.0.1:${port} to accept connections`, () => probeTcp(port));
    }
    const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await node.connect();
      if ((await node.role())[0] === 'master') continue;
      await waitFor(`127.0.0.1:${port} to be a connected replica`, async () =>
        /master_link_status:up/.test(await node.info('replication')),
      );
      // A manual failover that does not complete is abandoned by Redis after 5 s (CLUSTER_MF_TIMEOUT
      // in cluster.h): ask again, then FORCE (no handshake with the current master).
      for (const args of [['FAILOVER'], ['FAILOVER'], ['FAILOVER', 'FORCE']] as const) {
        await node.call('CLUSTER', ...args);
        const done = await waitFor(
          `127.0.0.1:${port} to be master`,
          async () => (await node.role())[0] === 'master',
          10_000,
        )
          .then(() => true)
          .catch(() => false);
        if (done) break;
      }
      expect((await node.role())[0]).toBe('master');
    } finally {
      node.disconnect();
    }
  }
}

/** The ports of 7000-7005 that are masters now, sorted. */
async function masters(): Promise<number[]> {
  const found: number[] = [];
  for (const port of [7000, 7001, 7002, 7003, 7004, 7005]) {
    const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await node.connect();
      if ((await node.role())[0] === 'master') found.push(port);
    } finally {
      node.disconnect();
    }
  }
  return found;
}

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  afterAll(restoreMasters, 4 * REPAIR_WAIT_MS);

  it('kills the real master of shard 1 mid-run: the replica is promoted, the run passes, and live figures sit beside the simulated ones', async () => {
    const mastersBefore = await masters();
    const out = join(mkdtempSync(join(tmpdir(), 'hasim-live-failover-')), 'run');
    const r = hasim(['live', 'scenarios/live/redis-failover.yaml', '--compare', '--out', out], {
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // The side-by-side table is printed.
    expect(r.stdout).toMatch(/compare +metric +simulated +live +live - sim/);
    expect(r.stdout).toMatch(/failover unavailability \(ms\) +\d+ +\d+/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.mode).toBe('live');
    expect(summary.verdict).toBe('pass');
    expect(summary.expectations.map((x: { ok: boolean }) => x.ok)).toEqual([true, true, true, true]);
    // The kill happened: the trace has the crash, and the limiter saw the shard without a master.
    const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8');
    expect(trace).toContain('"c":"fault","k":"inject","verb":"crash","target":"redis/shard-1/master"');
    // ... and the cluster promoted shard 1's replica in its place, as the observer saw in CLUSTER
    // NODES (which node is master of shard 1 is read from the run's topology event: another
    // suite may have left the cluster failed over).
    const topology = JSON.parse(trace.split('\n')[1] as string).topology as {
      redis: { nodes: { id: string; target: string }[] };
    };
    const master = topology.redis.nodes.find((n) => n.target === 'redis/shard-1/master')?.id;
    const replica = topology.redis.nodes.find((n) => n.target === 'redis/shard-1/replica-1')?.id;
    expect(trace).toContain(`"c":"redis-cluster","k":"promoted","node":"${replica}","replaces":"${master}"`);
    const live = summary.compare.live.figures;
    const simulated = summary.compare.simulated.figures;
    expect(live.failoverUnavailableMs).toBeGreaterThan(0);
    expect(simulated.failoverUnavailableMs).toBeGreaterThan(0);
    // What was acknowledged is all on the real primary, as in the simulated run.
    expect(live.ackedWritesLost).toBe(0);
    expect(live.ackedWrites).toBeGreaterThan(0);
    // The run's fault driver restarted the node and failed the shard back: the masters are the ones
    // the run found.
    expect(await masters()).toEqual(mastersBefore);
  }, 150_000);
});
