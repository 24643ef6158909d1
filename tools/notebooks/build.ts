import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Token } from 'marked';
import { CellError, runCell } from './cells.ts';
import { NotebookContext, RunCache } from './context.ts';
import { cellHtml, indexPage, notebookPage } from './page.ts';
import { type Cell, markdown, type Notebook, parseNotebook } from './parse.ts';

/**
 * `npm run notebooks`: reads every notebook in `notebooks/` (`*.md` but README.md, sorted by name),
 * runs its cells in order, and renders one page per notebook plus `index.html`. The result is a map
 * from file name to bytes; main.ts writes it under `docs/notebooks/` or compares it with what is there.
 */

export interface BuildOptions {
  /** The repository root: scenario paths in cells start here. */
  readonly rootDir: string;
  /** Where the notebooks are. */
  readonly sourceDir: string;
  /** Where the pages go (links from the notebooks are rewritten to work from there). */
  readonly pagesDir: string;
  /** Where runs and generated cell modules go; inside the repository (see cells.ts). */
  readonly workDir: string;
  /** Run only these notebooks (names without `.md`); the index still lists every one. */
  readonly only?: readonly string[];
}

/** The notebooks of a folder, parsed, in name order. */
export function readNotebooks(sourceDir: string): Notebook[] {
  return readdirSync(sourceDir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .sort()
    .map((f) => {
      const path = join(sourceDir, f);
      return parseNotebook(path, readFileSync(path, 'utf8'));
    });
}

/** What a build makes: the pages by file name, and the files cells saved by path from the root. */
export interface Build {
  readonly pages: Map<string, string>;
  readonly files: Map<string, string>;
}

/** Every page: `<name>.html` per notebook run, and `index.html`. Throws `CellError` with one line. */
export async function buildNotebooks(o: BuildOptions): Promise<Build> {
  const notebooks = readNotebooks(o.sourceDir);
  const pages = new Map<string, string>();
  const files = new Map<string, string>();
  const runs = new RunCache(o.rootDir, o.workDir);
  for (const [i, nb] of notebooks.entries()) {
    if (o.only !== undefined && !o.only.includes(nb.name)) continue;
    const ctx = new NotebookContext(runs, nb.name);
    const body = await renderNotebook(nb, ctx, o);
    pages.set(`${nb.name}.html`, notebookPage(nb, body, notebooks[i - 1], notebooks[i + 1]));
    for (const [path, text] of ctx.files) files.set(path, text);
  }
  pages.set('index.html', indexPage(notebooks));
  return { pages, files };
}

/** Runs a notebook's cells in order and renders its Markdown with each cell's output in place. */
async function renderNotebook(nb: Notebook, ctx: NotebookContext, o: BuildOptions): Promise<string> {
  const tokens = nb.tokens;
  for (const cell of nb.cells) {
    const from = ctx.beginCell();
    try {
      await runCell(cell, ctx, o.workDir);
    } catch (error) {
      throw cellError(nb, cell, o.rootDir, error);
    }
    if (ctx.outputs.length === from)
      throw cellError(nb, cell, o.rootDir, new Error('the cell showed nothing'));
    const html = cellHtml(cell, ctx.outputs.slice(from));
    tokens[cell.tokenIndex] = { type: 'html', raw: html, text: html, pre: false, block: true } as Token;
  }
  const md = markdown();
  md.walkTokens(tokens, (t) => {
    if (t.type === 'link') t.href = rewriteHref(t.href, o.sourceDir, o.pagesDir);
  });
  return md.parser(tokens);
}

function cellError(nb: Notebook, cell: Cell, rootDir: string, error: unknown): CellError {
  const message = error instanceof Error ? error.message : String(error);
  const inRoot = isAbsolute(nb.path) ? relative(rootDir, nb.path) : nb.path;
  const where = inRoot.startsWith('..') ? nb.path : inRoot;
  return new CellError(`${where} cell ${cell.index} (line ${cell.line}): ${message.split('\n')[0]}`);
}

/**
 * A link as written in a notebook, made to work from the pages' folder: a relative path is resolved
 * from the notebooks' folder; a link to another notebook (`2-limiter.md`) becomes its page.
 */
export function rewriteHref(href: string, sourceDir: string, pagesDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#') || href.startsWith('/')) return href;
  const [path = '', hash] = href.split('#', 2);
  const target = resolve(sourceDir, path);
  const suffix = hash === undefined ? '' : `#${hash}`;
  if (dirname(target) === resolve(sourceDir)) {
    // Another notebook, or a page of the build itself (`index.html`): a neighbour in the pages' folder.
    if (target.endsWith('.md') && !target.endsWith('README.md'))
      return `${basename(target, '.md')}.html${suffix}`;
    if (target.endsWith('.html')) return `${basename(target)}${suffix}`;
  }
  return `${relative(pagesDir, target).split(sep).join('/')}${suffix}`;
}
