import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SweepSummary } from '#sim/swarm/sweep.ts';
import { NEMESIS_SCENARIO } from '#test/sim/swarm/fixtures.ts';
import { cli, scratch, stderrLines } from './in-process.ts';

const tmp = scratch('hasim-swarm-');
afterAll(() => tmp.dispose());
const scenario = tmp.file('small-nemesis.yaml', NEMESIS_SCENARIO);
const lines = (text: string) => text.trimEnd().split('\n');
const sweepOf = (dir: string): SweepSummary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

describe('hasim swarm: seeds on worker threads', () => {
  it('lists the failing seeds fastest first with their replay; the replay fails the same way', async () => {
    const out = join(tmp.dir, 'six');
    const run = await cli(['swarm', scenario, '--seeds', '6', '--out', out, '--workers', '2']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(3);
    // Seeds 1, 2, 4 break the error budget; 3, 5, 6 do not (fixtures.ts).
    expect(lines(run.stdout).at(-1)).toBe('3 passed, 3 failed');
    const sweep = sweepOf(out);
    expect(sweep.failing.map((r) => r.seed).sort()).toEqual([1, 2, 4]);
    const events = sweep.failing.map((r) => r.events ?? 0);
    expect(events).toEqual([...events].sort((a, b) => a - b));
    expect(sweep).toMatchObject({
      ran: 6,
      passed: 3,
      failed: 3,
      errors: 0,
      rechecked: 3,
      nondeterministic: [],
    });
    for (const seed of [1, 2, 3, 4, 5, 6])
      expect(existsSync(join(out, `seed-${seed}`, 'summary.json'))).toBe(true);
    const first = sweep.failing[0];
    expect(run.stdout).toContain(`broke gateway.errors: rate<0.5  measured ${first?.broken?.[0]?.detail}`);
    expect(run.stdout).toContain(`replay: hasim run ${scenario} --seed ${first?.seed}`);
    const replay = await cli([
      ...(first?.replay.split(' ').slice(1) ?? []),
      '--quiet',
      '--out',
      join(tmp.dir, 'r'),
    ]);
    expect(replay.code).toBe(3);
    expect(replay.stdout.trim()).toBe(first?.traceHash);
    // Each seed's summary holds the explicit schedule it drew, for hasim shrink.
    const seed = JSON.parse(readFileSync(join(out, `seed-${first?.seed}`, 'summary.json'), 'utf8'));
    expect(seed.faults.length).toBeGreaterThan(0);
    expect(seed.faults[0]).toMatchObject({ do: 'outage', target: 'upstream/primary' });
  });

  it('one worker gives each seed the trace hash two workers gave it', async () => {
    const one = join(tmp.dir, 'w1');
    const run = await cli([
      'swarm',
      scenario,
      '--seeds',
      '3',
      '--first-seed',
      '4',
      '--out',
      one,
      '--workers',
      '1',
    ]);
    expect(run.code).toBe(3);
    const hashes = (dir: string) =>
      [4, 5, 6].map(
        (s) => JSON.parse(readFileSync(join(dir, `seed-${s}`, 'summary.json'), 'utf8')).traceHash,
      );
    expect(hashes(one)).toEqual(hashes(join(tmp.dir, 'six')));
    expect(new Set(hashes(one)).size).toBe(3);
  });

  it('--fail-fast 1 starts no seed after the first failure', async () => {
    const out = join(tmp.dir, 'ff');
    const run = await cli([
      'swarm',
      scenario,
      '--seeds',
      '6',
      '--out',
      out,
      '--workers',
      '1',
      '--fail-fast',
      '1',
    ]);
    expect(run.code).toBe(3);
    expect(lines(run.stdout).at(-1)).toBe('0 passed, 1 failed');
    expect(run.stdout).toContain('stopped early (--fail-fast): 1 of 6 seeds ran');
    expect(existsSync(join(out, 'seed-2'))).toBe(false);
  });

  it('exit 0 when every seed passes, with the coverage of each sometimes: check', async () => {
    const lenient = tmp.file(
      'lenient.yaml',
      NEMESIS_SCENARIO.replace(
        'rate<0.5"]',
        'rate<0.9"]\n  sometimes: ["gateway.errors rate>0.5", "gateway.requests count>1000"]',
      ),
    );
    const run = await cli(['swarm', lenient, '--seeds', '4', '--out', join(tmp.dir, 'ok'), '--workers', '2']);
    expect(run.code).toBe(0);
    expect(lines(run.stdout).at(-1)).toBe('4 passed, 0 failed');
    expect(run.stdout).toMatch(/ {4}[1-3]\/4 {2}gateway\.errors rate>0\.5\n/);
    expect(run.stdout).toContain('    0/4  gateway.requests count>1000   (never reached)');
  });

  it('exit 1 when seeds cannot run (a limit), each listed with why', async () => {
    const run = await cli([
      'swarm',
      scenario,
      '--seeds',
      '2',
      '--out',
      join(tmp.dir, 'err'),
      '--max-events',
      '40',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/seed 1 +error: .*over the limit of 40 events per run/);
    expect(lines(run.stdout).at(-1)).toBe('0 passed, 2 failed');
  });

  it('bad input is one line and exit 2, before any seed runs', async () => {
    const full = join(tmp.dir, 'six');
    const bad = tmp.file('bad.yaml', NEMESIS_SCENARIO.replace('interval: 3s', 'interval: soon'));
    for (const [args, expected] of [
      [
        ['swarm', scenario, '--out', join(tmp.dir, 'x')],
        'hasim swarm: --seeds N is required (how many seeds to run)',
      ],
      [['swarm', scenario, '--seeds', '2'], /^hasim swarm: --out DIR is required/],
      [
        ['swarm', scenario, '--seeds', '0', '--out', 'x'],
        /^hasim swarm: --seeds: expected a positive whole number/,
      ],
      [
        ['swarm', scenario, '--seeds', '2', '--out', full],
        `hasim swarm: --out ${full}: not empty (name a new directory, or remove this one)`,
      ],
      [
        ['swarm', scenario, '--seeds', '2', '--out', 'x', '--first-seed', 'a'],
        "hasim swarm: --first-seed: expected an integer, got 'a'",
      ],
      [
        ['swarm', scenario, '--seeds', '2000000', '--out', 'x'],
        /over the limit of 1,000,000 seeds per sweep \(raise it with --max-seeds\)$/,
      ],
      [
        ['swarm', bad, '--seeds', '2', '--out', join(tmp.dir, 'y')],
        new RegExp(`^hasim: ${bad}:17: nemesis\\.interval: expected a duration`),
      ],
      [
        ['swarm', '--seeds', '2', '--out', 'x'],
        'hasim swarm: expected one scenario file (see hasim swarm --help)',
      ],
    ] as const) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(stderrLines(run), args.join(' ')).toHaveLength(1);
      expect(stderrLines(run)[0]).toMatch(expected);
    }
  });
});
