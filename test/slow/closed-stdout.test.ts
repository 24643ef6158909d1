import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

// `hasim run scenarios/incidents/ --quiet | head -1`: the reader closes stdout after one line.
// hasim must end quietly (no stack trace, no bogus "simulation failed"), not crash on EPIPE.
describe('a reader that closes stdout early', () => {
  it('ends hasim quietly with exit 0', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hasim-epipe-'));
    try {
      const child = spawn(
        process.execPath,
        [resolve(ROOT, 'bin/hasim.mjs'), 'run', resolve(ROOT, 'scenarios/incidents'), '--quiet'],
        { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
      expect(stderr).toBe('');
      expect(code).toBe(0);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 120_000);
});
