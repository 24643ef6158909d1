import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Variant } from '../../sim/scenarios/registry.ts';
import type { NotebookContext } from './context.ts';
import { FIGURE_NAMES, isFigureName } from './figures.ts';
import type { Cell } from './parse.ts';

/**
 * Running one cell. A `hasim` cell holds the command a reader would type; `hasim run` goes through
 * the library in this process (so its figures can be drawn from the run), any other verb runs
 * `bin/hasim.mjs` as a child and shows what it printed. A `ts` cell becomes a small module under the
 * build's work folder (inside the repository, so `#src/*` and `#sim/*` imports resolve) whose default
 * export gets `nb`; what it prints with console.log is shown as text.
 *
 * Options after the `hasim` tag:
 * - `show=a,b,...` figures of each run (figures.ts `FIGURE_NAMES`). @defaultValue `expectations`
 * - `variant=article|fixed` run only this variant. @defaultValue every variant of the scenario
 * - `verdict=fail` the run's expectations are meant to fail (else a failing one fails the cell)
 * - `exit=N` the exit code a non-run verb is meant to end with. @defaultValue 0
 */

/** A cell that did not run; the message is the one line the build prints. */
export class CellError extends Error {
  override readonly name = 'CellError';
}

/** Longest output (characters) a non-run verb may print into a page. */
export const VERB_OUTPUT_CHARS_MAX = 20_000;

export async function runCell(cell: Cell, nb: NotebookContext, workDir: string): Promise<void> {
  if (cell.kind === 'hasim') await runHasimCell(cell, nb);
  else await runTsCell(cell, nb, workDir);
}

/** The command's words: the first line that is not blank or a `#` comment, `$ ` prompt dropped. */
function commandWords(code: string): string[] {
  const line = code
    .split('\n')
    .map((l) => l.trim().replace(/^\$\s+/, ''))
    .find((l) => l !== '' && !l.startsWith('#'));
  if (line === undefined) throw new Error('the cell holds no command');
  if (/["'\\]/.test(line)) throw new Error('a hasim cell takes plain words (no quotes or escapes)');
  const words = line.split(/\s+/);
  if (words[0] !== 'hasim') throw new Error(`a hasim cell starts with 'hasim', not '${words[0]}'`);
  return words.slice(1);
}

async function runHasimCell(cell: Cell, nb: NotebookContext): Promise<void> {
  const words = commandWords(cell.code);
  if (words[0] !== 'run') {
    runVerb(words, cell, nb);
    return;
  }
  const { source, seed } = runArgs(words.slice(1));
  const show = (cell.options.show ?? 'expectations').split(',');
  const unknown = show.find((s) => !isFigureName(s));
  if (unknown !== undefined) throw new Error(`show=${unknown}: expected some of ${FIGURE_NAMES.join(', ')}`);
  const wanted = cell.options.variant;
  const variants = nb.variants(source).filter((v) => wanted === undefined || v === wanted);
  if (variants.length === 0) throw new Error(`variant=${wanted}: the scenario has no such variant`);
  for (const variant of variants) {
    const run = await nb.run(source, {
      variant: variant as Variant,
      ...(seed === undefined ? {} : { seed }),
    });
    const meant = cell.options.verdict ?? 'pass';
    if (run.result.verdict !== meant) {
      const failed = run.result.expectations.find((x) => !x.ok);
      throw new Error(
        `${source} [${variant}]: verdict ${run.result.verdict}, expected ${meant}${failed ? ` (${failed.text}: ${failed.measured})` : ''}`,
      );
    }
    for (const name of show) if (isFigureName(name)) nb.figure(run, name);
  }
}

function runArgs(args: string[]): { source: string; seed?: number | string } {
  const positionals: string[] = [];
  let seed: number | string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--seed') {
      const v = args[++i] ?? '';
      seed = /^-?\d+$/.test(v) ? Number(v) : v;
    } else if (a.startsWith('--')) {
      throw new Error(`hasim run ${a}: a notebook cell takes a scenario file and --seed only`);
    } else positionals.push(a);
  }
  if (positionals.length !== 1 || positionals[0] === undefined)
    throw new Error('hasim run: a notebook cell runs one scenario file');
  return seed === undefined ? { source: positionals[0] } : { source: positionals[0], seed };
}

function runVerb(words: string[], cell: Cell, nb: NotebookContext): void {
  const r = spawnSync(process.execPath, [join(nb.runs.rootDir, 'bin/hasim.mjs'), ...words], {
    cwd: nb.runs.rootDir,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const meant = Number(cell.options.exit ?? 0);
  if (r.status !== meant) {
    const why = (r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n')[0];
    throw new Error(`hasim ${words.join(' ')}: exit ${r.status}, expected ${meant}: ${why}`);
  }
  const text = r.stdout.trimEnd();
  if (text.length > VERB_OUTPUT_CHARS_MAX)
    throw new Error(`hasim ${words[0]} printed ${text.length} characters (at most ${VERB_OUTPUT_CHARS_MAX})`);
  nb.text(text);
}

/** Splits a ts cell into its leading import statements and the body. */
export function splitImports(code: string): { imports: string; body: string } {
  const lines = code.split('\n');
  const imports: string[] = [];
  let i = 0;
  let open = false;
  for (; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!open && !line.startsWith('import ')) {
      if (line.trim() === '' || line.trim().startsWith('//')) {
        imports.push(line);
        continue;
      }
      break;
    }
    imports.push(line);
    open = !/['"];?\s*$/.test(line);
  }
  return { imports: imports.join('\n'), body: lines.slice(i).join('\n') };
}

async function runTsCell(cell: Cell, nb: NotebookContext, workDir: string): Promise<void> {
  const { imports, body } = splitImports(cell.code);
  const source = `import type { NotebookContext } from '#tools/notebooks/context.ts';
${imports}
export default async function cell(nb: NotebookContext): Promise<void> {
${body}
}
`;
  const dir = join(workDir, 'cells');
  mkdirSync(dir, { recursive: true });
  // The file's name holds its content's hash: a changed cell is a new module, never a cached one.
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const file = join(dir, `${nb.name}-${cell.index}-${hash}.ts`);
  writeFileSync(file, source);
  const mod = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as {
    default: (nb: NotebookContext) => Promise<void>;
  };
  const log = console.log;
  console.log = (...args: unknown[]) => {
    nb.log(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  };
  try {
    await mod.default(nb);
  } finally {
    console.log = log;
  }
}
