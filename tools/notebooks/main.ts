import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type Build, buildNotebooks } from './build.ts';
import { CellError } from './cells.ts';
import { NotebookError } from './parse.ts';

/**
 * `npm run notebooks [--check] [name ...]`: runs the notebooks in `notebooks/` and writes their
 * pages under `docs/notebooks/` (removing pages whose notebook is gone). With `--check` it writes
 * nothing and exits 1 when a committed page differs from what the notebooks make now. Names limit
 * the run to those notebooks. A cell that fails stops the build with one line on stderr naming the
 * notebook and the cell, exit 1.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE_DIR = join(ROOT, 'notebooks');
const PAGES_DIR = join(ROOT, 'docs', 'notebooks');
const WORK_DIR = join(ROOT, 'out', 'notebooks');

async function main(args: readonly string[]): Promise<number> {
  const check = args.includes('--check');
  const only = args.filter((a) => a !== '--check');
  const unknown = only.find((a) => a.startsWith('-'));
  if (unknown !== undefined) {
    process.stderr.write(
      `notebooks: unknown option ${unknown} (usage: npm run notebooks [--check] [name ...])\n`,
    );
    return 2;
  }
  let build: Build;
  try {
    build = await buildNotebooks({
      rootDir: ROOT,
      sourceDir: SOURCE_DIR,
      pagesDir: PAGES_DIR,
      workDir: WORK_DIR,
      ...(only.length > 0 ? { only } : {}),
    });
  } catch (error) {
    if (!(error instanceof CellError || error instanceof NotebookError)) throw error;
    process.stderr.write(`notebooks: ${error.message}\n`);
    return 1;
  }
  const { pages, files } = build;
  // Pages by their name under docs/notebooks/, saved figures by their path from the root.
  const outputs = new Map([
    ...[...pages].map(([name, html]) => [join(PAGES_DIR, name), html] as const),
    ...[...files].map(([path, text]) => [join(ROOT, path), text] as const),
  ]);
  if (check) return checkOutputs(outputs);
  mkdirSync(PAGES_DIR, { recursive: true });
  for (const [path, text] of outputs) writeFileSync(path, text);
  if (only.length === 0) {
    for (const name of readdirSync(PAGES_DIR))
      if (name.endsWith('.html') && !pages.has(name)) rmSync(join(PAGES_DIR, name));
  }
  const saved = files.size === 0 ? '' : ` and ${[...files.keys()].join(', ')}`;
  process.stdout.write(`notebooks: ${pages.size} pages in docs/notebooks/${saved}\n`);
  return 0;
}

function checkOutputs(outputs: Map<string, string>): number {
  const stale = [...outputs].filter(
    ([path, text]) => !existsSync(path) || readFileSync(path, 'utf8') !== text,
  );
  for (const [path] of stale)
    process.stderr.write(
      `notebooks: ${relative(ROOT, path)} is not what the notebooks make now (npm run notebooks)\n`,
    );
  if (stale.length === 0) process.stdout.write(`notebooks: ${outputs.size} files up to date\n`);
  return stale.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
