import { describe, expect, it } from 'vitest';
import { type CompareFigures, compareRows } from '../../../src/live/compare.ts';

const none: CompareFigures = {
  failoverUnavailableMs: null,
  promotionMs: null,
  redisErrors: null,
  failedResponses: null,
  ackedWritesLost: null,
  ackedWrites: null,
  staleReads: null,
  limiterOverAdmission: null,
  p50Ms: null,
  p99Ms: null,
  l1HitRate: null,
  l2HitRate: null,
};

describe('compareRows', () => {
  it('keeps the figures either run measured, in order, with live minus simulated', () => {
    const rows = compareRows(
      { ...none, failoverUnavailableMs: 6000, p99Ms: 100 },
      { ...none, failoverUnavailableMs: 7500, p99Ms: 80, staleReads: 2 },
    );
    expect(rows).toEqual([
      { metric: 'failoverUnavailableMs', simulated: 6000, live: 7500, difference: 1500 },
      { metric: 'staleReads', simulated: null, live: 2, difference: null },
      { metric: 'p99Ms', simulated: 100, live: 80, difference: -20 },
    ]);
  });
});
