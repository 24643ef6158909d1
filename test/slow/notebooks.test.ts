// `npm run notebooks -- --check` in a fresh process: every notebook in notebooks/ runs (the article
// run included, so this takes a few minutes) and each page it makes must equal the one committed
// under docs/notebooks/ (and each figure it saves under docs/img/), byte for byte. That checks the pages are up to date with the notebooks and
// the code, and that a build in another process (and on another day) gives the same bytes.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

describe('npm run notebooks', () => {
  it('makes the committed pages again, byte for byte (--check)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/notebooks/main.ts', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 1_200_000,
    });
    expect(r.stderr).toBe('');
    // Seven pages (six notebooks and the index) and the README's figures under docs/img/.
    expect(r.stdout).toMatch(/^notebooks: \d+ files up to date\n$/);
    expect(Number(/(\d+) files/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(9);
    expect(r.status).toBe(0);
  }, 1_200_000);
});
