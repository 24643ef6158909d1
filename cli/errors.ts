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
    process.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof ScenarioError) {
    process.stderr.write(`hasim: ${error.message}\n`);
    return EXIT.usage;
  }
  return undefined;
}
