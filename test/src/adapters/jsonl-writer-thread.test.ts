import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlTrace } from '#src/adapters/jsonl-trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'hasim-trace-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clockAt = (now: () => number) => ({ now, sleep: async () => {}, schedule: () => ({ cancel() {} }) });

/** The same events into a trace written inline or on the writer thread: file text, hashes. */
function write(path: string, thread: boolean, events: number, flushBytes: number) {
  let now = 0;
  const trace = new JsonlTrace(
    clockAt(() => now),
    {
      path,
      header: { hasim: 'trace', thread },
      flushBytes,
      thread,
      check: 'off',
    },
  );
  const hashes: string[] = [];
  for (let i = 0; i < events; i++) {
    now = i * 3;
    trace.emit(i % 3 === 0 ? 'client' : 'gateway', i % 2 === 0 ? 'ok' : 'miss', {
      id: i,
      user: `u-${i % 17}`,
      note: i % 97 === 0 ? 'Zoë "quoted"' : 'plain',
    });
    // A hash read mid-run covers the lines still in the chunk as well.
    if (i % 1_000 === 999) hashes.push(trace.hash);
  }
  // A line longer than a whole chunk goes through the ring in pieces.
  trace.emit('gateway', 'big', { text: 'x'.repeat(flushBytes * 3 + 17) });
  hashes.push(trace.hash);
  trace.close({ end: 'ok' });
  // Still readable once the trace is closed (and its thread has ended).
  hashes.push(trace.hash);
  return { text: readFileSync(path, 'utf8'), hashes };
}

describe('JsonlTrace on the writer thread', () => {
  it('writes the same file and the same hashes as the inline writer, however far the ring fills', () => {
    // 512-byte chunks: thousands of publishes, far more than the ring's eight slots.
    const inline = write(join(dir, 'inline.jsonl'), false, 5_000, 512);
    const threaded = write(join(dir, 'thread.jsonl'), true, 5_000, 512);
    expect(threaded.hashes).toEqual(inline.hashes);
    const strip = (text: string) => text.split('\n').slice(1).join('\n');
    expect(strip(threaded.text)).toBe(strip(inline.text));
    // The hash is SHA-256 of the event lines (header and footer left out).
    const lines = threaded.text.trimEnd().split('\n');
    const events = `${lines.slice(1, -1).join('\n')}\n`;
    expect(threaded.hashes.at(-1)).toBe(createHash('sha256').update(events).digest('hex'));
    expect(lines[0]).toBe('{"hasim":"trace","thread":true}');
    expect(lines.at(-1)).toBe('{"end":"ok"}');
  });

  it("empties a previous run's file before writing (the thread truncates it)", () => {
    const path = join(dir, 'again.jsonl');
    writeFileSync(path, 'an older and much longer trace\n'.repeat(10_000));
    const { text } = write(path, true, 10, 4096);
    expect(text.startsWith('{"hasim":"trace","thread":true}\n')).toBe(true);
    expect(text).not.toContain('older');
  });

  it('hashes without a file, as the inline trace does', () => {
    let now = 0;
    const traces = [false, true].map(
      (thread) =>
        new JsonlTrace(
          clockAt(() => now),
          { thread, flushBytes: 256, check: 'off' },
        ),
    );
    for (let i = 0; i < 2_000; i++) {
      now = i;
      for (const t of traces) t.emit('kernel', 'step', { i });
    }
    expect(traces[1]!.hash).toBe(traces[0]!.hash);
    for (const t of traces) t.close();
  });

  it('throws the write error of the thread, as the inline writer throws its own', () => {
    // /dev/full: opening succeeds, every write fails with ENOSPC.
    const inline = () => write('/dev/full', false, 3_000, 512);
    const threaded = () => write('/dev/full', true, 3_000, 512);
    expect(inline).toThrow(/ENOSPC/);
    expect(threaded).toThrow(/trace: writing the trace file failed: .*ENOSPC/);
  });
});
