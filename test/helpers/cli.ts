import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link hasim}. */
export interface HasimOptions {
  /** Working directory. @defaultValue the repository root */
  readonly cwd?: string;
  /** The process is killed after this long, in ms. @defaultValue 180_000 */
  readonly timeoutMs?: number;
  /** Environment variables added to this process's. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `hasim ...args` in a fresh Node process, as a user would. */
export function hasim(args: readonly string[], options: HasimOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [resolve(ROOT, 'bin/hasim.mjs'), ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    timeout: options.timeoutMs ?? 180_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
