import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasim, ROOT } from '../helpers/cli.ts';

// bin/hasim.mjs runs the sources from a start-up bundle (bin/bundle.mjs) instead of through tsx's
// loader: the same code, so the same traces, and processes that start together on an empty cache
// must all get a complete bundle (each builds into its own directory and renames it into place).
const cache = mkdtempSync(join(tmpdir(), 'hasim-bundle-test-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const SCENARIO = 'scenarios/incidents/hot-prompt-stampede.yaml';

function hasimAsync(args: readonly string[], env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'bin/hasim.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

describe('the start-up bundle', () => {
  it('gives the same traces as the sources through tsx, also when three processes build it at once', async () => {
    const viaTsx = hasim(['run', SCENARIO, '--quiet'], { env: { HASIM_BUNDLE: '0' } });
    expect(viaTsx.stderr).toBe('');
    expect(viaTsx.status).toBe(0);
    expect(viaTsx.stdout).toMatch(/^[0-9a-f]{64} {2}pass/m);
    const runs = await Promise.all(
      [1, 2, 3].map(() => hasimAsync(['run', SCENARIO, '--quiet'], { HASIM_BUNDLE_CACHE: cache })),
    );
    for (const run of runs) {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toBe(viaTsx.stdout);
    }
    // One complete bundle, nothing half-built left behind.
    const entries = readdirSync(cache);
    expect(entries).toHaveLength(1);
    const bundle = join(cache, entries[0]!);
    expect(existsSync(join(bundle, 'main.js'))).toBe(true);
    expect(existsSync(join(bundle, 'worker.js'))).toBe(true);
  }, 180_000);

  it("a swarm's worker threads run from the bundle and reproduce the seeds", async () => {
    const out = join(cache, '..', `${readdirSync(cache)[0]}-swarm`);
    rmSync(out, { recursive: true, force: true });
    try {
      const run = hasim(['swarm', 'scenarios/swarm/provider-outages.yaml', '--seeds', '4', '--out', out], {
        env: { HASIM_BUNDLE_CACHE: cache },
      });
      expect(run.stderr).toBe('');
      // Failing seeds are re-run for a hash check: a worker that ran other code would differ.
      expect(run.stdout).toMatch(/\d+ passed, \d+ failed\n?$/);
      expect([0, 3]).toContain(run.status);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
