// The public names and shapes the issues fix, used exactly as a user would: only through
// src/index.ts and sim/index.ts. If a rename or a changed signature breaks this file, other
// issues, users and outside checks break with it.
import { describe, expect, it } from 'vitest';
import { SimLlmUpstream, SimMysqlCluster, SimRedis, SimRedisCluster, Simulation } from '#sim/index.ts';
import {
  BlockException,
  Coalescer,
  createGateway,
  DegradeException,
  FlowException,
  type GatewayResponse,
  keyHashSlot,
  LocalCache,
  mergeLayer,
  type Outcome,
  providersTerminal,
  RejectedExecutionException,
  Sentinel,
  SequentialFallbackPolicy,
  seedShardIndex,
  shardIndex,
  ThreadPoolExecutor,
  TokenBucket,
  tokenBucketLayer,
} from '#src/index.ts';
import { javaStringHashCode } from '#src/internal.ts';

describe('Simulation', () => {
  it('clock from 0 in ms, sleep with a signal, named random forks, spawn, advanceBy, run, trace hash', async () => {
    const sim = new Simulation({ seed: 7 });
    expect(sim.clock.now()).toBe(0);
    const r = sim.random.fork('api');
    const x = r.next();
    expect(x >= 0 && x < 1).toBe(true);
    const done = sim.spawn(async () => {
      await sim.clock.sleep(5, new AbortController().signal);
      sim.trace.emit('note', 'note', { text: 'woke', at: sim.clock.now() });
      return sim.clock.now();
    });
    await sim.advanceBy(3);
    expect(sim.clock.now()).toBe(3);
    await sim.run({ untilMs: 10 });
    expect(await done).toBe(5);
    expect(sim.clock.now()).toBe(10);
    expect(sim.traceHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('Sentinel, TokenBucket, Coalescer, ThreadPoolExecutor', () => {
  it('Sentinel entry/exit, circuitBreakers, onStateChange, run with fallback', async () => {
    const sim = new Simulation({ seed: 1 });
    const sentinel = new Sentinel({}, { clock: sim.clock });
    sentinel.loadDegradeRules([
      {
        resource: 'llm',
        grade: 2,
        count: 1,
        minRequestAmount: 1,
        statIntervalMs: 1000,
        timeWindowMs: 10_000,
      },
    ]);
    sentinel.loadFlowRules([{ resource: 'qps', grade: 1, count: 1 }]);
    const changes: string[] = [];
    sentinel.onStateChange((prev, next) => changes.push(`${prev}->${next}`));
    const outcome = sim.spawn(async () => {
      for (let i = 0; i < 2; i++) {
        const entry = await sentinel.entry('llm');
        entry.setError(new Error('upstream 500'));
        entry.exit();
      }
      const blocked = await sentinel.entry('llm').catch((e: unknown) => e);
      const flowBlocked = await sentinel.entry('qps').then(async (e) => {
        e.exit();
        return sentinel.entry('qps').catch((err: unknown) => err);
      });
      const viaRun = await sentinel.run(
        'llm',
        async () => 'called',
        () => 'fallback',
      );
      return { blocked, flowBlocked, viaRun, state: sentinel.circuitBreakers('llm')[0]?.state };
    });
    await sim.run();
    const o = await outcome;
    expect(o.blocked).toBeInstanceOf(DegradeException);
    expect(o.blocked).toBeInstanceOf(BlockException);
    expect(o.flowBlocked).toBeInstanceOf(FlowException);
    expect(o.flowBlocked).toBeInstanceOf(BlockException);
    expect(o.viaRun).toBe('fallback');
    expect(o.state).toBe('OPEN');
    expect(changes).toEqual(['CLOSED->OPEN']);
  });

  it('TokenBucket, Coalescer and ThreadPoolExecutor with the issue’s option names', async () => {
    const sim = new Simulation({ seed: 1 });
    const bucket = new TokenBucket(
      { capacity: 2, refillTokensPerSecond: 1, variant: 'seed' },
      { clock: sim.clock },
    );
    expect([bucket.tryAcquire(), bucket.tryAcquire(), bucket.tryAcquire()]).toEqual([true, true, false]);
    expect(bucket.availableTokens()).toBe(0);

    const coalescer = new Coalescer({ windowMs: 50, variant: 'singleflight' }, { clock: sim.clock });
    const pool = new ThreadPoolExecutor(
      {
        corePoolSize: 1,
        maxPoolSize: 1,
        queueCapacity: 0,
        keepAliveMs: 60_000,
        rejectedExecutionHandler: 'AbortPolicy',
      },
      { clock: sim.clock },
    );
    const results = sim.spawn(async () => {
      const call = () => sim.clock.sleep(100).then(() => 'answer');
      const [a, b] = await Promise.all([coalescer.execute('k', call), coalescer.execute('k', call)]);
      const first = pool.execute(() => sim.clock.sleep(10).then(() => 1));
      const second = await pool.execute(async () => 2).catch((e: unknown) => e);
      return { a, b, first: await first, second, poolSize: pool.poolSize, largest: pool.largestPoolSize };
    });
    await sim.run();
    const r = await results;
    expect(r.a).toEqual({ value: 'answer', shared: true });
    expect(r.b).toEqual({ value: 'answer', shared: true });
    expect(coalescer.upstreamCalls).toBe(1);
    expect(r.first).toBe(1);
    expect(r.second).toBeInstanceOf(RejectedExecutionException);
    expect(r.largest).toBe(1);
  });
});

describe('keyHashSlot, SimRedis, SimRedisCluster', () => {
  it('slots, a node and a 3-master cluster built from a Simulation', async () => {
    expect(keyHashSlot('hello')).toBe(866);
    expect(keyHashSlot('{user1000}.following')).toBe(keyHashSlot('{user1000}.followers'));
    const sim = new Simulation({ seed: 4 });
    const node = new SimRedis({}, { clock: sim.clock });
    const cluster = new SimRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 5000 }, sim);
    const client = cluster.client();
    const out = sim.spawn(async () => {
      await node.set('a', '1', 'PX', 100);
      await client.set('hello', 'world');
      return [await node.incr('a'), await client.get('hello'), cluster.roleOf('127.0.0.1:7000')];
    });
    await sim.run({ untilMs: 1_000 });
    cluster.stop();
    expect(await out).toEqual([2, 'world', 'master']);
  });
});

describe('sharding and SimMysqlCluster', () => {
  it("Java hashCode sharding and a semi-sync primary with replicas' threads and status", async () => {
    expect(javaStringHashCode('polygenelubricants')).toBe(-(2 ** 31));
    expect(seedShardIndex('polygenelubricants', 4)).toBe(0);
    expect(seedShardIndex('polygenelubricants', 3)).toBe(-2);
    expect(shardIndex('polygenelubricants', 3)).toBeGreaterThanOrEqual(0);
    const sim = new Simulation({ seed: 5 });
    const cluster = new SimMysqlCluster({ replicas: 1, semiSync: { enabled: true, timeoutMs: 1_000 } }, sim);
    const out = sim.spawn(async () => {
      await cluster.primary.query('CREATE TABLE t (id INT PRIMARY KEY)');
      await sim.clock.sleep(100);
      const replica = cluster.replicas[0]!;
      replica.stopIoThread();
      const start = sim.clock.now();
      await cluster.primary.query('INSERT INTO t VALUES (?)', [1]);
      const waited = sim.clock.now() - start;
      const status = cluster.primary.status();
      replica.startIoThread();
      return { waited, semiSync: status.semiSyncStatus, io: replica.status().Slave_IO_Running };
    });
    await sim.run({ untilMs: 60_000 });
    expect(await out).toEqual({ waited: 1_000, semiSync: 'OFF', io: 'Yes' });
  });
});

describe('LocalCache', () => {
  it('the article’s L1: maximumSize, expireAfterWrite boundary, stats', () => {
    let now = 0;
    const clock = { now: () => now, sleep: async () => {}, schedule: () => ({ cancel() {} }) };
    const sim = new Simulation({ seed: 6 });
    const cache = new LocalCache<string, string>(
      { maximumSize: 10_000, expireAfterWriteMs: 60_000, recordStats: true },
      { clock, random: sim.random.fork('l1') },
    );
    cache.put('k', 'v');
    now = 59_999;
    expect(cache.getIfPresent('k')).toBe('v');
    now = 60_000; // Caffeine: absent once now - writeTime >= duration
    expect(cache.getIfPresent('k')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hitCount: 1, missCount: 1, evictionCount: 1 });
    expect(cache.estimatedSize()).toBe(0);
  });
});

describe('the composed gateway', () => {
  it('createGateway over the real components and the simulated twins, from the two entries only', async () => {
    const sim = new Simulation({ seed: 5, trace: { keepLines: 100 } });
    const clock = sim.clock;
    const upstream = new SimLlmUpstream({ model: 'gpt-4o' }, { clock, random: sim.random.fork('llm') });
    const policy = new SequentialFallbackPolicy(
      { upstreams: [upstream], timeoutMs: 10_000 },
      { clock, random: sim.random.fork('p') },
    );
    const gateway = createGateway(
      {
        instance: 'gw-1',
        layers: [
          tokenBucketLayer(new TokenBucket({ capacity: 1, refillTokensPerSecond: 1 }, { clock })),
          mergeLayer(new Coalescer({ variant: 'singleflight' }, { clock }), { key: (r) => r.prompt }),
        ],
        terminal: providersTerminal(policy),
      },
      { clock, trace: sim.trace },
    );
    const outcomes: Outcome<GatewayResponse>[] = [];
    sim.spawn(async () => {
      // Both at t=0: the bucket holds one token, so the second is refused before it can merge.
      outcomes.push(
        ...(await Promise.all([
          gateway.handle({ id: 1, userId: 'u', prompt: 'hi' }),
          gateway.handle({ id: 2, userId: 'u', prompt: 'hi' }),
        ])),
      );
    });
    await sim.run();
    expect(gateway.layers).toEqual(['token-bucket', 'merge']);
    expect(outcomes[0]).toMatchObject({ kind: 'admitted', value: { servedBy: 'upstream', model: 'gpt-4o' } });
    expect(outcomes[1]).toEqual({ kind: 'refused', reason: { by: 'token-bucket', permits: 1 } });
    expect(sim.trace.lines[0]).toBe('{"t":0,"c":"gateway/gw-1","k":"request","id":1,"user":"u"}');
  });
});
