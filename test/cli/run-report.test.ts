import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { cli } from './in-process.ts';

// `hasim run --report` (what `npm start` runs on scenarios/article.yaml): the reports are written
// after every run, and their paths are the last lines, so the last line of `npm start` is the path
// of a report to open. Here on a small two-variant scenario.
describe('hasim run --report', () => {
  it('ends with one report path per run, after the tally; the last line is a report it wrote', async () => {
    const r = await cli(['run', 'scenarios/incidents/fixed-window-edge.yaml', '--report', '--quiet']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(-3)).toEqual([
      '2 passed, 0 failed',
      'report  out/fixed-window-edge-seedfixed-window-edge-article/report.html',
      'report  out/fixed-window-edge-seedfixed-window-edge-fixed/report.html',
    ]);
    const last = (lines.at(-1) ?? '').replace(/^report {2}/, '');
    expect(existsSync(last)).toBe(true);
    expect(readFileSync(last, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('is what npm start runs', () => {
    expect(packageJson.scripts.start).toBe('node bin/hasim.mjs run scenarios/article.yaml --report');
  });
});
