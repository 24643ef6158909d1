import { PngError } from '../../sim/render/png.ts';
import { RunDirError } from '../../sim/render/read-run.ts';
import { writeReportFiles } from '../../sim/render/report.ts';
import type { Parsed } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { out } from '../output.ts';

/**
 * `hasim report <run-dir> [--png]`: writes `<run-dir>/report.html` (and with `--png` each drawing
 * as `<run-dir>/png/<id>.png`) and prints the paths, the report's last.
 */
export function report({ positionals, values }: Parsed): number {
  const dir = positionals[0];
  if (dir === undefined || positionals.length !== 1)
    throw new UsageError('hasim report: expected one run directory (see hasim report --help)');
  let written: { report: string; pngs: string[] };
  try {
    written = writeReportFiles(dir, { png: values.png === true });
  } catch (error) {
    if (error instanceof RunDirError || error instanceof PngError)
      throw new UsageError(`hasim report: ${error.message}`);
    throw error;
  }
  for (const png of written.pngs) out(png);
  out(written.report);
  return EXIT.ok;
}
