import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { cli, scratch, stderrLines } from './in-process.ts';

// Scenario files a new user might write, or a fuzzer might make: each ends with exit 2 and one
// line on stderr naming the file (and the line and field where there is one), never a stack
// trace, a Node warning or a hang.

const tmp = scratch('hasim-scenario-input-');
afterAll(() => tmp.dispose());
const smoke = readFileSync(join(ROOT, 'scenarios/smoke.yaml'), 'utf8');

async function refused(name: string, text: string | Uint8Array, args: string[] = []) {
  const path = tmp.file(name, text);
  const run = await cli(['run', path, '--out', join(tmp.dir, 'out'), ...args]);
  expect(run.code, run.stderr).toBe(2);
  expect(stderrLines(run)).toHaveLength(1);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.warnings).toEqual([]);
  return { path, line: stderrLines(run)[0]! };
}

describe('YAML the loader refuses with one line', () => {
  it('an alias bomb is refused by the alias expansion limit, naming its flag', async () => {
    const bomb = [
      'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    const { path, line } = await refused('bomb.yaml', bomb);
    expect(line).toBe(
      `hasim: ${path}: its aliases expand too often, over the limit of 100 alias expansions per scenario file (raise it with --max-yaml-aliases)`,
    );
  });

  it('an alias that points nowhere', async () => {
    const { path, line } = await refused('alias.yaml', `${smoke}\nextra: *nowhere\n`);
    expect(line).toMatch(
      new RegExp(`^hasim: ${path}:\\d+: invalid YAML: alias \\*nowhere has no anchor &nowhere before it$`),
    );
  });

  it('a collection used as a key, without a Node warning', async () => {
    const { line } = await refused('colkey.yaml', `{ a: 1 }: 2\n${smoke}`);
    expect(line).toMatch(/:1: invalid YAML: a key must be a plain value, not a mapping or a list$/);
  });

  it('a duplicate key, in linear time however many keys', async () => {
    const { line } = await refused('dup.yaml', smoke.replace('name: smoke', 'name: smoke\nname: again'));
    expect(line).toMatch(/:7: invalid YAML: key 'name' appears twice in this mapping$/);
    const many = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join('\n');
    const started = performance.now();
    await refused('many.yaml', `${many}\nk0: 2\n`);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('3,000 unknown keys give a short line', async () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => `unknownKey${i}: 1`).join('\n');
    const { line } = await refused('unknown.yaml', `${smoke}${keys}\n`);
    expect(line).toMatch(/: \(top level\): unknown fields 'unknownKey0', .* and 2995 more$/);
    expect(line.length).toBeLessThan(300);
  });

  it('binary, NUL bytes, invalid UTF-8, custom tags and several documents', async () => {
    const cases: Array<[string, string | Uint8Array, RegExp]> = [
      [
        'binary.yaml',
        Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256),
        /: (contains a NUL byte|not a UTF-8 text file)/,
      ],
      [
        'nul.yaml',
        smoke.replace('name: smoke', 'name: smo\u0000ke'),
        /:6: contains a NUL byte \(a scenario is YAML text\)$/,
      ],
      [
        'latin1.yaml',
        Buffer.from(smoke.replace('name: smoke', 'name: smoké'), 'latin1'),
        /: not a UTF-8 text file \(a scenario is YAML text\)$/,
      ],
      [
        'tag.yaml',
        smoke.replace('name: smoke', 'name: !custom smoke'),
        /:6:\d+: invalid YAML: Unresolved tag: !custom$/,
      ],
      [
        'multi.yaml',
        `${smoke}---\n${smoke}`,
        /: invalid YAML: a scenario file holds one YAML document, this one has more/,
      ],
      ['deep.yaml', `x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`, /: invalid YAML: /],
    ];
    for (const [name, text, expected] of cases) {
      const { line } = await refused(name, text);
      expect(line, name).toMatch(expected);
    }
  });

  it('a file over the scenario size limit is refused before it is parsed, naming the flag', async () => {
    const big = `${smoke}# ${'x'.repeat(300 * 1024)}\n`;
    const { path, line } = await refused('big.yaml', big);
    expect(line).toBe(
      `hasim: ${path}: the file is too large, over the limit of 262,144 bytes per scenario file (raise it with --max-scenario-bytes)`,
    );
    const raised = await cli([
      'run',
      path,
      '--out',
      join(tmp.dir, 'out'),
      '--max-scenario-bytes',
      '1MiB',
      '--max-events',
      '1000',
    ]);
    expect(stderrLines(raised)[0]).toMatch(
      /over the limit of 1,000 events per run \(raise it with --max-events\)$/,
    );
  });
});

describe('numbers with finite bounds', () => {
  it.each([
    [
      'ttftMedianMs: 500',
      'ttftMedianMs: 1e308',
      /:15: upstream\.ttftMedianMs: expected at most 3600000 ms, got 1e\+308$/,
    ],
    [
      'decodeTokensPerSecond: 130',
      'decodeTokensPerSecond: 1e-308',
      /:17: upstream\.decodeTokensPerSecond: expected tokens per second in \[0\.01, 1000000\], got 1e-308$/,
    ],
    [
      'ratePerSecond: 200',
      'ratePerSecond: 1e9',
      /:10: client\.ratePerSecond: expected at most 1000000 requests per second, got 1000000000$/,
    ],
    [
      'ttftSigma: 0.2',
      'ttftSigma: 1e300',
      /:16: upstream\.ttftSigma: expected a lognormal sigma in \[0, 5\], got 1e\+300$/,
    ],
  ])('%s → %s is refused with the field named', async (from, to, expected) => {
    const { line } = await refused(`${to.replace(/\W/g, '_')}.yaml`, smoke.replace(from, to));
    expect(line).toMatch(expected);
  });

  it('a rate within bounds but over the event budget is refused up front, naming --max-events', async () => {
    const { path, line } = await refused(
      'fast.yaml',
      smoke.replace('ratePerSecond: 200', 'ratePerSecond: 1000000'),
    );
    expect(line).toBe(
      `hasim: ${path}: client.ratePerSecond × durationMs gives about 120,000,000 events, over the limit of 10,000,000 events per run (raise it with --max-events)`,
    );
  });

  it('the trace size limit is refused up front too, naming --max-trace-bytes', async () => {
    const { line } = await refused('smoke.yaml', smoke, ['--max-trace-bytes', '64KiB']);
    expect(line).toMatch(
      /gives a trace of about [\d,]+ bytes, over the limit of 65,536 bytes per trace file \(raise it with --max-trace-bytes\)$/,
    );
  });
});
