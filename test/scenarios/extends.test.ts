import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXTENDS_DEPTH_MAX, overlay } from '#sim/scenarios/extends.ts';
import { loadScenarioFile, ScenarioError } from '#sim/scenarios/load.ts';
import { cli, scratch, stderrLines } from '../cli/in-process.ts';

// `extends:` in scenario files (sim/scenarios/extends.ts): a file built on another loads as the
// merged scenario written out by hand would, and every mistake, in whichever file it was made, is
// one line naming that file and line.

const tmp = scratch('hasim-extends-');
afterAll(() => tmp.dispose());

const TOPOLOGY = `instances: 2
layers: [chat-history]
redis: { masters: 1, replicasPerMaster: 0 }
mysql:
  replicas: 2
  loadBalancer: ROUND_ROBIN
  shards: 4
providers:
  - { name: primary, model: gpt-4o-mini, ttftMedianMs: 200, decodeTokensPerSecond: 200, outputTokensMu: 3, outputTokensSigma: 0.3 }
`;

const BASE = `kind: gateway
name: base
seed: 7
variant: [article, fixed]
topology:
${TOPOLOGY.replace(/^/gm, '  ').trimEnd()}
workload:
  phases:
    - { name: steady, durationMs: 6s, arrivalRate: 10 }
  users: 10
  prompts: 100
faults:
  - { at: 2s, do: stop-sql-thread, target: mysql/replica-2, for: 2s }
expect:
  thresholds:
    "gateway.errors": ["rate==0"]
  article:
    violated: [read-your-writes]
`;

function load(name: string, text: string) {
  return loadScenarioFile(tmp.file(name, text));
}

function refusal(name: string, text: string): string {
  try {
    load(name, text);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error(`${name} loaded, but should have been refused`);
}

describe('extends: at the top level', () => {
  tmp.file('base.yaml', BASE);

  it('lays the file over its base: mappings merge, lists and values replace, null removes', () => {
    const child = load(
      'child.yaml',
      `extends: base.yaml
name: child
topology:
  mysql: { replicas: 1 }
workload:
  phases:
    - { name: short, durationMs: 3s, arrivalRate: 5 }
faults:
  - { at: 1s, do: crash, target: mysql/replica-1, for: 1s }
expect:
  article: null
`,
    );
    const flat = load(
      'flat.yaml',
      `kind: gateway
name: child
seed: 7
variant: [article, fixed]
topology:
  instances: 2
  layers: [chat-history]
  redis: { masters: 1, replicasPerMaster: 0 }
  mysql: { replicas: 1, loadBalancer: ROUND_ROBIN, shards: 4 }
  providers:
    - { name: primary, model: gpt-4o-mini, ttftMedianMs: 200, decodeTokensPerSecond: 200, outputTokensMu: 3, outputTokensSigma: 0.3 }
workload:
  phases:
    - { name: short, durationMs: 3s, arrivalRate: 5 }
  users: 10
  prompts: 100
faults:
  - { at: 1s, do: crash, target: mysql/replica-1, for: 1s }
expect:
  thresholds:
    "gateway.errors": ["rate==0"]
`,
    );
    expect(child).toEqual(flat);
  });

  it('follows a chain of files, each path relative to the file that names it', () => {
    mkdirSync(join(tmp.dir, 'nested'), { recursive: true });
    tmp.file('nested/middle.yaml', 'extends: ../base.yaml\nseed: middle\n');
    const leaf = load('leaf.yaml', 'extends: nested/middle.yaml\nname: leaf\n');
    expect(leaf.name).toBe('leaf');
    expect(leaf.kind === 'gateway' && leaf.seed).toBe('middle');
    expect(leaf.kind === 'gateway' && leaf.faults?.length).toBe(1);
  });

  it("checks only the merged scenario: a base's bad value that the file overrides is no error", () => {
    tmp.file('broken-base.yaml', BASE.replace('instances: 2', 'instances: two'));
    const fixed = load('fixes-base.yaml', 'extends: broken-base.yaml\ntopology: { instances: 3 }\n');
    expect(fixed.kind === 'gateway' && fixed.topology.instances).toBe(3);
  });

  it('names the base file and line when the mistake is in the base', () => {
    const base = tmp.file('bad-base.yaml', BASE.replace('instances: 2', 'instances: two'));
    const message = refusal('uses-bad-base.yaml', 'extends: bad-base.yaml\nname: x\n');
    expect(message).toBe(`${base}:6: topology.instances: expected an integer > 0, got "two"`);
  });

  it('names the file itself when the mistake is in the file', () => {
    const path = join(tmp.dir, 'bad-child.yaml');
    const message = refusal('bad-child.yaml', 'extends: base.yaml\ntopology:\n  redis: { ttl: -5 }\n');
    expect(message).toMatch(new RegExp(`^${path}:3: topology\\.redis\\.ttl: expected a duration`));
  });

  it('locates a fault the topology does not have in the file that wrote it', () => {
    const path = join(tmp.dir, 'bad-target.yaml');
    const message = refusal(
      'bad-target.yaml',
      'extends: base.yaml\nfaults:\n  - { at: 1s, do: crash, target: mysql/replica-9 }\n',
    );
    expect(message).toMatch(new RegExp(`^${path}:3: faults\\.0\\.target: no fault target 'mysql/replica-9'`));
  });

  it('refuses a base that cannot be read, naming the extends line', () => {
    const path = join(tmp.dir, 'missing.yaml');
    expect(refusal('missing.yaml', 'kind: gateway\nextends: nowhere.yaml\n')).toBe(
      `${path}:2: extends: cannot read '${join(tmp.dir, 'nowhere.yaml')}' (no such file)`,
    );
  });

  it('refuses an extends that is not a path', () => {
    const path = join(tmp.dir, 'list.yaml');
    expect(refusal('list.yaml', 'extends: [a.yaml, b.yaml]\n')).toBe(
      `${path}:1: extends: expected the path of a YAML file to extend, got a list`,
    );
  });

  it('refuses a cycle, naming the files around it', () => {
    tmp.file('cycle-b.yaml', 'name: b\nextends: ./cycle-a.yaml\n');
    const message = refusal('cycle-a.yaml', 'extends: cycle-b.yaml\n');
    expect(message).toBe(
      `${join(tmp.dir, 'cycle-b.yaml')}:2: extends: './cycle-a.yaml' extends itself (cycle-a.yaml -> cycle-b.yaml -> cycle-a.yaml)`,
    );
  });

  it(`refuses a chain longer than EXTENDS_DEPTH_MAX (${EXTENDS_DEPTH_MAX}) files`, () => {
    tmp.file('deep-0.yaml', BASE);
    for (let i = 1; i <= EXTENDS_DEPTH_MAX; i++) tmp.file(`deep-${i}.yaml`, `extends: deep-${i - 1}.yaml\n`);
    expect(
      load(`deep-${EXTENDS_DEPTH_MAX - 1}.yaml`, `extends: deep-${EXTENDS_DEPTH_MAX - 2}.yaml\n`).name,
    ).toBe('base');
    expect(
      refusal(`deep-${EXTENDS_DEPTH_MAX}.yaml`, `extends: deep-${EXTENDS_DEPTH_MAX - 1}.yaml\n`),
    ).toMatch(/: extends: more than 8 files in one extends chain \(EXTENDS_DEPTH_MAX\)$/);
  });

  it('keeps a null an error in a file that extends nothing', () => {
    expect(refusal('null-faults.yaml', `${BASE}heal: null\n`)).toMatch(/:\d+: heal: /);
  });
});

describe('extends: in the topology', () => {
  it('takes a topology file whole, or the topology of a scenario file', () => {
    tmp.file('topology.yaml', TOPOLOGY);
    tmp.file('scenario-base.yaml', BASE);
    const rest = `workload:
  phases:
    - { name: steady, durationMs: 3s, arrivalRate: 5 }
`;
    const fromTopology = load(
      'from-topology.yaml',
      `kind: gateway\nname: t\ntopology:\n  extends: topology.yaml\n  instances: 3\n${rest}`,
    );
    const fromScenario = load(
      'from-scenario.yaml',
      `kind: gateway\nname: t\ntopology:\n  extends: scenario-base.yaml\n  instances: 3\n${rest}`,
    );
    const flat = load(
      'topology-flat.yaml',
      `kind: gateway\nname: t\ntopology:\n${TOPOLOGY.replace('instances: 2', 'instances: 3').replace(/^/gm, '  ').trimEnd()}\n${rest}`,
    );
    expect(fromTopology).toEqual(flat);
    expect(fromScenario).toEqual(flat);
  });

  it("names the topology file's line for a mistake made there", () => {
    const topology = tmp.file('bad-topology.yaml', TOPOLOGY.replace('shards: 4', 'shards: -1'));
    const message = refusal(
      'uses-bad-topology.yaml',
      'kind: gateway\nname: t\ntopology: { extends: bad-topology.yaml }\nworkload: { phases: [{ name: a, durationMs: 1s, arrivalRate: 1 }] }\n',
    );
    expect(message).toMatch(new RegExp(`^${topology}:7: topology\\.mysql\\.shards: `));
  });
});

describe('overlay', () => {
  it('keeps a __proto__ key as data, so the schema refuses it instead of it vanishing', () => {
    const merged = overlay({ a: 1 }, JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(Object.keys(merged)).toEqual(['a', '__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    tmp.file('proto-base.yaml', BASE);
    const path = join(tmp.dir, 'proto.yaml');
    expect(
      refusal('proto.yaml', 'extends: proto-base.yaml\ntopology:\n  __proto__: { instances: 9 }\n'),
    ).toBe(`${path}:3: topology: unknown field '__proto__'`);
  });

  it('changes neither input', () => {
    const base = { topology: { mysql: { replicas: 2, shards: 4 } } };
    const own = { topology: { mysql: { replicas: 1 } } };
    expect(overlay(base, own)).toEqual({ topology: { mysql: { replicas: 1, shards: 4 } } });
    expect(base.topology.mysql.replicas).toBe(2);
    expect(own).toEqual({ topology: { mysql: { replicas: 1 } } });
  });
});

describe('hasim run with extends', () => {
  it('runs a folder without the _ parts, and reports a mistake in a base with exit 2 and one line', async () => {
    const dir = join(tmp.dir, 'catalog');
    mkdirSync(dir, { recursive: true });
    tmp.file('catalog/_base.yaml', BASE);
    tmp.file('catalog/one.yaml', 'extends: _base.yaml\nname: extends-one\nvariant: fixed\n');
    tmp.file('catalog/two.yaml', 'extends: _base.yaml\nname: extends-two\nvariant: article\n');
    const ok = await cli(['run', dir, '--quiet']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    // Two runs: _base.yaml (two variants of its own) is not one of them.
    expect(ok.stdout).toMatch(
      /^[0-9a-f]{64} {2}pass {2}extends-one\n[0-9a-f]{64} {2}pass {2}extends-two\n2 passed, 0 failed\n$/,
    );

    tmp.file('catalog/_base.yaml', BASE.replace('arrivalRate: 10', 'arrivalRate: -1'));
    const bad = await cli(['run', dir, '--quiet']);
    expect(bad.code).toBe(2);
    expect(stderrLines(bad)).toEqual([
      expect.stringMatching(
        new RegExp(`^hasim: ${join(dir, '_base.yaml')}:17: workload\\.phases\\.0\\.arrivalRate: `),
      ),
    ]);
  });
});
