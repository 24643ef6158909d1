import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, SMALL_SCENARIO, scratch, stderrLines } from './in-process.ts';

// A trace is a header line, event lines and a footer holding the hash of the event lines. Replay
// tells apart a file that is not what hasim wrote (exit 2, one line saying how) from a re-run
// that does not reproduce an intact file (exit 1, the first differing event side by side).

const tmp = scratch('hasim-replay-');
afterAll(() => tmp.dispose());
let lines: string[];

beforeAll(async () => {
  const out = join(tmp.dir, 'recorded');
  const run = await cli(['run', tmp.file('small.yaml', SMALL_SCENARIO), '--out', out, '--quiet']);
  expect(run.code).toBe(0);
  lines = readFileSync(join(out, 'trace.jsonl'), 'utf8').split('\n').slice(0, -1);
  expect(lines.length).toBeGreaterThan(100);
});

const traceText = (ls: readonly string[]) => `${ls.join('\n')}\n`;

async function replayOf(name: string, text: string) {
  const path = tmp.file(name, text);
  const run = await cli(['replay', path]);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return { path, run, line: stderrLines(run)[0] };
}

async function refused(name: string, text: string) {
  const r = await replayOf(name, text);
  expect(r.run.code, r.run.stderr).toBe(2);
  expect(stderrLines(r.run)).toHaveLength(1);
  return r;
}

describe('hasim replay: a file that is not the trace hasim wrote exits 2 with one line', () => {
  it('an intact trace matches (exit 0)', async () => {
    const { run } = await replayOf('intact.jsonl', traceText(lines));
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/match: \d+ events/);
  });

  it('a header or footer that is JSON null', async () => {
    const header = await refused('null-header.jsonl', traceText(['null', ...lines.slice(1)]));
    expect(header.line).toBe(
      `hasim replay: ${header.path}:1: not a hasim trace header (missing "hasim": "trace")`,
    );
    const footer = await refused('null-footer.jsonl', traceText([...lines.slice(0, -1), 'null']));
    expect(footer.line).toBe(
      `hasim replay: ${footer.path}: the last line is not a trace footer (expected "end", "events" and "traceHash")`,
    );
  });

  it('an edited event line: modified after it was written, not a determinism failure', async () => {
    const edited = [...lines];
    edited[4] = edited[4]!.replace(/"t":(\d+)/, (_, t) => `"t":${Number(t) + 1}`);
    const { path, run, line } = await refused('edited.jsonl', traceText(edited));
    expect(line).toBe(
      `hasim replay: ${path}: the trace was modified after it was written: event line 4 (file line 5) was edited`,
    );
    expect(run.stdout).toMatch(
      /first difference at event 4 \(file line 5\):\n\s+field\s+recorded\s+replayed\n\s+t\s+\d+\s+\d+\s+<- differs/,
    );
  });

  it('swapped lines, removed lines, a truncated file and a CRLF copy each get their own line', async () => {
    const swapped = [...lines];
    [swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!];
    const swap = await refused('swapped.jsonl', traceText(swapped));
    expect(swap.line).toMatch(
      /: the trace was modified after it was written: event lines 5 and 6 are swapped$/,
    );

    const removed = await refused('removed.jsonl', traceText(lines.filter((_, i) => i !== 7)));
    expect(removed.line).toMatch(
      new RegExp(
        `: the trace was modified after it was written: its footer records ${lines.length - 2} events but it has ${lines.length - 3} event lines \\(1 removed\\)$`,
      ),
    );

    const cut = traceText(lines).slice(0, 2000);
    const truncated = await refused('truncated.jsonl', cut);
    expect(truncated.line).toMatch(
      /: the trace ends without its footer line after \d+ lines: the file was truncated, or the run that wrote it was interrupted$/,
    );

    const crlf = await refused('crlf.jsonl', lines.map((l) => `${l}\r\n`).join(''));
    expect(crlf.line).toBe(
      `hasim replay: ${crlf.path}:1: the trace has Windows (CRLF) line endings: it was copied as text; convert it back (dos2unix) to replay it`,
    );
  });

  it('a line longer than the line limit is refused in bounded memory; a long line is printed cut', async () => {
    const huge = [...lines];
    huge[3] = `{"t":1,"c":"client","k":"invoke","pad":"${'x'.repeat(3 * 1024 * 1024)}"}`;
    const refusedLong = await cli([
      'replay',
      tmp.file('huge.jsonl', traceText(huge)),
      '--max-line-bytes',
      '1MiB',
    ]);
    expect(refusedLong.code).toBe(2);
    expect(stderrLines(refusedLong)[0]).toMatch(
      /huge\.jsonl:4: the line is longer, over the limit of 1,048,576 bytes per trace line \(raise it with --max-line-bytes\)$/,
    );
    const { run } = await refused('long.jsonl', traceText(huge));
    const longest = Math.max(...run.stdout.split('\n').map((l) => l.length));
    expect(longest).toBeLessThan(300);
  });
});

describe('hasim replay: a re-run that differs from an intact trace exits 1', () => {
  it('prints the first differing event side by side with what the re-run produced', async () => {
    // The header's seed is not hashed: the file stays intact, and the re-run uses seed 2.
    const other = [lines[0]!.replace('"seed":1', '"seed":2'), ...lines.slice(1)];
    const { run, line } = await replayOf('other-seed.jsonl', traceText(other));
    expect(run.code).toBe(1);
    expect(line).toBe('hasim replay: the re-run diverges from the recorded trace at event 1');
    expect(run.stdout).toContain('MISMATCH: recorded');
    expect(run.stdout).toMatch(
      /first difference at event 1 \(file line 2\):\n\s+field\s+recorded\s+replayed\n/,
    );
  });
});
