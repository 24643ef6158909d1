/**
 * A small benchmark harness: each case measures ours and a peer side by side in one process,
 * interleaved over several rounds after a warm-up, and reports medians and their ratio. Figures
 * are what this machine did in this run; nothing is asserted in tests.
 */
export interface Measurement {
  /** Operations completed. */
  readonly ops: number;
  /** Wall-clock milliseconds they took. */
  readonly ms: number;
}

export interface BenchCase {
  /** What is measured, e.g. 'kernel: awaited sleeps/s (1,000 concurrent requests x 3 sleeps)'. */
  readonly name: string;
  readonly unit: string;
  readonly ours: { readonly label: string; readonly run: () => Promise<Measurement> };
  readonly peer?: { readonly label: string; readonly run: () => Promise<Measurement> };
  /** Targets from the issue, checked and printed (not asserted). */
  readonly targets?: { readonly minOpsPerSecond?: number; readonly minRatio?: number };
  /**
   * Rounds for this case, overriding the run's. A case too long to repeat says 1: it is then
   * measured once, without a warm-up.
   */
  readonly rounds?: number;
  /** Further figures of the last round (e.g. peak memory), printed under the rates. */
  readonly notes?: () => readonly string[];
}

export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly ours: { readonly label: string; readonly opsPerSecond: number; readonly rounds: number[] };
  readonly peer?: { readonly label: string; readonly opsPerSecond: number; readonly rounds: number[] };
  readonly ratio?: number;
  readonly targetsMet?: boolean;
  readonly notes?: readonly string[];
}

const rate = (m: Measurement) => (m.ops / m.ms) * 1000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function measure(c: BenchCase, runRounds: number): Promise<BenchResult> {
  const rounds = c.rounds ?? runRounds;
  // Warm-up: one run each, discarded (not for a case measured once).
  if (rounds > 1) {
    await c.ours.run();
    if (c.peer) await c.peer.run();
  }
  const ours: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first so neither always runs on a warmer or cooler machine.
    if (i % 2 === 0 || !c.peer) {
      ours.push(rate(await c.ours.run()));
      if (c.peer) peer.push(rate(await c.peer.run()));
    } else {
      peer.push(rate(await c.peer.run()));
      ours.push(rate(await c.ours.run()));
    }
  }
  const oursRate = median(ours);
  const peerRate = c.peer ? median(peer) : undefined;
  const ratio = peerRate ? oursRate / peerRate : undefined;
  const t = c.targets;
  const targetsMet = t
    ? (t.minOpsPerSecond === undefined || oursRate >= t.minOpsPerSecond) &&
      (t.minRatio === undefined || (ratio !== undefined && ratio >= t.minRatio))
    : undefined;
  return {
    name: c.name,
    unit: c.unit,
    ours: { label: c.ours.label, opsPerSecond: oursRate, rounds: ours },
    ...(c.peer && peerRate !== undefined
      ? { peer: { label: c.peer.label, opsPerSecond: peerRate, rounds: peer } }
      : {}),
    ...(ratio !== undefined ? { ratio } : {}),
    ...(targetsMet !== undefined ? { targetsMet } : {}),
    ...(c.notes ? { notes: c.notes() } : {}),
  };
}

export function formatRate(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
  return v.toFixed(0);
}
