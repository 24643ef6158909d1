import { basename } from 'node:path';
import { Marked, type Token, type TokensList } from 'marked';

/**
 * A notebook is a Markdown file (CommonMark + GFM, as marked 18 reads it) whose fenced code blocks
 * tagged `hasim` or `ts` are cells. Everything else is prose, rendered as written.
 *
 * - ```` ```hasim show=timeseries,breaker variant=article ```` holds one command line as a reader
 *   would type it (`hasim run scenarios/incidents/llm-latency-spike.yaml`); the words after the tag
 *   say what to show of it (see cells.ts).
 * - ```` ```ts ```` holds TypeScript run as an async function of `nb` (context.ts); its imports go
 *   first, as in a module.
 *
 * A block tagged anything else (```` ```yaml ````, ```` ```sh ````) is shown, never run.
 */

/** The cell kinds the runner executes. */
export type CellKind = 'hasim' | 'ts';

export interface Cell {
  /** 1-based, in the notebook's order. */
  readonly index: number;
  /** 1-based line of the opening fence in the notebook. */
  readonly line: number;
  readonly kind: CellKind;
  /** `key=value` words after the tag (`show=a,b`, `variant=article`). */
  readonly options: Readonly<Record<string, string>>;
  readonly code: string;
  /** Where the cell sits in `tokens`. */
  readonly tokenIndex: number;
}

export interface Notebook {
  /** File name without `.md`, e.g. `1-breaker`: the page is `<name>.html`. */
  readonly name: string;
  /** The path it was read from, as given (used in error lines). */
  readonly path: string;
  /** The first level-1 heading's text. */
  readonly title: string;
  /** The first paragraph's text, for the index. */
  readonly summary: string;
  readonly tokens: TokensList;
  readonly cells: readonly Cell[];
}

/** A notebook that cannot be read as one: the message names the file and line. */
export class NotebookError extends Error {
  override readonly name = 'NotebookError';
}

/** The Markdown reader every notebook goes through (GFM tables, no raw-HTML surprises in options). */
export function markdown(): Marked {
  return new Marked({ gfm: true, async: false });
}

const CELL_TAG = /^(hasim|ts)(?:\s+(.*))?$/;

/** Splits a notebook into prose tokens and cells. */
export function parseNotebook(path: string, text: string): Notebook {
  const tokens = markdown().lexer(text);
  const cells: Cell[] = [];
  let title = '';
  let summary = '';
  let offset = 0;
  tokens.forEach((token, tokenIndex) => {
    const line = lineAt(text, offset);
    offset += token.raw.length;
    if (token.type === 'heading' && token.depth === 1 && title === '') title = token.text;
    if (token.type === 'paragraph' && summary === '') summary = plain(token.text);
    if (token.type !== 'code' || token.codeBlockStyle === 'indented') return;
    const m = CELL_TAG.exec((token.lang ?? '').trim());
    if (m === null) return;
    cells.push({
      index: cells.length + 1,
      line,
      kind: m[1] as CellKind,
      options: parseOptions(m[2] ?? '', `${path}:${line}`),
      code: token.text,
      tokenIndex,
    });
  });
  if (title === '') throw new NotebookError(`${path}:1: a notebook starts with a '# Title' heading`);
  return { name: basename(path, '.md'), path, title, summary, tokens, cells };
}

/** `show=a,b variant=article` → `{ show: 'a,b', variant: 'article' }`. */
function parseOptions(text: string, where: string): Record<string, string> {
  const options: Record<string, string> = {};
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new NotebookError(`${where}: cell option '${word}': expected key=value`);
    options[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return options;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Inline Markdown reduced to its words (links to their text, code and emphasis unmarked). */
function plain(text: string): string {
  return text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A token's type, for callers that replace cells in `tokens`. */
export type { Token };
