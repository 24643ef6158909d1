// Model-based test (fast-check commands): random statement sequences through ReadWriteRouter against
// a plain model of ShardingSphere's routing (primary rules, transactional strategy, ROUND_ROBIN over
// the enabled replicas with one shared counter). Fails on the first route that differs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import {
  ReadWriteRouter,
  type RouterSession,
  type TransactionalReadQueryStrategy,
} from '#src/router/index.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';
import { NamedPort } from './fake-sql.ts';

const REPLICAS = ['ds-slave-0', 'ds-slave-1', 'ds-slave-2'];

interface Model {
  strategy: TransactionalReadQueryStrategy;
  count: number;
  disabled: Set<string>;
  inTx: boolean;
  fixed: string | undefined;
  hint: boolean;
}
interface Real {
  router: ReadWriteRouter;
  session: RouterSession;
}

/** The model's balancer: ROUND_ROBIN index from the shared counter over the enabled list (small counts only). */
function balance(m: Model): string | 'error' {
  const enabled = REPLICAS.filter((r) => !m.disabled.has(r));
  const index = m.count++;
  return enabled.length === 0 ? 'error' : enabled[index % enabled.length]!;
}

async function expectRoute(r: Real, sql: string, expected: string | 'error'): Promise<void> {
  if (expected === 'error') {
    await expect(r.session.query(sql)).rejects.toThrow(/no available read data source/);
  } else {
    await r.session.query(sql);
    expect(r.session.lastRoute?.dataSourceName).toBe(expected);
  }
}

class Statement implements fc.AsyncCommand<Model, Real> {
  constructor(readonly sql: string) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const lower = this.sql.toLowerCase();
    let expected: string | 'error' = 'ds-master';
    if (lower === 'begin') {
      m.inTx = true;
      m.fixed = undefined;
    } else if (lower === 'commit' || lower === 'rollback') {
      m.inTx = false;
      m.fixed = undefined;
    } else if (lower.startsWith('select') && !lower.includes('for update') && !m.hint) {
      if (!m.inTx) expected = balance(m);
      else if (m.strategy === 'DYNAMIC') expected = balance(m);
      else if (m.strategy === 'FIXED') {
        if (m.fixed === undefined) {
          const picked = balance(m);
          if (picked !== 'error') m.fixed = picked;
          expected = picked;
        } else expected = m.fixed;
      }
    }
    await expectRoute(r, this.sql, expected);
  }
  toString = () => this.sql;
}

class Hint implements fc.AsyncCommand<Model, Real> {
  constructor(readonly on: boolean) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    m.hint = this.on;
    if (this.on) r.session.setWriteRouteOnly();
    else r.session.clearHint();
  }
  toString = () => `hint(${this.on})`;
}

class Toggle implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly name: string,
    readonly disable: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    if (this.disable) {
      m.disabled.add(this.name);
      r.router.disableReadDataSource(this.name);
    } else {
      m.disabled.delete(this.name);
      r.router.enableReadDataSource(this.name);
    }
  }
  toString = () => `${this.disable ? 'disable' : 'enable'}(${this.name})`;
}

const commands = [
  fc
    .constantFrom(
      'SELECT v FROM t',
      'select 1',
      'SELECT * FROM t FOR UPDATE',
      'UPDATE t SET v = 1',
      'INSERT INTO t VALUES (1)',
      'BEGIN',
      'COMMIT',
      'ROLLBACK',
    )
    .map((sql) => new Statement(sql)),
  fc.boolean().map((on) => new Hint(on)),
  fc.tuple(fc.constantFrom(...REPLICAS), fc.boolean()).map(([n, d]) => new Toggle(n, d)),
];

describe('ReadWriteRouter against a model of ShardingSphere routing (fast-check, seed 17)', () => {
  it.each(['PRIMARY', 'FIXED', 'DYNAMIC'] as const)('strategy %s', async (strategy) => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
        const ports = new Map(['ds-master', ...REPLICAS].map((n) => [n, new NamedPort(n)]));
        const rule = `rules:\n  readwrite-splitting:\n    data-sources:\n      g:\n        writeDataSourceName: ds-master\n        readDataSourceNames: [${REPLICAS.join(', ')}]\n        transactionalReadQueryStrategy: ${strategy}\n`;
        const router = new ReadWriteRouter(rule, {
          dataSources: ports,
          clock: new ManualClock(),
          random: new SeededRandom(17),
        });
        const model: Model = {
          strategy,
          count: 0,
          disabled: new Set(),
          inTx: false,
          fixed: undefined,
          hint: false,
        };
        await fc.asyncModelRun(() => ({ model, real: { router, session: router.openSession() } }), cmds);
      }),
      { seed: 17, numRuns: 200 },
    );
  });
});
