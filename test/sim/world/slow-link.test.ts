import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '#sim/index.ts';
import { scratch } from '#test/cli/in-process.ts';

// The `slow` fault on a Redis node and on a MariaDB replica or primary, as a scenario's timeline drives it:
// the node's answers reach the gateway `latencyMs` later while the fault lasts (the latency toxic
// hasim's live fault proxy puts on a server's replies), and `repair` at the end of `for` takes
// it away.

const tmp = scratch('hasim-slow-link-');
afterAll(() => tmp.dispose());

interface Line {
  readonly t: number;
  readonly c: string;
  readonly k: string;
  readonly id?: number;
}

async function trace(
  name: string,
  layer: string,
  variant: string,
  fault: string | undefined,
  mysql = '{ replicas: 1, loadBalancer: ROUND_ROBIN }',
): Promise<Line[]> {
  const scenario = parseScenario(
    `kind: gateway
name: ${name}
seed: 1
variant: ${variant}
topology:
  instances: 1
  layers: [${layer}]
  redis: { masters: 1, replicasPerMaster: 1 }
  mysql: ${mysql}
  providers:
    - { name: primary, model: m, ttftMedianMs: 50, decodeTokensPerSecond: 500, outputTokensMu: 2, outputTokensSigma: 0.1 }
workload:
  phases:
    - { name: steady, durationMs: 8s, arrivalRate: 10 }
${fault === undefined ? '' : `faults:\n  - ${fault}\n`}`,
    `${name}.yaml`,
  );
  const dir = join(tmp.dir, name);
  await runScenario(scenario, { seed: 1, outDir: dir });
  return readFileSync(join(dir, 'trace.jsonl'), 'utf8')
    .split('\n')
    .slice(1, -1)
    .map((line) => JSON.parse(line) as Line)
    .filter((e) => 'c' in e);
}

/** For each request, when it arrived and how long until `component` `kind` named it. */
function waits(lines: readonly Line[], component: string, kind: string): { at: number; ms: number }[] {
  const arrived = new Map<number, number>();
  const out: { at: number; ms: number }[] = [];
  for (const e of lines) {
    if (e.id === undefined) continue;
    if (e.c.startsWith('gateway/') && e.k === 'request') arrived.set(e.id, e.t);
    else if (e.c.startsWith(component) && e.k === kind) {
      const at = arrived.get(e.id);
      if (at !== undefined) out.push({ at, ms: e.t - at });
    }
  }
  return out;
}

describe('slow: a slow link to a node', () => {
  it("on redis/shard-1/master, the limiter's EVALSHA answers 300 ms later from 2 s to 5 s", async () => {
    const lines = await trace(
      'slow-redis',
      'redis-limiter',
      'fixed',
      '{ at: 2s, do: slow, target: redis/shard-1/master, args: { latencyMs: 300 }, for: 3s }',
    );
    const w = waits(lines, 'redis-limiter/', 'admitted');
    const before = w.filter((x) => x.at < 2000);
    const during = w.filter((x) => x.at >= 2100 && x.at < 4600);
    const after = w.filter((x) => x.at >= 5400);
    expect(before.length).toBeGreaterThan(10);
    expect(during.length).toBeGreaterThan(10);
    expect(after.length).toBeGreaterThan(10);
    expect(Math.max(...before.map((x) => x.ms))).toBeLessThan(50);
    expect(Math.min(...during.map((x) => x.ms))).toBeGreaterThanOrEqual(300);
    expect(Math.max(...after.map((x) => x.ms))).toBeLessThan(50);
    expect(lines.filter((e) => e.c === 'redis-cluster' && e.k === 'slow')).toHaveLength(1);
  });

  it('on mysql/replica-1, the history read the article routes there answers 200 ms later', async () => {
    const lines = await trace(
      'slow-replica',
      'chat-history',
      'article',
      '{ at: 2s, do: slow, target: mysql/replica-1, args: { latencyMs: 200 }, for: 3s }',
    );
    const w = waits(lines, 'chat-history/', 'read');
    const during = w.filter((x) => x.at >= 2100 && x.at < 4700);
    const after = w.filter((x) => x.at >= 5400);
    expect(during.length).toBeGreaterThan(10);
    expect(after.length).toBeGreaterThan(10);
    expect(Math.min(...during.map((x) => x.ms))).toBeGreaterThanOrEqual(200);
    expect(Math.max(...after.map((x) => x.ms))).toBeLessThan(50);
    // The link slows and heals when the timeline says (`at` counts from the workload's start, once
    // the replica has the schema: a few ms into the run).
    const faultTimes = lines.filter((e) => e.c === 'fault' && e.k === 'inject').map((e) => e.t);
    expect(faultTimes).toHaveLength(2);
    expect(faultTimes[1]! - faultTimes[0]!).toBe(3000);
    expect(faultTimes[0]).toBeGreaterThanOrEqual(2000);
    expect(faultTimes[0]).toBeLessThan(2050);
    expect(lines.filter((e) => e.c === 'mysql' && e.k === 'reply-latency').map((e) => e.t)).toEqual(
      faultTimes,
    );
  });

  it('on mysql/primary, the history read the fix routes there answers 150 ms later', async () => {
    const lines = await trace(
      'slow-primary',
      'chat-history',
      'fixed',
      '{ at: 2s, do: slow, target: mysql/primary, args: { latencyMs: 150 }, for: 3s }',
    );
    const w = waits(lines, 'chat-history/', 'read');
    const during = w.filter((x) => x.at >= 2100 && x.at < 4800);
    const after = w.filter((x) => x.at >= 5400);
    expect(during.length).toBeGreaterThan(10);
    expect(after.length).toBeGreaterThan(10);
    expect(Math.min(...during.map((x) => x.ms))).toBeGreaterThanOrEqual(150);
    expect(Math.max(...after.map((x) => x.ms))).toBeLessThan(50);
  });
});

describe('topology.mysql.statementCostMs', () => {
  it('every statement takes that much virtual time: each history read answers 7 ms later than without it', async () => {
    const base = waits(await trace('cost-0', 'chat-history', 'article', undefined), 'chat-history/', 'read');
    const costly = waits(
      await trace(
        'cost-7',
        'chat-history',
        'article',
        undefined,
        '{ replicas: 1, loadBalancer: ROUND_ROBIN, statementCostMs: 7 }',
      ),
      'chat-history/',
      'read',
    );
    // The same requests, each arriving later by a constant: the run's setup (four CREATE TABLEs on
    // the primary, then the wait for the replica to apply them) takes at least its four statements'
    // 28 ms before the workload starts. Then each read is its one SELECT, 7 ms, later than without
    // the cost; none fails, as the replica has every table before the first request.
    const shift = costly[0]!.at - base[0]!.at;
    expect(shift).toBeGreaterThanOrEqual(28);
    expect(shift).toBeLessThan(100);
    expect(base.length).toBeGreaterThan(60);
    expect(costly.map((x) => x.at - shift)).toEqual(base.map((x) => x.at));
    expect(costly.map((x, i) => x.ms - base[i]!.ms)).toEqual(base.map(() => 7));
  });
});
