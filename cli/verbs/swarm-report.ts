import { join } from 'node:path';
import type { SweepSummary } from '../../sim/swarm/sweep.ts';
import { group } from '../output.ts';

/** Failing seeds listed on the terminal; `DIR/summary.json` lists them all. */
export const FAILING_SHOWN = 20;

/**
 * What `hasim swarm` prints at the end of a sweep, however its seeds ran: the failing seeds,
 * fastest failure first, each with the expectation it broke and the command that replays it;
 * the coverage of each `sometimes:` check; seeds that did not reproduce; and, last,
 * `N passed, N failed`.
 */
export function sweepReport(summary: SweepSummary, outDir: string): string[] {
  const lines: string[] = [];
  const shown = summary.failing.slice(0, FAILING_SHOWN);
  if (shown.length > 0) {
    const of = summary.failing.length > shown.length ? ` (${shown.length} of ${summary.failing.length})` : '';
    lines.push(`  failing seeds, fastest failure first${of}:`);
    const seedWidth = Math.max(...shown.map((r) => String(r.seed).length));
    for (const r of shown) {
      const head = `    seed ${String(r.seed).padEnd(seedWidth)}  `;
      const pad = ' '.repeat(head.length);
      if (r.verdict === 'error') {
        lines.push(`${head}error: ${r.error ?? 'unknown'}`);
      } else {
        const [first, ...more] = r.broken ?? [];
        const also = more.length > 0 ? ` (and ${more.length} more)` : '';
        const events = r.events === undefined ? '' : `${group(r.events)} events  `;
        lines.push(
          `${head}${events}broke ${first?.expectation ?? '?'}  measured ${first?.detail ?? '?'}${also}`,
        );
      }
      lines.push(`${pad}replay: ${r.replay}`);
    }
  }
  const coverage = Object.entries(summary.sometimes);
  if (coverage.length > 0) {
    lines.push('  sometimes (seeds that reached each):');
    const width = String(summary.ran).length;
    for (const [text, count] of coverage) {
      const never = count === 0 ? '   (never reached)' : '';
      lines.push(
        `    ${String(count).padStart(width)}/${summary.ran}  ${text.replace(/^sometimes /, '')}${never}`,
      );
    }
  }
  for (const n of summary.nondeterministic) {
    lines.push(
      `  nondeterminism: seed ${n.seed} gave trace hash ${n.traceHash.slice(0, 16)}, then ${n.again.slice(0, 60)} on a second run`,
    );
  }
  if (summary.rechecked > 0 && summary.nondeterministic.length === 0)
    lines.push(`  rechecked ${summary.rechecked} failing seeds in a second run: the same trace hash each`);
  if (summary.stoppedEarly)
    lines.push(
      `  stopped early (--fail-fast): ${summary.ran} of ${summary.seeds} seeds ran; the rest are not recorded`,
    );
  const seconds = (summary.wallMs / 1000).toFixed(1);
  lines.push(
    `  ${group(summary.ran)} seeds in ${seconds} s on ${summary.ranOn}: ${summary.seedsPerSecond} seeds/s   ${join(outDir, 'summary.json')}`,
  );
  lines.push(`${summary.passed} passed, ${summary.failed} failed`);
  return lines;
}
