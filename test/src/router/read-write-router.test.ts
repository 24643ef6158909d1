import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import { nextInt } from '#src/ports/random.ts';
import {
  LoadBalancerError,
  parseReadwriteSplittingYaml,
  ReadWriteRouter,
  type ReadWriteRouterOptions,
  RoundRobinLoadBalancer,
  RouterConfigError,
  sqlReplicaProbe,
  WeightLoadBalancer,
} from '#src/router/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { NamedPort, ScriptedProbe, scriptedRandom } from './fake-sql.ts';

// The article's section 3.2 block, byte for byte (U+00A0 indentation and `password: ***` included).
const ARTICLE_YAML = readFileSync(
  new URL('./fixtures/article-readwrite-splitting.yaml.txt', import.meta.url),
  'utf8',
);
const NAMES = ['ds-master', 'ds-slave-0', 'ds-slave-1'] as const;

function setup(yaml: string = ARTICLE_YAML, extra: Partial<ReadWriteRouterOptions> = {}) {
  const clock = new ManualClock();
  const ports = new Map(NAMES.map((n, i) => [n, new NamedPort(n, i + 1)]));
  const probes = new Map(NAMES.map((n) => [n, new ScriptedProbe()]));
  const router = new ReadWriteRouter(yaml, {
    dataSources: ports,
    clock,
    random: new SeededRandom('router-test-11'),
    probes,
    ...extra,
  });
  return { clock, ports, probes, router };
}

const served = async (router: { query: ReadWriteRouter['query'] }, sql = 'SELECT * FROM t') =>
  String((await router.query(sql)).rows[0]?.ds);

const withStrategy = (strategy: string, lb = 'ROUND_ROBIN') => `rules:
  readwrite-splitting:
    data-sources:
      prd_ds:
        writeDataSourceName: ds-master
        readDataSourceNames: [ds-slave-0, ds-slave-1]
        transactionalReadQueryStrategy: ${strategy}
        loadBalancerName: lb
    loadBalancers:
      lb:
        type: ${lb}
`;

describe('the article YAML, as printed', () => {
  it('parses into group prd_ds: ds-master, [ds-slave-0, ds-slave-1], ROUND_ROBIN, DYNAMIC by default', () => {
    const rule = parseReadwriteSplittingYaml(ARTICLE_YAML);
    expect(rule.groups).toEqual([
      {
        name: 'prd_ds',
        writeDataSourceName: 'ds-master',
        readDataSourceNames: ['ds-slave-0', 'ds-slave-1'],
        // YamlReadwriteSplittingRuleConfigurationSwapper (5.4.0-5.5.2): empty -> DYNAMIC.
        transactionalReadQueryStrategy: 'DYNAMIC',
        loadBalancerName: 'round_robin',
      },
    ]);
    expect(rule.loadBalancers.get('round_robin')?.type).toBe('ROUND_ROBIN');
    expect(ARTICLE_YAML).toContain('\u00a0');
    expect(ARTICLE_YAML).toContain('password: ***');
  });

  it('routes writes to ds-master and autocommit reads round-robin from ds-slave-0', async () => {
    const { router, ports } = setup();
    await router.query('INSERT INTO chat_history VALUES (?, ?)', [1, 'x']);
    expect(router.lastRoute).toEqual({ dataSourceName: 'ds-master', reason: 'write-statement' });
    const reads = [];
    for (let i = 0; i < 5; i++) reads.push(await served(router));
    // RoundRobinLoadBalanceAlgorithmTest: targets in list order, starting at index 0.
    expect(reads).toEqual(['ds-slave-0', 'ds-slave-1', 'ds-slave-0', 'ds-slave-1', 'ds-slave-0']);
    expect(ports.get('ds-master')!.statements).toEqual(['INSERT INTO chat_history VALUES (?, ?)']);
  });

  it('sends SELECT ... FOR UPDATE and SELECT LAST_INSERT_ID() to the primary, and honours the hint', async () => {
    const { router } = setup();
    expect(await served(router, 'SELECT * FROM t WHERE id = 1 FOR UPDATE')).toBe('ds-master');
    expect(await served(router, 'SELECT LAST_INSERT_ID()')).toBe('ds-master');
    expect(await served(router, '/* SHARDINGSPHERE_HINT: WRITE_ROUTE_ONLY=true */ SELECT 1')).toBe(
      'ds-master',
    );
    router.defaultSession.setWriteRouteOnly();
    expect(await served(router)).toBe('ds-master');
    expect(router.lastRoute?.reason).toBe('hint-write-route-only');
    router.defaultSession.clearHint();
    expect(await served(router)).toBe('ds-slave-0');
  });
});

describe('config errors name the field path', () => {
  const base = (body: string) =>
    `spring:\n  shardingsphere:\n    rules:\n      readwrite-splitting:\n${body}`;
  it.each([
    [
      base('        data-sources:\n          g:\n            readDataSourceNames: [b]\n'),
      'spring.shardingsphere.rules.readwrite-splitting.data-sources.g.writeDataSourceName',
    ],
    [
      base(
        '        data-sources:\n          g:\n            writeDataSourceName: a\n            readDataSourceNames: []\n',
      ),
      'data-sources.g.readDataSourceNames: expected at least one read data source',
    ],
    [
      base(
        '        data-sources:\n          g:\n            writeDataSourceName: a\n            readDataSourceNames: [b]\n            transactionalReadQueryStrategy: ALWAYS\n',
      ),
      'data-sources.g.transactionalReadQueryStrategy',
    ],
    [
      base(
        '        data-sources:\n          g:\n            writeDataSourceName: a\n            readDataSourceNames: [b]\n            loadBalancerName: rr\n',
      ),
      "data-sources.g.loadBalancerName: 'rr' is not defined under loadBalancers",
    ],
    [
      base(
        '        data-sources:\n          g:\n            writeDataSourceName: a\n            readDataSourceNames: [b, c]\n            loadBalancerName: w\n        loadBalancers:\n          w:\n            type: WEIGHT\n            props:\n              b: 1\n',
      ),
      // WeightLoadBalanceAlgorithm.check: every read data source needs a weight.
      'loadBalancers.w.props: weight of target `c` is required',
    ],
    [
      base(
        '        data-sources:\n          g:\n            writeDataSourceName: a\n            readDataSourceNames: [b]\n        loadBalancers:\n          x:\n            type: LEAST_CONN\n',
      ),
      'loadBalancers.x.type',
    ],
    [
      base(
        '        data-sources:\n          g:\n            writeDataSourceName: a\n            readDataSourceNames: [b]\n            weight: 3\n',
      ),
      'unknown field(s) weight',
    ],
    ['a: [1, 2\n', 'does not parse'],
    ['foo: 1\n', 'no rule found'],
  ])('%#', (yaml, message) => {
    expect(() => parseReadwriteSplittingYaml(yaml)).toThrow(RouterConfigError);
    expect(() => parseReadwriteSplittingYaml(yaml)).toThrow(message);
  });

  it('rejects a data source without a SqlPort', () => {
    expect(
      () =>
        new ReadWriteRouter(ARTICLE_YAML, {
          dataSources: new Map([['ds-master', new NamedPort('m')]]),
          clock: new ManualClock(),
          random: new SeededRandom(1),
        }),
    ).toThrow("dataSources: no SqlPort for data source 'ds-slave-0'");
  });
});

describe('load balancers (infra/algorithm/type/load-balancer)', () => {
  it('ROUND_ROBIN wraps its Java int counter: index -2 out of bounds with 3 replicas, index 0 with 2', () => {
    const three = new RoundRobinLoadBalancer(2147483647);
    expect(three.getTargetName('g', ['a', 'b', 'c'])).toBe('b'); // 2147483647 % 3 = 1
    expect(() => three.getTargetName('g', ['a', 'b', 'c'])).toThrow('Index -2 out of bounds for length 3');
    expect(three.getTargetName('g', ['a', 'b', 'c'])).toBe('b'); // |MIN + 1| % 3 = 2147483647 % 3 = 1
    const two = new RoundRobinLoadBalancer(-2147483648);
    expect(two.getTargetName('g', ['a', 'b'])).toBe('a');
  });

  it('ROUND_ROBIN over an empty list fails as Java does (/ by zero): no fallback to the primary', async () => {
    const { router } = setup();
    router.disableReadDataSource('ds-slave-0');
    expect(await served(router)).toBe('ds-slave-1');
    expect(await served(router)).toBe('ds-slave-1');
    router.disableReadDataSource('ds-slave-1');
    await expect(router.query('SELECT 1')).rejects.toThrow(LoadBalancerError);
    router.enableReadDataSource('ds-slave-0');
    expect(await served(router)).toBe('ds-slave-0');
  });

  it('RANDOM draws nextInt(size) from the injected Random (same seed, same replicas)', async () => {
    const picks = async (seed: number) => {
      const { router } = setup(withStrategy('PRIMARY', 'RANDOM'), { random: new SeededRandom(seed) });
      const out = [];
      for (let i = 0; i < 12; i++) out.push(await served(router));
      return out;
    };
    const reference = new SeededRandom(7);
    const expected = Array.from({ length: 12 }, () => `ds-slave-${nextInt(reference, 2)}`);
    expect(await picks(7)).toEqual(expected);
    expect(new Set(expected).size).toBe(2);
  });

  it('WEIGHT: cumulative bounds over the available targets, binary search, exact hit stays on its index', () => {
    const weights = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    const lb = new WeightLoadBalancer(weights, scriptedRandom([0, 0.2, 1 / 3, 0.34, 0.99]));
    expect(['a', 'b', 'c', 'd', 'e'].slice(0, 5).map(() => lb.getTargetName('g', ['a', 'b']))).toEqual([
      'a',
      'a',
      'a',
      'b',
      'b',
    ]);
    // Infinity counts as 10000 and NaN as 1 (getWeightValue).
    const odd = new WeightLoadBalancer(
      new Map([
        ['a', Number.NaN],
        ['b', Number.POSITIVE_INFINITY],
      ]),
      scriptedRandom([1 / 10001 - 1e-9, 1 / 10001 + 1e-9]),
    );
    expect(odd.getTargetName('g', ['a', 'b'])).toBe('a');
    expect(odd.getTargetName('g', ['a', 'b'])).toBe('b');
  });

  it('WEIGHT parses Java double text in props', () => {
    const rule = parseReadwriteSplittingYaml(
      `rules:\n  readwrite-splitting:\n    data-sources:\n      g:\n        writeDataSourceName: m\n        readDataSourceNames: [a, b]\n        loadBalancerName: w\n    loadBalancers:\n      w:\n        type: WEIGHT\n        props:\n          a: "1.5"\n          b: Infinity\n`,
    );
    expect([...rule.loadBalancers.get('w')!.weights]).toEqual([
      ['a', 1.5],
      ['b', Number.POSITIVE_INFINITY],
    ]);
  });
});

describe('reads inside a transaction (QualifiedReadwriteSplittingTransactionalDataSourceRouter)', () => {
  it('PRIMARY: every read of the transaction goes to the write data source', async () => {
    const { router } = setup(withStrategy('PRIMARY'));
    const s = router.openSession();
    await s.query('BEGIN');
    expect(s.inTransaction).toBe(true);
    await s.query('UPDATE t SET v = 2 WHERE id = 1');
    expect(await served(s)).toBe('ds-master');
    expect(s.lastRoute?.reason).toBe('transaction-primary');
    await s.query('COMMIT');
    expect(await served(s)).toBe('ds-slave-0');
  });

  it('FIXED: the first read picks a replica by the balancer and the transaction keeps it', async () => {
    const { router } = setup(withStrategy('FIXED'));
    const s = router.openSession();
    await s.query('START TRANSACTION');
    const seen = [await served(s), await served(s), await served(s)];
    expect(seen).toEqual(['ds-slave-0', 'ds-slave-0', 'ds-slave-0']);
    await s.query('ROLLBACK');
    // The shared round-robin counter moved once.
    expect(await served(s)).toBe('ds-slave-1');
  });

  it('DYNAMIC (the default): reads in a transaction are balanced, so a read after a write misses it (issue #36426)', async () => {
    const { router } = setup();
    const s = router.openSession();
    await s.query('SET autocommit = 0');
    await s.query('UPDATE t SET v = 2 WHERE id = 1');
    expect(await served(s)).toBe('ds-slave-0');
    expect(s.lastRoute?.reason).toBe('transaction-dynamic');
    expect(await served(s)).toBe('ds-slave-1');
    await s.query('SET autocommit = 1');
    expect(s.inTransaction).toBe(false);
  });

  it('sessions share the balancer but not transaction state', async () => {
    const { router } = setup(withStrategy('PRIMARY'));
    const a = router.openSession();
    const b = router.openSession();
    await a.query('BEGIN');
    expect(await served(a)).toBe('ds-master');
    expect(await served(b)).toBe('ds-slave-0');
    expect(await served(router)).toBe('ds-slave-1');
  });
});

describe('beyond ShardingSphere: replica checks and causal reads (all off by default)', () => {
  it('off by default: a replica with a stopped SQL thread is still served and never probed', async () => {
    const { router, probes } = setup();
    probes.get('ds-slave-1')!.current = { ioRunning: true, sqlRunning: false, secondsBehindMaster: null };
    expect([await served(router), await served(router)]).toEqual(['ds-slave-0', 'ds-slave-1']);
    expect(probes.get('ds-slave-1')!.statusCalls).toBe(0);
  });

  it('health: skips a replica whose SQL thread stopped or that does not answer; none left -> primary', async () => {
    const { router, probes } = setup(ARTICLE_YAML, { replicaChecks: { health: true, statusTtlMs: 0 } });
    probes.get('ds-slave-1')!.current = { ioRunning: true, sqlRunning: false, secondsBehindMaster: null };
    expect([await served(router), await served(router), await served(router)]).toEqual([
      'ds-slave-0',
      'ds-slave-0',
      'ds-slave-0',
    ]);
    probes.get('ds-slave-0')!.current = 'unreachable';
    expect(await served(router)).toBe('ds-master');
    expect(router.lastRoute?.reason).toBe('no-eligible-replica');
  });

  it('lag: excludes SBM above the limit and NULL SBM; statuses are cached for statusTtlMs of the clock', async () => {
    const { router, probes, clock } = setup(ARTICLE_YAML, {
      replicaChecks: { maxReplicationLagMs: 1000, statusTtlMs: 500 },
    });
    probes.get('ds-slave-0')!.current = { ioRunning: true, sqlRunning: true, secondsBehindMaster: 2 };
    probes.get('ds-slave-1')!.current = { ioRunning: false, sqlRunning: true, secondsBehindMaster: null };
    expect(await served(router)).toBe('ds-master');
    probes.get('ds-slave-0')!.current = { ioRunning: true, sqlRunning: true, secondsBehindMaster: 1 };
    expect(await served(router)).toBe('ds-master'); // cached for 500 ms
    expect(probes.get('ds-slave-0')!.statusCalls).toBe(1);
    clock.nowMs = 500;
    expect(await served(router)).toBe('ds-slave-0');
    expect(probes.get('ds-slave-0')!.statusCalls).toBe(2);
  });

  it("causal reads: after a write the session waits for that write's GTID; a timeout reads the primary", async () => {
    const { router, probes } = setup(ARTICLE_YAML, { causalReads: { timeoutMs: 250 } });
    expect(await served(router)).toBe('ds-slave-0'); // no write yet: no wait
    expect(probes.get('ds-slave-0')!.waits).toEqual([]);
    await router.query('INSERT INTO t VALUES (1)');
    expect(router.defaultSession.lastWriteGtid).toBe('0-1-1');
    expect(await served(router)).toBe('ds-slave-1');
    expect(probes.get('ds-slave-1')!.waits).toEqual([['0-1-1', 250]]);
    probes.get('ds-slave-0')!.reached = false;
    expect(await served(router)).toBe('ds-master');
    expect(router.lastRoute?.reason).toBe('causal-timeout');
  });
});

describe('sqlReplicaProbe reads SHOW SLAVE STATUS and MASTER_GTID_WAIT the way MariaDB answers', () => {
  const port = (rows: Record<string, unknown>[]) => ({
    sent: [] as [string, unknown][],
    async query(sql: string, params?: readonly unknown[]) {
      this.sent.push([sql, params]);
      return { rows: rows as never[], affectedRows: 0 };
    },
  });

  it.each([
    [{ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: 0 }, true, true, 0],
    [
      { Slave_IO_Running: 'Connecting', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: null },
      false,
      true,
      null,
    ],
    [{ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'No', Seconds_Behind_Master: null }, true, false, null],
    [{ Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes', Seconds_Behind_Master: '3' }, true, true, 3],
  ])('%j', async (row, io, sql, sbm) => {
    expect(await sqlReplicaProbe(port([row])).status()).toEqual({
      ioRunning: io,
      sqlRunning: sql,
      secondsBehindMaster: sbm,
    });
  });

  it('a server that is not a replica (no row) counts as not running', async () => {
    expect(await sqlReplicaProbe(port([])).status()).toEqual({
      ioRunning: false,
      sqlRunning: false,
      secondsBehindMaster: null,
    });
  });

  it('MASTER_GTID_WAIT takes seconds and answers 0 (reached) or -1 (timed out)', async () => {
    const reached = port([{ "MASTER_GTID_WAIT('0-1-5', 0.25)": 0 }]);
    expect(await sqlReplicaProbe(reached).waitForGtid('0-1-5', 250)).toBe(true);
    expect(reached.sent).toEqual([['SELECT MASTER_GTID_WAIT(?, ?)', ['0-1-5', 0.25]]]);
    expect(await sqlReplicaProbe(port([{ r: -1 }])).waitForGtid('0-1-5', 250)).toBe(false);
  });
});
