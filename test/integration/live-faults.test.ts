// LiveFaults against the servers scripts/backends.sh started: every fault verb is applied to a
// real process or server and checked from the outside (signals by /proc and PING, replica threads
// by SHOW SLAVE STATUS, failover by ROLE), and each test ends with restoreAll(), which must leave
// nothing behind (it also runs from afterAll, whatever happened). The machine's own Redis (6379)
// and MariaDB (3306) were not started by hasim: faults on them must be refused and leave them alone.
// Skipped with a visible reason when the servers are down; failed under CI=true.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { driverAdmin, linuxProcesses } from '#src/adapters/process-control.ts';
import { SystemClock } from '#src/adapters/system-clock.ts';
import { LiveFaults } from '#src/live/faults/live-faults.ts';
import { discoverBackends, type LiveServers } from '#src/live/faults/servers.ts';
import { FaultError } from '#src/ports/faults.ts';
import type { TraceFields } from '#src/ports/trace.ts';
import { BACKENDS_SH_HINT, gateBackend, MACHINE_SERVICE_HINT, pollUntil } from './backends.ts';

const gate = await gateBackend({
  name: 'live faults (real backends.sh servers)',
  ports: [7000, 7001, 7002, 7003, 7004, 7005, 3307, 3308],
  hint: BACKENDS_SH_HINT,
});
const machine = await gateBackend({
  name: 'live faults refused on foreign servers',
  ports: [6379, 3306],
  hint: MACHINE_SERVICE_HINT,
});

const HOST = '127.0.0.1';
/** Bound of every wait in these tests, ms. */
const WAIT_MS = 45_000;
const clock = new SystemClock();
const redis = (port: number, ...args: string[]) => driverAdmin.redis(HOST, port, args, 2_000);
const sql = (port: number, statement: string) => driverAdmin.sql(HOST, port, 'root', statement, 2_000);
const role = async (port: number) => String(((await redis(port, 'ROLE').catch(() => [])) as unknown[])[0]);
const slaveField = async (field: string) => String((await sql(3308, 'SHOW SLAVE STATUS'))[0]?.[field]);

let servers: LiveServers;
let faults: LiveFaults;
const events: { kind: string; fields: TraceFields | undefined }[] = [];

function newFaults(): LiveFaults {
  return new LiveFaults(
    { servers, waitLimitMs: WAIT_MS },
    { clock, trace: { emit: (_c, kind, fields) => events.push({ kind, fields }) } },
  );
}

describe.skipIf(machine.skip)(machine.title, () => {
  it('refuses every fault on a server hasim did not start, and leaves it running', async () => {
    machine.assertAvailable();
    const foreign = await discoverBackends({
      redis: [{ host: HOST, port: 6379 }],
      mysql: [{ host: HOST, port: 3306 }],
    });
    expect(foreign.redis[0]?.managed).toBe(false);
    const live = new LiveFaults({ servers: foreign }, { clock });
    await expect(live.inject({ verb: 'crash', target: 'redis/shard-1/master' })).rejects.toThrow(
      new FaultError(
        'redis 127.0.0.1:6379 was not started by hasim; pass --allow-foreign-faults to fault it',
      ),
    );
    await expect(live.inject({ verb: 'freeze', target: 'mysql/primary' })).rejects.toThrow(
      /mysql 127.0.0.1:3306 was not started/,
    );
    await expect(
      live.inject({ verb: 'semi-sync-timeout', target: 'mysql/primary', args: { timeoutMs: 1 } }),
    ).rejects.toThrow(/--allow-foreign-faults/);
    // Opting in allows admin faults, but a process hasim does not know stays out of reach.
    const optedIn = new LiveFaults({ servers: foreign, allowForeign: true }, { clock });
    await expect(optedIn.inject({ verb: 'crash', target: 'redis/shard-1/master' })).rejects.toThrow(
      /no process is known for redis 127.0.0.1:6379/,
    );
    expect(await redis(6379, 'PING')).toBe('PONG');
    expect(await optedIn.restoreAll()).toEqual([]);
  });
});

describe.skipIf(gate.skip)(gate.title, () => {
  beforeAll(async () => {
    gate.assertAvailable();
    servers = await discoverBackends();
    const unmanaged = [...servers.redis, ...servers.mysql].filter((s) => !s.managed);
    expect(unmanaged.map((s) => `${s.host}:${s.port}`)).toEqual([]);
    faults = newFaults();
  });
  afterEach(async () => {
    expect(await faults.restoreAll()).toEqual([]);
  }, WAIT_MS * 3);
  afterAll(async () => {
    if (faults !== undefined) await faults.restoreAll();
  }, WAIT_MS * 3);

  it('lists the backends.sh topology as the simulated world names it', () => {
    const names = faults.targets().map((t) => t.name);
    expect(names).toEqual([
      'redis/shard-1/master',
      'redis/shard-1/replica-1',
      'redis/shard-2/master',
      'redis/shard-2/replica-1',
      'redis/shard-3/master',
      'redis/shard-3/replica-1',
      'mysql/primary',
      'mysql/replica-1',
    ]);
    expect(faults.targets().find((t) => t.name === 'redis/shard-1/replica-1')?.verbs).toContain('failover');
  });

  it('stops and starts the replica IO and SQL threads; restoreAll starts a stopped one', async () => {
    await faults.inject({ verb: 'stop-io-thread', target: 'mysql/replica-1' });
    expect(await slaveField('Slave_IO_Running')).toBe('No');
    await faults.inject({ verb: 'start-io-thread', target: 'mysql/replica-1' });
    expect(
      await pollUntil(
        async () => ((await slaveField('Slave_IO_Running')) === 'Yes' ? true : undefined),
        WAIT_MS,
      ),
    ).toBe(true);
    await faults.inject({ verb: 'stop-sql-thread', target: 'mysql/replica-1' });
    expect(await slaveField('Slave_SQL_Running')).toBe('No');
    expect(await faults.restoreAll()).toEqual([]);
    expect(await slaveField('Slave_SQL_Running')).toBe('Yes');
    expect(events.at(-1)).toEqual({
      kind: 'inject',
      fields: { verb: 'stop-sql-thread', target: 'mysql/replica-1', args: {} },
    });
  });

  it('lowers the semi-sync timeout and restoreAll sets the old value back', async () => {
    const before = (await sql(3307, 'SELECT @@GLOBAL.rpl_semi_sync_master_timeout AS ms'))[0]?.ms;
    await faults.inject({ verb: 'semi-sync-timeout', target: 'mysql/primary', args: { timeoutMs: 123 } });
    await faults.inject({ verb: 'semi-sync-timeout', target: 'mysql/primary', args: { timeoutMs: 77 } });
    expect((await sql(3307, 'SELECT @@GLOBAL.rpl_semi_sync_master_timeout AS ms'))[0]?.ms).toBe(77);
    expect(await faults.restoreAll()).toEqual([]);
    expect((await sql(3307, 'SELECT @@GLOBAL.rpl_semi_sync_master_timeout AS ms'))[0]?.ms).toBe(before);
    await expect(
      faults.inject({ verb: 'semi-sync-timeout', target: 'mysql/primary', args: { timeoutMs: -1 } }),
    ).rejects.toThrow(FaultError);
  });

  it('refuses a MariaDB failover: no failover manager runs live', async () => {
    await expect(faults.inject({ verb: 'failover', target: 'mysql/primary' })).rejects.toThrow(
      /failover manager/,
    );
    expect(await sql(3308, 'SHOW SLAVE STATUS')).toHaveLength(1);
  });

  it(
    'freezes and resumes the MariaDB replica (SIGSTOP/SIGCONT)',
    async () => {
      await faults.inject({ verb: 'freeze', target: 'mysql/replica-1' });
      await expect(sql(3308, 'SELECT 1')).rejects.toThrow();
      await faults.inject({ verb: 'resume', target: 'mysql/replica-1' });
      expect(await sql(3308, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    },
    WAIT_MS,
  );

  it(
    'crashes the MariaDB replica (SIGKILL) and restarts it with the same command line',
    async () => {
      const pid = linuxProcesses.readPidFile(servers.mysql[1]?.process?.pidFile ?? '');
      await faults.inject({ verb: 'crash', target: 'mysql/replica-1' });
      expect(pid !== undefined && linuxProcesses.alive(pid)).toBe(false);
      await expect(sql(3308, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED|ECONNRESET/);
      await faults.inject({ verb: 'restart', target: 'mysql/replica-1' });
      expect(await sql(3308, 'SELECT @@port AS port, @@server_id AS id')).toEqual([{ port: 3308, id: 2 }]);
      const running = async () =>
        (await slaveField('Slave_IO_Running')) === 'Yes' && (await slaveField('Slave_SQL_Running')) === 'Yes'
          ? true
          : undefined;
      expect(await pollUntil(running, WAIT_MS)).toBe(true);
    },
    WAIT_MS * 3,
  );

  it(
    'freezes and resumes a Redis replica',
    async () => {
      await faults.inject({ verb: 'freeze', target: 'redis/shard-2/replica-1' });
      await expect(redis(7004, 'PING')).rejects.toThrow();
      await faults.inject({ verb: 'resume', target: 'redis/shard-2/replica-1' });
      expect(await redis(7004, 'PING')).toBe('PONG');
    },
    WAIT_MS,
  );

  it(
    'fails shard 1 over to its replica; the master target then names the replica; restoreAll fails back',
    async () => {
      await faults.inject({ verb: 'failover', target: 'redis/shard-1/replica-1' });
      expect(await role(7003)).toBe('master');
      // Roles resolve when the fault fires: the replica target is now the old master.
      await faults.inject({ verb: 'freeze', target: 'redis/shard-1/replica-1' });
      await expect(redis(7000, 'PING')).rejects.toThrow();
      await faults.inject({ verb: 'resume', target: 'redis/shard-1/replica-1' });
      expect(await faults.restoreAll()).toEqual([]);
      expect([await role(7000), await role(7003)]).toEqual(['master', 'slave']);
    },
    WAIT_MS * 4,
  );

  it(
    'crashes a Redis master: the replica takes over, the restarted node rejoins, restoreAll fails back',
    async () => {
      await faults.inject({ verb: 'crash', target: 'redis/shard-2/master' });
      await expect(redis(7001, 'PING')).rejects.toThrow();
      // cluster-node-timeout 5000 ms, then the replica's election.
      expect(await pollUntil(async () => ((await role(7004)) === 'master' ? true : undefined), WAIT_MS)).toBe(
        true,
      );
      await faults.inject({ verb: 'restart', target: 'redis/shard-2/master' });
      expect(await pollUntil(async () => ((await role(7001)) === 'slave' ? true : undefined), WAIT_MS)).toBe(
        true,
      );
      expect(await faults.restoreAll()).toEqual([]);
      expect([await role(7001), await role(7004)]).toEqual(['master', 'slave']);
    },
    WAIT_MS * 4,
  );

  it(
    'freezes a Redis master past cluster-node-timeout: its replica takes over; restoreAll fails back',
    async () => {
      await faults.inject({ verb: 'freeze', target: 'redis/shard-3/master' });
      expect(await pollUntil(async () => ((await role(7005)) === 'master' ? true : undefined), WAIT_MS)).toBe(
        true,
      );
      // The master target now names the promoted replica; resume goes to the node freeze hit.
      await faults.inject({ verb: 'resume', target: 'redis/shard-3/master' });
      expect(await pollUntil(async () => ((await role(7002)) === 'slave' ? true : undefined), WAIT_MS)).toBe(
        true,
      );
      expect(await faults.restoreAll()).toEqual([]);
      expect([await role(7002), await role(7005)]).toEqual(['master', 'slave']);
    },
    WAIT_MS * 4,
  );

  it(
    'crashes the MariaDB primary and restarts it; restoreAll waits until the replica is back',
    async () => {
      await faults.inject({ verb: 'crash', target: 'mysql/primary' });
      await expect(sql(3307, 'SELECT 1')).rejects.toThrow();
      await faults.inject({ verb: 'restart', target: 'mysql/primary' });
      expect(await sql(3307, 'SELECT @@port AS port, @@server_id AS id')).toEqual([{ port: 3307, id: 1 }]);
      expect(await faults.restoreAll()).toEqual([]);
      expect([await slaveField('Slave_IO_Running'), await slaveField('Slave_SQL_Running')]).toEqual([
        'Yes',
        'Yes',
      ]);
    },
    WAIT_MS * 3,
  );

  it('rejects an unknown target or a verb the target lacks', async () => {
    await expect(faults.inject({ verb: 'crash', target: 'redis/shard-9/master' })).rejects.toThrow(
      /no fault target/,
    );
    await expect(faults.inject({ verb: 'stop-io-thread', target: 'mysql/primary' })).rejects.toThrow(
      /has no verb/,
    );
  });
});

afterAll(() => {
  // Nothing of ours may be left frozen: a SIGSTOPped node would hang every other suite.
  for (const s of [...(servers?.redis ?? []), ...(servers?.mysql ?? [])]) {
    const pid = s.process && linuxProcesses.readPidFile(s.process.pidFile);
    if (pid !== undefined) linuxProcesses.signal(pid, 'SIGCONT');
  }
  return clock.sleep(0);
});
