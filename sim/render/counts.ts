import { familyOf } from '../../src/ports/trace-events.ts';
import type { RunDigest } from './digest.ts';

/** Events of `kind` summed over every component of `family` (and, given, of one instance). */
export function countOf(d: RunDigest, family: string, kind: string, instance?: string): number {
  let n = 0;
  for (const [c, kinds] of Object.entries(d.counts)) {
    if (familyOf(c) !== family) continue;
    if (instance !== undefined && c !== `${family}/${instance}`) continue;
    n += kinds[kind] ?? 0;
  }
  return n;
}

/** Every kind of `family` with its count, summed over components, sorted by kind. */
export function kindsOf(d: RunDigest, family: string): [string, number][] {
  const sums = new Map<string, number>();
  for (const [c, kinds] of Object.entries(d.counts)) {
    if (familyOf(c) !== family) continue;
    for (const [k, n] of Object.entries(kinds)) sums.set(k, (sums.get(k) ?? 0) + n);
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
