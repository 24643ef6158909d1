import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SweepSummary } from '#sim/swarm/sweep.ts';
import { hasim } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'hasim-swarm-slow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

describe('hasim swarm and shrink, as a user runs them', () => {
  it('sweeps the swarm scenario; a failing seed replays in a fresh process, shrinks, and its minimal.yaml fails too', {
    timeout: 600_000,
  }, () => {
    const out = join(dir, 'sweep');
    const sweep = hasim([
      'swarm',
      'scenarios/swarm/provider-outages.yaml',
      '--seeds',
      '12',
      '--out',
      out,
      '--workers',
      '2',
    ]);
    expect(sweep.stderr).toBe('');
    expect(sweep.status).toBe(3);
    const summary: SweepSummary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.failed).toBeGreaterThan(0);
    expect(summary.passed).toBeGreaterThan(0);
    expect(lastLine(sweep.stdout)).toBe(`${summary.passed} passed, ${summary.failed} failed`);
    expect(summary.nondeterministic).toEqual([]);

    const first = summary.failing[0];
    expect(first?.replay).toBe(`hasim run scenarios/swarm/provider-outages.yaml --seed ${first?.seed}`);
    const replay = hasim([
      ...(first?.replay.split(' ').slice(1) ?? []),
      '--quiet',
      '--out',
      join(dir, 'replay'),
    ]);
    expect(replay.status).toBe(3);
    expect(replay.stdout.trim()).toBe(first?.traceHash);

    const seedDir = join(out, `seed-${first?.seed}`);
    const shrink = hasim(['shrink', seedDir]);
    expect(shrink.stderr).toBe('');
    expect(shrink.status).toBe(0);
    expect(shrink.stdout).toMatch(/^ {2}\d+ runs: \d+ faults → \d+/m);
    const minimal = hasim(['run', join(seedDir, 'minimal.yaml'), '--out', join(dir, 'minimal')]);
    expect(minimal.status).toBe(3);
    expect(minimal.stdout).toContain(`FAIL  ${first?.broken?.[0]?.expectation}`);
  });

  // A finding of the first sweep of the catalog: the latency-spike incident's expectations hold for
  // its own seed (42) but not for every seed. With seed 3 the article's breaker never closes again
  // within the run, so `[article] sentinel.closes: count==1` breaks.
  it('sweeps a catalog scenario (explicit faults, both variants per seed) and finds seed 3 of llm-latency-spike', {
    timeout: 600_000,
  }, () => {
    const out = join(dir, 'catalog');
    const r = hasim([
      'swarm',
      'scenarios/incidents/llm-latency-spike.yaml',
      '--seeds',
      '4',
      '--out',
      out,
      '--workers',
      '2',
    ]);
    expect(r.stderr).toBe('');
    expect(lastLine(r.stdout)).toBe('3 passed, 1 failed');
    expect(r.status).toBe(3);
    const summary: SweepSummary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.failing.map((x) => x.seed)).toEqual([3]);
    expect(summary.failing[0]?.broken?.[0]?.expectation).toBe('[article] sentinel.closes: count==1');
  });
});
