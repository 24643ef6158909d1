import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Small rooms (STYLE.md): no source file under src/, sim/, cli/ or tools/ is over 600 lines. A file
// that grows past it has more than one role and should be cut along them.
const ROOT = join(import.meta.dirname, '../..');
const LIMIT_LINES = 600;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('file sizes', () => {
  it(`no source file under src/, sim/, cli/ or tools/ is over ${LIMIT_LINES} lines`, () => {
    const files = ['src', 'sim', 'cli', 'tools'].flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    const over = files
      .map((f) => ({ file: relative(ROOT, f), lines: readFileSync(f, 'utf8').split('\n').length }))
      .filter((x) => x.lines > LIMIT_LINES);
    expect(over).toEqual([]);
  });
});
