import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS_MAX, bucketMsFor, DigestBuilder, SAMPLES_MAX } from '#sim/render/digest.ts';
import { RunDirError, readRun } from '#sim/render/read-run.ts';
import { SYNTHETIC_MS, SYNTHETIC_RATE, writeSyntheticRun } from './synthetic-run.ts';

const root = mkdtempSync(join(tmpdir(), 'hasim-read-run-'));
const dir = join(root, 'run');
let hash = '';
beforeAll(() => {
  hash = writeSyntheticRun(dir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sum = (a: readonly number[]) => a.reduce((x, y) => x + y, 0);

describe('readRun: the digest of a synthetic run', () => {
  it('reads the header, footer, summary and topology', () => {
    const d = readRun(dir);
    expect(d.run).toMatchObject({
      scenario: 'synthetic',
      seed: 7,
      traceHash: hash,
      end: 'ok',
      verdict: 'fail',
    });
    expect(d.run.expectations.map((x) => x.ok)).toEqual([true, false]);
    expect(d.topology?.instances).toEqual(['gw-1', 'gw-2']);
    expect(d.endMs).toBeGreaterThan(SYNTHETIC_MS);
    expect(d.endMs).toBeLessThan(SYNTHETIC_MS + 1000);
  });

  it('buckets every response once, per second, by outcome', () => {
    const { series } = readRun(dir);
    const requests = (SYNTHETIC_MS / 1000) * SYNTHETIC_RATE;
    expect(series.bucketMs).toBe(1000);
    expect(series.buckets).toBe(21);
    expect(sum(series.responses)).toBe(requests);
    const parts = ['ok', 'fallback', 'limited', 'blocked', 'refused', 'failed'] as const;
    expect(sum(parts.map((p) => sum(series[p])))).toBe(requests);
    // The breaker is open from 6 s to 10 s: every admitted request there is answered by the fallback.
    expect(series.fallback.slice(0, 6).every((n) => n === 0)).toBe(true);
    expect(series.fallback[7]).toBeGreaterThan(15);
    expect(series.ok[7]).toBe(0);
    expect(Object.keys(series.tiers)).toEqual(['fallback', 'l1', 'upstream']);
    expect(series.p99[1]).toBeGreaterThan(series.p50[1] ?? Number.POSITIVE_INFINITY);
  });

  it('pairs fault starts and stops into bands, one per kind and target', () => {
    const d = readRun(dir);
    expect(d.faults.map((f) => [f.t, f.verb])).toEqual([
      [5000, 'outage'],
      [9000, 'heal'],
      [12000, 'crash'],
      [12500, 'failover'],
      [15000, 'restart'],
    ]);
    expect(d.bands).toEqual([
      { kind: 'outage', target: 'upstream/primary', startMs: 5000, endMs: 9000 },
      { kind: 'crash', target: 'redis/shard-1/master', startMs: 12000, endMs: 15000 },
    ]);
  });

  it('keeps every breaker transition, half-open included', () => {
    const d = readRun(dir);
    expect(d.breaker.map((c) => `${c.prev}→${c.next}`)).toEqual([
      'CLOSED→OPEN',
      'OPEN→HALF_OPEN',
      'HALF_OPEN→OPEN',
      'OPEN→HALF_OPEN',
      'HALF_OPEN→CLOSED',
    ]);
  });

  it('pairs a provider’s cooldown with its end', () => {
    expect(readRun(dir).cooldowns).toEqual([
      { model: 'gpt-4o', reason: '3 failures in 1 minute', startMs: 5200, endMs: 7200 },
    ]);
  });

  it('samples the first request of each outcome class with all its events', () => {
    const d = readRun(dir);
    expect(d.trails.map((t) => t.why)).toEqual([
      'first ok (l1)',
      'first refused (token-bucket)',
      'first ok (upstream)',
      'first failed (upstream)',
      'first ok (fallback)',
    ]);
    const upstream = d.trails[2];
    expect(upstream?.events.map((e) => e.k)).toEqual([
      'request',
      'admitted',
      'admitted',
      'started',
      'attempt',
      'answered',
      'answered',
      'response',
    ]);
    expect(upstream?.events.every((e) => e.id === upstream.id)).toBe(true);
  });

  it('counts every event by component and kind', () => {
    const d = readRun(dir);
    expect(d.counts['token-bucket/gw-1']).toEqual({ admitted: 188, limited: 12 });
    expect(d.counts.run).toEqual({ topology: 1 });
  });
});

describe('readRun: bounds', () => {
  it('keeps the series under BUCKETS_MAX buckets however long the run', () => {
    expect(bucketMsFor(60_000)).toBe(1000);
    expect(bucketMsFor(10 * 3_600_000)).toBe(30_000);
    const b = new DigestBuilder(10 * 3_600_000);
    const d = b.finish({ simulatedMs: 10 * 3_600_000 } as Parameters<DigestBuilder['finish']>[0]);
    expect(d.series.buckets).toBeLessThanOrEqual(BUCKETS_MAX + 1);
  });

  it('keeps at most SAMPLES_MAX trails', () => {
    const b = new DigestBuilder(10_000);
    for (let id = 0; id < 100; id++) {
      b.observe({ t: id, c: 'gateway/gw-1', k: 'request', id });
      b.observe({ t: id, c: 'gateway/gw-1', k: 'response', id, ms: 0, outcome: 'refused', by: `rule-${id}` });
    }
    const d = b.finish({ simulatedMs: 10_000 } as Parameters<DigestBuilder['finish']>[0]);
    expect(d.trails).toHaveLength(SAMPLES_MAX);
  });
});

describe('readRun: a directory it cannot read is one clear error', () => {
  const broken = (name: string, edit: (d: string) => void) => {
    const d = join(root, name);
    writeSyntheticRun(d);
    edit(d);
    return d;
  };

  it('a missing directory', () => {
    expect(() => readRun(join(root, 'nope'))).toThrow(
      new RunDirError(`${join(root, 'nope')}: no such run directory`),
    );
  });

  it('no summary.json: the run did not finish', () => {
    const d = broken('no-summary', (x) => rmSync(join(x, 'summary.json')));
    expect(() => readRun(d)).toThrow(/no summary\.json \(the run did not finish\)/);
  });

  it('a trace without its footer: interrupted', () => {
    const d = broken('no-footer', (x) => {
      const path = join(x, 'trace.jsonl');
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      writeFileSync(path, `${lines.slice(0, -1).join('\n')}\n`);
    });
    expect(() => readRun(d)).toThrow(/no footer line \(the run was interrupted\)/);
  });

  it('a trace cut in the middle of a line: interrupted', () => {
    const d = broken('cut', (x) => {
      const path = join(x, 'trace.jsonl');
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    });
    expect(() => readRun(d)).toThrow(/no footer line \(the run was interrupted\)/);
  });

  it('an empty trace', () => {
    const d = broken('empty', (x) => writeFileSync(join(x, 'trace.jsonl'), ''));
    expect(() => readRun(d)).toThrow(/trace\.jsonl: empty \(the run wrote nothing\)$/);
  });

  it('a trace from another hasim version', () => {
    const d = broken('old', (x) => {
      const path = join(x, 'trace.jsonl');
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(/"hasimVersion":"[^"]*"/, '"hasimVersion":"0.0.1"'),
      );
    });
    expect(() => readRun(d)).toThrow(/written by hasim 0\.0\.1 .*run the scenario again/);
  });

  it('a summary from another run', () => {
    const d = broken('mixed', (x) => {
      const path = join(x, 'summary.json');
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace(/"traceHash": "[0-9a-f]+"/, '"traceHash": "00"'),
      );
    });
    expect(() => readRun(d)).toThrow(/from different runs/);
  });
});
