import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario, runScenario } from '#sim/index.ts';
import { scratch } from '#test/cli/in-process.ts';

// The MariaDB twin's fault verbs as a scenario timeline drives them (sim/world/mysql-world.ts).

const tmp = scratch('hasim-mysql-world-');
afterAll(() => tmp.dispose());

const scenario = (faults: string) =>
  parseScenario(
    `kind: gateway
name: slow-replica
seed: 1
variant: fixed
topology:
  instances: 1
  layers: [chat-history]
  redis: { masters: 1, replicasPerMaster: 0 }
  mysql: { replicas: 2, applyCostMs: 3 }
  providers:
    - { name: primary, model: m, ttftMedianMs: 50, decodeTokensPerSecond: 500, outputTokensMu: 2, outputTokensSigma: 0.1 }
workload:
  phases:
    - { name: steady, durationMs: 6s, arrivalRate: 5 }
faults:
${faults}
`,
    'inline',
  );

function applyCosts(dir: string): { t: number; node: string; ms: number }[] {
  return readFileSync(join(dir, 'trace.jsonl'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => line.includes('"k":"apply-cost"'))
    .map((line) => JSON.parse(line));
}

describe('mysql/replica-N fault verbs', () => {
  it("slow for a while: the fault's end (repair) puts the SQL thread back to its configured cost", async () => {
    const dir = join(tmp.dir, 'slow-for');
    await runScenario(
      scenario('  - { at: 1s, do: slow, target: mysql/replica-1, args: { applyCostMs: 40 }, for: 2s }'),
      { seed: 1, outDir: dir },
    );
    const costs = applyCosts(dir);
    expect(costs.map(({ node, ms }) => ({ node, ms }))).toEqual([
      { node: 'ds-slave-0', ms: 40 },
      { node: 'ds-slave-0', ms: 3 },
    ]);
    expect(costs[1]!.t - costs[0]!.t).toBe(2000);
  });

  it('a partition and its repair leave the apply cost alone', async () => {
    const dir = join(tmp.dir, 'partition');
    await runScenario(scenario('  - { at: 1s, do: partition, target: mysql/replica-2, for: 2s }'), {
      seed: 1,
      outDir: dir,
    });
    expect(applyCosts(dir)).toEqual([]);
  });
});
