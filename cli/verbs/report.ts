import { RunDirError } from '../../sim/render/read-run.ts';
import { writeReport } from '../../sim/render/report.ts';
import type { Parsed } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { out } from '../output.ts';

/** `hasim report <run-dir>`: writes `<run-dir>/report.html` and prints its path. */
export function report({ positionals }: Parsed): number {
  const dir = positionals[0];
  if (dir === undefined || positionals.length !== 1)
    throw new UsageError('hasim report: expected one run directory (see hasim report --help)');
  let path: string;
  try {
    path = writeReport(dir);
  } catch (error) {
    if (error instanceof RunDirError) throw new UsageError(`hasim report: ${error.message}`);
    throw error;
  }
  out(path);
  return EXIT.ok;
}
