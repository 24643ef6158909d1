/**
 * Real elapsed time, for the runner's progress bar and its `wallMs` figure only. Never read by
 * simulated code (the tripwires would stop it); the kernel is the one place that owns both clocks.
 */
export function wallNowMs(): number {
  return performance.now();
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMb(): number {
  // resourceUsage().maxRSS is in KiB on Linux.
  return process.resourceUsage().maxRSS / 1024;
}
