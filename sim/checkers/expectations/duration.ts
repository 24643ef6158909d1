/**
 * Durations in scenario files: an integer number of ms, or a string with a unit (`800ms`, `30s`,
 * `2m`, `1h`, `1.5s`). Always virtual time. Returns whole ms, or `undefined` when `text` is not a
 * duration.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1_000 : m[2] === 'm' ? 60_000 : 3_600_000;
  const ms = n * unit;
  return Number.isSafeInteger(Math.round(ms)) && Math.abs(ms - Math.round(ms)) < 1e-9
    ? Math.round(ms)
    : undefined;
}

/** `ms` as the shortest exact duration string: `1500ms`, `30s`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms !== 0 && ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
