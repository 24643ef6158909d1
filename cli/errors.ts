import { LimitError } from '../sim/limits.ts';
import { ScenarioError } from '../sim/scenarios/load.ts';

/** hasim's exit codes. */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** The simulator failed, or a replay did not reproduce its trace (nondeterminism). */
  failed: 1,
  /** A mistake in how hasim was called or in its input (a file, a flag). */
  usage: 2,
  /** Reserved: a scenario ran but one of its expectations did not hold. */
  expectationFailed: 3,
} as const;

/** A mistake in how hasim was called or in its input: one line on stderr, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The exit code for an error a verb threw, after printing its one line on stderr; undefined for an
 * error that is not the user's (a bug), which the caller rethrows so its stack trace shows.
 */
export function reportInputError(error: unknown): number | undefined {
  if (error instanceof UsageError) {
    errorLine(error.message);
    return EXIT.usage;
  }
  if (error instanceof ScenarioError || error instanceof LimitError) {
    errorLine(`hasim: ${error.message}`);
    return EXIT.usage;
  }
  return undefined;
}

/** Longest line `errorLine` prints, in characters; a message is cut there. */
const ERROR_LINE_CHARS = 500;

/**
 * One line on stderr, however the text came: line breaks and other control characters (from a
 * file name, a key, a library's message) become spaces, and it is cut at `ERROR_LINE_CHARS`.
 */
export function errorLine(text: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trimEnd();
  const cut = flat.length > ERROR_LINE_CHARS ? `${flat.slice(0, ERROR_LINE_CHARS)}…` : flat;
  process.stderr.write(`${cut}\n`);
}
