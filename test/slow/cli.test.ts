import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasim } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'hasim-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const oneLine = (text: string) => text.trimEnd().split('\n');

describe('hasim CLI input errors: one line on stderr, exit 2, no stack trace', () => {
  it('a missing scenario file', () => {
    const r = hasim(['run', 'missing.yaml']);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toEqual(['hasim: missing.yaml: cannot read scenario file (no such file)']);
    expect(r.stdout).toBe('');
  });

  it('malformed YAML, with its line and column', () => {
    const path = file('broken.yaml', 'kind: llm-smoke\nname: smoke\nclient: [1, 2\n');
    const r = hasim(['run', path]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^hasim: ${path}:\\d+:\\d+: invalid YAML: `));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a field of the wrong type, naming the field path, the line and what was expected', () => {
    const smoke = readFileSync(join(import.meta.dirname, '../../scenarios/smoke.yaml'), 'utf8');
    const path = file('bad-rate.yaml', smoke.replace('ratePerSecond: 200', 'ratePerSecond: fast'));
    const r = hasim(['run', path]);
    expect(r.status).toBe(2);
    expect(oneLine(r.stderr)).toEqual([
      `hasim: ${path}:10: client.ratePerSecond: expected requests per second > 0, got "fast"`,
    ]);
  });

  it('a missing field and an unknown field', () => {
    const smoke = readFileSync(join(import.meta.dirname, '../../scenarios/smoke.yaml'), 'utf8');
    const missing = hasim(['run', file('no-duration.yaml', smoke.replace(/^durationMs:.*$/m, ''))]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/: durationMs: required field is missing \(expected number\)\n$/);
    const unknown = hasim(['run', file('typo.yaml', smoke.replace('timeoutMs:', 'timeoutMS:'))]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/:11: client: unknown field 'timeoutMS'\n$/);
  });

  it('replay of a directory, a missing file, or a file that is not a trace', () => {
    const notTrace = file('not-a-trace.jsonl', '{"hello": 1}\n{"x": 2}\n');
    for (const [path, message] of [
      [dir, `hasim replay: ${dir}: is a directory`],
      [join(dir, 'nope.jsonl'), `hasim replay: ${join(dir, 'nope.jsonl')}: no such trace file`],
      [notTrace, `hasim replay: ${notTrace}:1: not a hasim trace header (missing "hasim": "trace")`],
    ] as const) {
      const r = hasim(['replay', path]);
      expect(r.status, path).toBe(2);
      expect(oneLine(r.stderr)).toEqual([message]);
    }
  });

  it('bad flags and verbs', () => {
    for (const args of [['run', '--seed', '1.5'], ['run', '--frobnicate'], ['explode'], ['replay']]) {
      const r = hasim(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr), args.join(' ')).toHaveLength(1);
    }
  });
});

describe('hasim CLI help', () => {
  it.each([[['--help']], [['run', '--help']], [['replay', '--help']], [['help', 'run']]])(
    '%j prints usage and exits 0',
    (args) => {
      const r = hasim(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Usage: hasim/);
    },
  );
});

describe('hasim run and replay', () => {
  it('writes trace.jsonl and summary.json, and replay confirms the hash', () => {
    const out = join(dir, 'run');
    const run = hasim(['run', '--seed', '5', '--out', out]);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('hasim run smoke  seed 5  (built-in scenarios/smoke.yaml)');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    for (const key of ['seed', 'traceHash', 'events', 'simulatedMs', 'wallMs'])
      expect(summary).toHaveProperty(key);
    const lines = readFileSync(join(out, 'trace.jsonl'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(summary.events + 2); // header + events + footer
    expect(JSON.parse(lines[1]!)).toEqual({ t: expect.any(Number), c: 'client', k: 'invoke', id: 0 });

    const replay = hasim(['replay', join(out, 'trace.jsonl')]);
    expect(replay.stdout).toContain(
      `match: ${summary.events} events, hash ${summary.traceHash.slice(0, 16)}`,
    );
    expect(replay.status).toBe(0);
  });

  it('replay of a tampered trace reports the first differing event and exits 2 (modified, not nondeterministic)', () => {
    const out = join(dir, 'tamper');
    expect(hasim(['run', '--seed', '6', '--out', out, '--quiet']).status).toBe(0);
    const path = join(out, 'trace.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[3] = lines[3]!.replace(/"t":(\d+)/, (_, t) => `"t":${Number(t) + 1}`);
    writeFileSync(path, lines.join('\n'));
    const replay = hasim(['replay', path]);
    expect(replay.status).toBe(2);
    expect(replay.stdout).toContain('first difference at event 3 (file line 4):');
    expect(oneLine(replay.stderr)).toEqual([
      `hasim replay: ${path}: the trace was modified after it was written: event line 3 (file line 4) was edited`,
    ]);
  });
});

describe('hasim hitrate', () => {
  it('prints hit rates side by side for a seeded synthetic trace', () => {
    const r = hasim(['hitrate', 'loop', '--sizes', '500']);
    expect(r.status).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.startsWith('loop(1200)  500'));
    // W-TinyLFU keeps part of a loop larger than the cache; hasim's LRU keeps nothing.
    expect(row).toMatch(/^loop\(1200\)\s+500\s+(\d+\.\d+) %\s+0\.00 %\s+(\d+\.\d+) %$/);
  });

  it('reads the real traces from the repository', () => {
    const r = hasim(['hitrate', 'web07', '--sizes', '100']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('web07: 76,118 requests, 20,484 distinct keys');
  });

  it('bad trace names and sizes are input errors', () => {
    for (const args of [
      ['hitrate', 'bogus'],
      ['hitrate', 'loop', '--sizes', '0,x'],
    ]) {
      const r = hasim(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toHaveLength(1);
    }
  });
});
