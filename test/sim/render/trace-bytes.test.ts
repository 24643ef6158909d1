import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eachLine, traceEnds } from '#sim/render/trace-bytes.ts';

const root = mkdtempSync(join(tmpdir(), 'hasim-trace-bytes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let files = 0;
function file(text: string): string {
  const path = join(root, `f${files++}`);
  writeFileSync(path, text);
  return path;
}

const MAX = 1 << 24;

function lines(path: string, from: number, to: number, max = MAX): [number, string][] {
  const seen: [number, string][] = [];
  eachLine(
    path,
    { from, to, firstLineNo: 2 },
    max,
    (b, s, e, n) => seen.push([n, b.toString('utf8', s, e)]),
    (n) => new Error(`line ${n} too long`),
  );
  return seen;
}

describe('traceEnds: the first and last lines, read from the two ends', () => {
  it.each([
    ['an empty file', '', { first: '', last: '' }],
    ['one line, no newline', 'head', { first: 'head', last: 'head' }],
    ['one line', 'head\n', { first: 'head', last: 'head' }],
    ['two lines', 'head\nfoot\n', { first: 'head', last: 'foot' }],
    ['events between', 'head\na\nbb\nfoot\n', { first: 'head', last: 'foot' }],
    ['cut mid-line', 'head\na\nbb\nfo', { first: 'head', last: 'fo' }],
    ['non-ASCII', 'hé\nça\nfin é\n', { first: 'hé', last: 'fin é' }],
  ])('%s', (_, text, expected) => {
    const ends = traceEnds(file(text), MAX);
    expect({ first: ends.first, last: ends.last }).toEqual(expected);
    const between = Buffer.from(text).subarray(ends.eventsFrom, ends.eventsTo).toString();
    const inner = text
      .split('\n')
      .filter((_, i, all) => i > 0 && i < all.length - (text.endsWith('\n') ? 2 : 1));
    expect(between).toBe(inner.map((l) => `${l}\n`).join(''));
  });

  it('lines longer than the 1 MiB chunk, at both ends', () => {
    const head = 'h'.repeat(1_500_000);
    const foot = 'f'.repeat(2_100_000);
    const ends = traceEnds(file(`${head}\nx\n${foot}\n`), MAX);
    expect([ends.first.length, ends.last.length]).toEqual([head.length, foot.length]);
    expect(ends.eventsTo - ends.eventsFrom).toBe(2);
  });
});

describe('eachLine: every line between two offsets, from a reused buffer', () => {
  it('lines of every length across 1 MiB chunk boundaries, each once, numbered', () => {
    const all: string[] = [];
    let size = 0;
    for (let i = 0; size < 3_300_000; i++) {
      const line = `${i}:${'é'.repeat((i * 7919) % 3000)}`;
      all.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    const text = `${all.join('\n')}\n`;
    const seen = lines(file(text), 0, Buffer.byteLength(text));
    expect(seen.length).toBe(all.length);
    expect(seen.map(([, l]) => l)).toEqual(all);
    expect(seen.at(-1)?.[0]).toBe(all.length + 1);
  });

  it('a line longer than a chunk grows the buffer; one over the limit is an error naming it', () => {
    const long = 'x'.repeat(2_500_000);
    const path = file(`a\n${long}\nb\n`);
    expect(lines(path, 0, long.length + 5).map(([n, l]) => [n, l.length])).toEqual([
      [2, 1],
      [3, long.length],
      [4, 1],
    ]);
    expect(() => lines(path, 0, long.length + 5, 1_000_000)).toThrow('line 3 too long');
  });
});
