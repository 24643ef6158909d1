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

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < REPAIR_WAIT_MS; waited += 200) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`afterAll: gave up waiting for ${what} after ${REPAIR_WAIT_MS} ms`);
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
      await node.cluster('FAILOVER');
      await waitFor(`127.0.0.1:${port} to be master`, async () => (await node.role())[0] === 'master');
    } finally {
      node.disconnect();
    }
  }
}

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  afterAll(restoreMasters, 4 * REPAIR_WAIT_MS);

  it('kills the real master of shard 1 mid-run: the replica is promoted, the run passes, and live figures sit beside the simulated ones', async () => {
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
    // ... and the cluster promoted 7000's replica, as the observer saw in CLUSTER NODES.
    expect(trace).toMatch(
      /"c":"redis-cluster","k":"promoted","node":"127\.0\.0\.1:7003","replaces":"127\.0\.0\.1:7000"/,
    );
    const live = summary.compare.live.figures;
    const simulated = summary.compare.simulated.figures;
    expect(live.failoverUnavailableMs).toBeGreaterThan(0);
    expect(simulated.failoverUnavailableMs).toBeGreaterThan(0);
    // What was acknowledged is all on the real primary, as in the simulated run.
    expect(live.ackedWritesLost).toBe(0);
    expect(live.ackedWrites).toBeGreaterThan(0);
    // The run's fault driver restarted the node and failed the shard back.
    for (const port of MASTERS) {
      const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
      await node.connect();
      expect((await node.role())[0]).toBe('master');
      node.disconnect();
    }
  }, 150_000);
});
