import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '#sim/scenarios/load.ts';

// A bad gateway scenario is refused before anything runs, with one line naming the file, the line,
// the field path and what was expected. Each case edits the article's own scenario.
const ARTICLE = readFileSync(join(import.meta.dirname, '../../scenarios/article.yaml'), 'utf8');

function refusal(edit: (text: string) => string): string {
  try {
    parseScenario(edit(ARTICLE), 'article.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('a bad gateway scenario is refused with one line: file, line, field', () => {
  it('accepts the article as shipped', () => {
    expect(refusal((t) => t)).toBe('accepted');
  });

  it('an unknown layer', () => {
    const m = refusal((t) => t.replace('layers: [token-bucket,', 'layers: [token-bucket, firewall,'));
    expect(m).toMatch(/^article\.yaml:\d+: topology\.layers\.1: expected one of token-bucket, redis-limiter/);
  });

  it('a negative rate', () => {
    const m = refusal((t) => t.replace('arrivalRate: 20 }', 'arrivalRate: -5 }'));
    expect(m).toMatch(/^article\.yaml:\d+: workload\.phases\.1\.arrivalRate: expected arrivals per second/);
  });

  it('an unknown fault verb', () => {
    const m = refusal((t) => t.replace('do: crash,', 'do: explode,'));
    expect(m).toMatch(/^article\.yaml:\d+: faults\.1\.do: expected a fault verb \(crash, restart/);
  });

  it('a malformed duration quotes the value once', () => {
    const m = refusal((t) => t.replace(/\bat: (\w+), do: crash,/, 'at: 2m30s, do: crash,'));
    expect(m).toMatch(
      /^article\.yaml:\d+: faults\.1\.at: expected a duration \(integer ms, or 800ms, 15s, 2m\), got "2m30s"$/,
    );
  });

  it('a fault naming a node that does not exist', () => {
    const m = refusal((t) => t.replace('target: redis/shard-1/master', 'target: redis/shard-7/master'));
    expect(m).toMatch(
      /^article\.yaml:\d+: faults\.1\.target: no fault target 'redis\/shard-7\/master' in this topology/,
    );
  });

  it('a verb the target does not answer to', () => {
    const m = refusal((t) =>
      t.replace('do: outage, target: upstream/primary', 'do: failover, target: upstream/primary'),
    );
    expect(m).toMatch(/faults\.0\.target: 'upstream\/primary' has no verb 'failover'/);
  });

  it('an expectation without an operator and bound', () => {
    const m = refusal((t) => t.replace("'gateway.errors': ['rate<0.05']", "'gateway.errors': ['rate']"));
    expect(m).toMatch(
      /^article\.yaml:\d+: expect\.thresholds\.gateway\.errors\.0: expected 'aggregation operator bound'/,
    );
  });

  it('an unknown metric and an unknown invariant', () => {
    expect(
      refusal((t) => t.replace("'gateway.latency': ['p(99)<15s']", "'gateway.latncy': ['p(99)<15s']")),
    ).toMatch(/expect\.fixed\.thresholds\.gateway\.latncy: unknown metric 'gateway\.latncy'/);
    expect(refusal((t) => t.replace('always: [read-your-writes]', 'always: [read-my-mind]'))).toMatch(
      /expect\.fixed\.always\.0: unknown invariant 'read-my-mind'/,
    );
  });

  it('the line number points at the offending field', () => {
    const lines = ARTICLE.split('\n');
    const line = lines.findIndex((l) => l.includes('target: redis/shard-1/master')) + 1;
    const m = refusal((t) => t.replace('target: redis/shard-1/master', 'target: redis/shard-7/master'));
    expect(m.startsWith(`article.yaml:${line}: `)).toBe(true);
  });
});

// A fault's arguments are checked when the file is loaded (sim/world/fault-args.ts), not when the
// fault fires minutes into the run (where it used to fail the run with exit 1 and no line).
describe("a fault's arguments are refused with the fault's line", () => {
  const line = (needle: string) => ARTICLE.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const slow = line('do: slow, target: mysql/replica-1');
  const outage = line('do: outage, target: upstream/primary');

  it('a missing required argument', () => {
    expect(refusal((t) => t.replace('args: { applyCostMs: 40 }, ', ''))).toBe(
      `article.yaml:${slow}: faults.2: slow needs one of args.applyCostMs, args.latencyMs`,
    );
  });

  it('a misspelt argument, naming the ones the verb takes', () => {
    expect(refusal((t) => t.replace('applyCostMs: 40', 'applyCostMS: 40'))).toBe(
      `article.yaml:${slow}: faults.2.args.applyCostMS: unknown argument of slow (on mysql/replica-1, slow takes applyCostMs, latencyMs, jitterMs, bandwidthKBps)`,
    );
  });

  it('a value out of range, and one not in the list', () => {
    expect(refusal((t) => t.replace('applyCostMs: 40', 'applyCostMs: -1'))).toBe(
      `article.yaml:${slow}: faults.2.args.applyCostMs: expected a number >= 0 and <= 60000 (ms per event group), got -1`,
    );
    expect(
      refusal((t) =>
        t.replace(
          'do: outage, target: upstream/primary',
          'do: outage, target: upstream/primary, args: { mode: hung }',
        ),
      ),
    ).toBe(`article.yaml:${outage}: faults.0.args.mode: expected one of error, hang, got "hung"`);
  });

  it("a negative statement cost in the topology's mysql block", () => {
    const line = ARTICLE.split('\n').findIndex((l) => l.includes('loadBalancer: ROUND_ROBIN')) + 1;
    expect(
      refusal((t) =>
        t.replace('loadBalancer: ROUND_ROBIN', 'loadBalancer: ROUND_ROBIN\n    statementCostMs: -2'),
      ),
    ).toBe(
      `article.yaml:${line + 1}: topology.mysql.statementCostMs: Too small: expected number to be >=0, got -2`,
    );
  });

  it('arguments on a verb that takes none', () => {
    expect(
      refusal((t) =>
        t.replace(
          'do: crash, target: redis/shard-1/master',
          'do: crash, target: redis/shard-1/master, args: { hard: true }',
        ),
      ),
    ).toMatch(
      /faults\.1\.args\.hard: unknown argument of crash \(on redis\/shard-1\/master, crash takes no arguments\)$/,
    );
  });

  it("a nemesis fault's arguments, against every target it may be drawn on", () => {
    const nemesis = `nemesis:
  interval: 10s
  faults:
    - { do: fail-next, args: { count: 0 } }
`;
    const m = refusal((t) => t.replace(/^faults:\n( {2}- .*\n)+/m, nemesis));
    expect(m).toMatch(
      /^article\.yaml:\d+: nemesis\.faults\.0\.args\.count: expected an integer >= 1 and <= 1000000 \(calls\), got 0$/,
    );
  });
});
