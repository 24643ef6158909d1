import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, SMALL_SCENARIO, scratch, stderrLines } from './in-process.ts';

const tmp = scratch('hasim-run-args-');
afterAll(() => tmp.dispose());
const small = tmp.file('small.yaml', SMALL_SCENARIO);

/** The trace hash `hasim run --quiet` prints for `args`. */
async function hashOf(args: string[]): Promise<string> {
  const run = await cli(['run', small, '--quiet', ...args]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout.trim();
}

describe('hasim run: arguments as users type them', () => {
  it('--seed -1 is --seed=-1', async () => {
    const spaced = await hashOf(['--seed', '-1', '--out', join(tmp.dir, 'a')]);
    const joined = await hashOf(['--seed=-1', '--out', join(tmp.dir, 'b')]);
    expect(spaced).toMatch(/^[0-9a-f]{64}$/);
    expect(spaced).toBe(joined);
    expect(spaced).not.toBe(await hashOf(['--seed', '1', '--out', join(tmp.dir, 'c')]));
  });

  it('a seed may be a name, as the incident seeds are', async () => {
    const out = join(tmp.dir, 'named');
    const hash = await hashOf(['--seed', 'stampede', '--out', out]);
    expect(hash).toBe(await hashOf(['--seed', 'stampede', '--out', join(tmp.dir, 'named2')]));
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).seed).toBe('stampede');
    const replay = await cli(['replay', join(out, 'trace.jsonl')]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('seed stampede');
  });

  it('a repeated flag, a bad seed and a bad limit are refused with one line', async () => {
    for (const [args, expected] of [
      [['run', '--seed', '1', '--seed', '2'], 'hasim run: --seed is given more than once (give it once)'],
      [['run', '--seed', '1.5'], /^hasim run: --seed: expected an integer or a name/],
      [['run', '--seed', '../x'], /^hasim run: --seed: expected an integer or a name/],
      [['run', '--max-events', '-3'], /^hasim run: --max-events: expected a positive whole number/],
      [['replay', 'x', 'y'], 'hasim replay: expected one trace file (see hasim replay --help)'],
    ] as const) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(stderrLines(run), args.join(' ')).toHaveLength(1);
      expect(stderrLines(run)[0]).toMatch(expected);
    }
  });
});

describe('hasim run: where the output goes', () => {
  it('--out under /proc is refused at once (Node recursive mkdir would spin there)', async () => {
    const run = await cli(['run', small, '--out', '/proc/hasim-x/y']);
    expect(run.code).toBe(2);
    expect(stderrLines(run)).toEqual([
      'hasim run: --out /proc/hasim-x/y: cannot create the directory (ENOENT)',
    ]);
  });

  it.each(['summary.json', 'trace.jsonl'])('an out folder whose %s is a directory', async (name) => {
    const out = join(tmp.dir, `blocked-${name}`);
    mkdirSync(join(out, name), { recursive: true });
    const run = await cli(['run', small, '--out', out, '--quiet']);
    expect(run.code).toBe(2);
    expect(stderrLines(run)).toEqual([`hasim run: ${join(out, name)}: cannot write it (is a directory)`]);
  });

  it("the default out folder keeps a scenario's name to one path segment", async () => {
    const escaping = tmp.file('escape.yaml', SMALL_SCENARIO.replace('name: small', 'name: ../../escape'));
    const cwd = process.cwd();
    const inner = join(tmp.dir, 'cwd');
    mkdirSync(inner);
    process.chdir(inner);
    try {
      expect((await cli(['run', escaping, '--quiet'])).code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(existsSync(join(inner, 'out', '__.._escape-seed1', 'trace.jsonl'))).toBe(true);
  });

  it('--out naming a file', async () => {
    const run = await cli(['run', small, '--out', small]);
    expect(run.code).toBe(2);
    expect(stderrLines(run)).toEqual([`hasim run: --out ${small}: ${small} is not a directory`]);
  });
});

describe('hasim run: the event budget during the run', () => {
  it('a run whose trace passes --max-events stops there with one line', async () => {
    // The estimate (2 × 50/s × 2 s = 200 events) fits; seed 1 draws 116 arrivals, 232 events.
    const out = join(tmp.dir, 'stopped');
    const run = await cli(['run', small, '--out', out, '--quiet', '--max-events', '210']);
    expect(run.code).toBe(2);
    expect(stderrLines(run)).toHaveLength(1);
    expect(stderrLines(run)[0]).toMatch(
      /^hasim: .*small\.yaml \(seed 1\): stopped at t=\d+ ms, over the limit of 210 events per run \(raise it with --max-events\)$/,
    );
    const lines = readFileSync(join(out, 'trace.jsonl'), 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: 'failed' });
    expect(lines.length).toBeLessThan(220);
  });
});

describe('hasim hitrate', () => {
  it('exits 2 with one line when a real trace file is missing', async () => {
    const empty = join(tmp.dir, 'no-traces');
    mkdirSync(empty);
    process.env.HASIM_TRACES_DIR = empty;
    try {
      const run = await cli(['hitrate', 'web07']);
      expect(run.code).toBe(2);
      expect(stderrLines(run)).toEqual([`hasim hitrate: trace web07: ${join(empty, 'web07.bin')} not found`]);
    } finally {
      delete process.env.HASIM_TRACES_DIR;
    }
    expect(existsSync(empty)).toBe(true);
  });

  it('a cache size over the limit, and a key file over the key limit', async () => {
    const sizes = await cli(['hitrate', 'loop', '--sizes', '1000000000']);
    expect(sizes.code).toBe(2);
    expect(stderrLines(sizes)).toEqual([
      'hasim: --sizes: 1000000000 entries, over the limit of 1,000,000 entries per simulated cache (raise it with --max-cache-size)',
    ]);
    const keys = tmp.file('keys.bin', new Uint8Array(4 * 100));
    const tooMany = await cli(['hitrate', keys, '--max-keys', '10']);
    expect(tooMany.code).toBe(2);
    expect(stderrLines(tooMany)).toEqual([
      `hasim: ${keys}: the file holds more keys, over the limit of 10 keys per hit-rate trace file (raise it with --max-keys)`,
    ]);
  });
});
