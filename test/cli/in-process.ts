import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { main } from '#cli/main.ts';

/** What one in-process `hasim` call did. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Node process warnings emitted during the call (`process.emitWarning`). */
  readonly warnings: readonly string[];
}

/**
 * Runs `hasim ...args` in this process through `main`, capturing stdout, stderr and process
 * warnings. A thrown error (a bug: main returns an exit code for every input error) propagates.
 */
export async function cli(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const warnings: string[] = [];
  const capture = (append: (text: string) => void) => (chunk: unknown) => {
    append(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation(capture((t) => (stdout += t)));
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation(capture((t) => (stderr += t)));
  const warnSpy = vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
    warnings.push(String(warning));
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr, warnings };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    warnSpy.mockRestore();
  }
}

/** The lines of stderr (none for an empty stderr). */
export function stderrLines(run: CliRun): string[] {
  return run.stderr === '' ? [] : run.stderr.replace(/\n$/, '').split('\n');
}

/** A temporary folder with a `file(name, text)` writer; `dispose()` removes it. */
export function scratch(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file(name: string, text: string | Uint8Array): string {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A short llm-smoke scenario (2 s of arrivals at 50/s: ~230 events), fast to run and replay. */
export const SMALL_SCENARIO = `kind: llm-smoke
name: small
durationMs: 2000
client:
  ratePerSecond: 50
  timeoutMs: 10000
upstream:
  model: sim-gpt
`;
