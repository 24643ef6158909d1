import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasim, ROOT } from '../helpers/cli.ts';

// The trace streams to disk: a one-hour run at 200 req/s (~1.4 M events, ~90 MB of trace) runs to
// the end in a fresh process and writes every event. How much memory it takes is a figure, not a
// test: `npm run bench long-run` runs the same scenario and prints its peak RSS.
const dir = mkdtempSync(join(tmpdir(), 'hasim-long-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a one-hour simulated run', () => {
  it('runs to the end and streams every event to its trace', { timeout: 600_000 }, () => {
    const smoke = readFileSync(join(ROOT, 'scenarios/smoke.yaml'), 'utf8');
    const path = join(dir, 'one-hour.yaml');
    writeFileSync(
      path,
      smoke.replace(/^durationMs: \d+/m, 'durationMs: 3600000').replace('name: smoke', 'name: one-hour'),
    );
    const out = join(dir, 'out');
    // About 80 s on an idle 2-core machine; the bounds leave room for a busy one.
    const r = hasim(['run', path, '--seed', '1', '--out', out, '--quiet'], { timeoutMs: 540_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.simulatedMs).toBeGreaterThanOrEqual(3_600_000);
    expect(summary.report.requests).toBeGreaterThan(700_000);
    expect(summary.events).toBe(2 * summary.report.requests);
    expect(statSync(join(out, 'trace.jsonl')).size).toBeGreaterThan(50_000_000);
  });
});
