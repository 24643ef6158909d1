import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';

// What `npm ci --omit=dev` installs must be enough to run everything outside tests: a package that
// src, sim, cli, tools or bin import at run time has to be in package.json `dependencies`, not
// `devDependencies` (sim/cache once imported lru-cache, so `hasim --version` failed with
// ERR_MODULE_NOT_FOUND on a production install). Type-only imports are erased and do not count.
const RUNTIME_DIRS = ['src', 'sim', 'cli', 'tools', 'bin'];
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs|cjs)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) yield path;
  }
}

// Static `import ... from 'x'`, `export ... from 'x'`, side-effect `import 'x'`, and `import('x')`;
// a statement that starts with `import type` / `export type` is skipped.
const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The package a specifier names ('@scope/name/sub' → '@scope/name'), or undefined for a path or builtin. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('#')) return undefined;
  if (specifier.startsWith('node:') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function runtimeImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) if (m[2] === undefined && m[3] !== undefined) found.push(m[3]);
  for (const m of text.matchAll(DYNAMIC)) if (m[1] !== undefined) found.push(m[1]);
  return found;
}

describe('run-time imports need only package.json dependencies', () => {
  it('the scanner sees the import forms in use', () => {
    const text = [
      "import { a } from 'alpha';",
      "import type { B } from 'beta';",
      "import {\n  c,\n  type D,\n} from '@scope/gamma/sub';",
      "import 'delta/register';",
      "export { e } from 'epsilon';",
      "const f = await import('zeta');",
      "import { g } from 'node:fs';",
      "import { h } from './local.ts';",
    ].join('\n');
    expect(runtimeImports(text).map(packageOf)).toEqual([
      'alpha',
      '@scope/gamma',
      'delta',
      'epsilon',
      undefined,
      undefined,
      'zeta',
    ]);
  });

  it(`every package imported under ${RUNTIME_DIRS.join(', ')} is a dependency`, () => {
    const offenders: string[] = [];
    let files = 0;
    for (const dir of RUNTIME_DIRS) {
      for (const file of sourceFiles(join(ROOT, dir))) {
        files++;
        for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
          const name = packageOf(specifier);
          if (name !== undefined && !(name in pkg.dependencies))
            offenders.push(`${relative(ROOT, file)}: '${specifier}'`);
        }
      }
    }
    expect(files).toBeGreaterThan(100);
    expect(offenders).toEqual([]);
  });
});
