import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRun } from '#sim/render/read-run.ts';
import { renderReport } from '#sim/render/report.ts';
import { hasim } from '../helpers/cli.ts';
import { writeSyntheticRun } from '../sim/render/synthetic-run.ts';

const root = mkdtempSync(join(tmpdir(), 'hasim-report-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('hasim report in fresh processes', () => {
  it('writes the same bytes in two processes, and the same as in this one', () => {
    const dir = join(root, 'run');
    writeSyntheticRun(dir);
    const first = hasim(['report', dir]);
    expect(first.status).toBe(0);
    expect(first.stdout).toBe(`${join(dir, 'report.html')}\n`);
    const bytes = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(hasim(['report', dir]).status).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(bytes);
    expect(renderReport(readRun(dir))).toBe(bytes);
  });

  it('a directory without a run: one line on stderr, exit 2, no stack trace', () => {
    const r = hasim(['report', root]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`hasim report: ${root}: no trace.jsonl (is this a hasim run directory?)\n`);
    expect(r.stdout).toBe('');
  });
});
