import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlTrace } from '#src/adapters/jsonl-trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'hasim-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonlTrace', () => {
  it('writes canonical lines (t, c, k, then fields) and hashes exactly the event lines', () => {
    let now = 0;
    const path = join(dir, 't.jsonl');
    const trace = new JsonlTrace(
      { now: () => now, sleep: async () => {}, schedule: () => ({ cancel() {} }) },
      {
        path,
        header: { hasim: 'trace' },
        flushBytes: 64, // force several flushes
        keepLines: 2,
        check: 'off', // the mechanism under test, with made-up events
      },
    );
    trace.emit('client', 'invoke', { id: 1 });
    now = 12;
    trace.emit('client', 'ok', { id: 1, ms: 12, nested: { b: 1, a: [true, null] } });
    trace.emit('breaker', 'open');
    trace.emit('breaker', 'empty', {});
    const hashBeforeClose = trace.hash;
    trace.close({ end: 'ok' });

    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toEqual([
      '{"hasim":"trace"}',
      '{"t":0,"c":"client","k":"invoke","id":1}',
      '{"t":12,"c":"client","k":"ok","id":1,"ms":12,"nested":{"b":1,"a":[true,null]}}',
      '{"t":12,"c":"breaker","k":"open"}',
      '{"t":12,"c":"breaker","k":"empty"}',
      '{"end":"ok"}',
    ]);
    const expected = createHash('sha256')
      .update(`${lines.slice(1, -1).join('\n')}\n`)
      .digest('hex');
    expect(hashBeforeClose).toBe(expected);
    expect(trace.hash).toBe(expected);
    expect(trace.events).toBe(4);
    expect(trace.lines).toEqual(lines.slice(1, 3));
    expect(() => trace.emit('x', 'y')).toThrow(/after close/);
  });
});
