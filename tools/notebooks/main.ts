import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildNotebooks } from './build.ts';
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
  let pages: Map<string, string>;
  try {
    pages = await buildNotebooks({
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
  if (check) return checkPages(pages);
  mkdirSync(PAGES_DIR, { recursive: true });
  for (const [name, html] of pages) writeFileSync(join(PAGES_DIR, name), html);
  if (only.length === 0) {
    for (const name of readdirSync(PAGES_DIR))
      if (name.endsWith('.html') && !pages.has(name)) rmSync(join(PAGES_DIR, name));
  }
  process.stdout.write(`notebooks: ${pages.size} pages in docs/notebooks/\n`);
  return 0;
}

function checkPages(pages: Map<string, string>): number {
  const stale = [...pages].filter(([name, html]) => {
    const path = join(PAGES_DIR, name);
    return !existsSync(path) || readFileSync(path, 'utf8') !== html;
  });
  for (const [name] of stale)
    process.stderr.write(
      `notebooks: docs/notebooks/${name} is not what the notebooks make now (npm run notebooks)\n`,
    );
  if (stale.length === 0) process.stdout.write(`notebooks: ${pages.size} pages up to date\n`);
  return stale.length === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
