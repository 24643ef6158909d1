import { describe, expect, it } from 'vitest';
import { LimitError } from '#sim/limits.ts';
import { runScenario } from '#sim/run.ts';
import { parseScenario, ScenarioError } from '#sim/scenarios/load.ts';
import { drawFaults, type Nemesis, resolveNemesis } from '#sim/scenarios/nemesis.ts';
import { OUTAGE_SCENARIO } from './fixtures.ts';

const TARGETS = new Map([
  ['upstream/primary', ['outage', 'slowdown', 'rate-limit-storm', 'fail-next', 'heal'] as const],
  ['upstream/backup', ['outage', 'slowdown', 'rate-limit-storm', 'fail-next', 'heal'] as const],
  ['redis/shard-1/master', ['crash', 'restart', 'freeze', 'resume', 'partition', 'repair'] as const],
]);

const NEMESIS: Nemesis = {
  faults: [{ do: 'outage', for: [1000, 4000] }, 'crash', { do: 'fail-next', args: { count: 2 } }],
  interval: 1000,
  from: 2000,
  until: 30_000,
  final: 'heal',
};

/** The small scenario with its timeline replaced by `nemesis` YAML. */
const withNemesis = (nemesis: string) => OUTAGE_SCENARIO.replace(/faults:\n.*\n/, `nemesis:\n${nemesis}`);

describe('nemesis: each seed draws an explicit schedule', () => {
  it('the same seed draws the same schedule; another seed another', () => {
    const a = drawFaults(NEMESIS, 7, TARGETS, 60_000);
    expect(drawFaults(NEMESIS, 7, TARGETS, 60_000)).toEqual(a);
    expect(drawFaults(NEMESIS, 8, TARGETS, 60_000)).not.toEqual(a);
    expect(a.length).toBeGreaterThan(5);
  });

  it('starts in [from, until), one fault per target at a time, every fault healed by until', () => {
    for (const seed of [1, 2, 3, 'x']) {
      const faults = drawFaults(NEMESIS, seed, TARGETS, 60_000);
      const busy = new Map<string, number>();
      for (const f of faults) {
        expect(f.at).toBeGreaterThanOrEqual(2000);
        expect(f.at).toBeLessThan(30_000);
        expect(f.at + (f.for ?? 0)).toBeLessThanOrEqual(30_000);
        expect(busy.get(f.target) ?? -1).toBeLessThan(f.at);
        busy.set(f.target, f.at + (f.for ?? 0));
        // A verb without an inverse takes no duration; crash's is the interval by default.
        if (f.do === 'fail-next') expect(f.for).toBeUndefined();
        if (f.do === 'crash') expect(f.for).toBe(Math.min(1000, 30_000 - f.at));
        if (f.do === 'crash') expect(f.target).toBe('redis/shard-1/master');
      }
    }
  });

  it('stops at the named limit, loudly', () => {
    expect(() => drawFaults(NEMESIS, 1, TARGETS, 60_000, { nemesisFaults: 3 })).toThrow(LimitError);
    expect(() => drawFaults(NEMESIS, 1, TARGETS, 60_000, { nemesisFaults: 3 })).toThrow(
      /over the limit of 3 faults per drawn schedule \(raise it with --max-nemesis-faults\)/,
    );
  });

  it('a run of the nemesis scenario is the run of its resolved explicit schedule, seed for seed', async () => {
    const scenario = parseScenario(
      withNemesis(
        '  faults: [outage, { do: slowdown, args: { factor: 3 } }]\n  interval: 3s\n  until: 15s\n  final: heal\n',
      ),
      'n.yaml',
    );
    const resolved = resolveNemesis(scenario, 5);
    expect(resolved).not.toHaveProperty('nemesis');
    expect('faults' in resolved && resolved.faults?.length).toBeGreaterThan(0);
    expect('heal' in resolved && resolved.heal).toBe(15_000);
    const [a, b] = [await runScenario(scenario, { seed: 5 }), await runScenario(resolved, { seed: 5 })];
    expect(a.result.traceHash).toBe(b.result.traceHash);
    // The nemesis draws from its own fork: the workload's draws are those of a run without faults.
    const other = await runScenario(resolveNemesis(scenario, 6), { seed: 5 });
    expect(other.result.traceHash).not.toBe(a.result.traceHash);
  });
});

describe('nemesis: what a scenario file may say', () => {
  const problem = (nemesis: string, text = withNemesis(nemesis)) => {
    try {
      parseScenario(text, 'n.yaml');
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      return (error as Error).message;
    }
    return 'no error';
  };

  it('one line with the file, the line and the field', () => {
    expect(problem('  faults: [outage]\n  interval: 0\n')).toMatch(
      /^n\.yaml:\d+: nemesis\.interval: expected an interval > 0/,
    );
    expect(problem('  faults: [restart]\n  interval: 1s\n')).toBe(
      "n.yaml:16: nemesis.faults.0: 'restart' ends a fault; the nemesis ends each fault it draws itself (for:)",
    );
    expect(problem('  faults: [explode]\n  interval: 1s\n')).toMatch(
      /^n\.yaml:16: nemesis\.faults\.0: expected a fault verb/,
    );
    expect(problem('  faults: [outage]\n  interval: 1s\n  targets: [upstream/nope]\n')).toMatch(
      /^n\.yaml:18: nemesis\.targets\.0: no fault target 'upstream\/nope' in this topology/,
    );
    expect(problem('  faults: [crash]\n  interval: 1s\n  targets: [upstream/primary]\n')).toMatch(
      /^n\.yaml:16: nemesis\.faults\.0: no target answers 'crash'/,
    );
    expect(problem('  faults: [{ do: fail-next, for: 2s }]\n  interval: 1s\n')).toMatch(
      /nemesis\.faults\.0\.for: 'fail-next' has no inverse to end it, so it takes no duration$/,
    );
    expect(problem('  faults: [outage]\n  interval: 1s\n  from: 30s\n')).toMatch(
      /nemesis\.from: expected from < until/,
    );
    expect(problem('  faults: [outage]\n  interval: 1s\n  final: never\n')).toMatch(
      /nemesis\.final: expected 'heal'/,
    );
    const both = `${OUTAGE_SCENARIO}nemesis:\n  faults: [outage]\n  interval: 1s\n`;
    expect(problem('', both)).toMatch(/^n\.yaml:\d+: nemesis: a scenario has faults: or nemesis:, not both/);
  });
});
