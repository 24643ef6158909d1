import { LlmError } from '../../ports/llm.ts';
import type { Random } from '../../ports/random.ts';

/**
 * openai-python `src/openai/_constants.py`: `INITIAL_RETRY_DELAY = 0.5` s, `MAX_RETRY_DELAY = 8.0` s,
 * `DEFAULT_MAX_RETRIES = 2`.
 */
export const OPENAI_INITIAL_RETRY_DELAY_MS = 500;
export const OPENAI_MAX_RETRY_DELAY_MS = 8000;
export const OPENAI_DEFAULT_MAX_RETRIES = 2;
/** openai-python `_calculate_retry_timeout`: a server's Retry-After is obeyed only when 0 < v ≤ 60 s. */
export const OPENAI_RETRY_AFTER_MAX_MS = 60_000;

/**
 * The wait before retry number `retriesTaken + 1`, in ms, as openai-python's
 * `BaseClient._calculate_retry_timeout` (`src/openai/_base_client.py`) computes it: the server's
 * Retry-After when 0 < v ≤ 60 s, else `min(0.5 s · 2^retriesTaken, 8 s) · (1 − 0.25 · U)` with U
 * uniform in [0, 1) (the jitter shortens the wait by up to a quarter). LiteLLM's
 * `litellm/utils.py` `_calculate_retry_after` is the same formula with a floor `minTimeoutMs`
 * (the router's `retry_after`). Draws one uniform from `random` only when it backs off.
 */
export function openAiRetryDelayMs(
  retriesTaken: number,
  retryAfterMs: number | undefined,
  random: Random,
  minTimeoutMs = 0,
): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0 && retryAfterMs <= OPENAI_RETRY_AFTER_MAX_MS) {
    return retryAfterMs;
  }
  const exponent = Math.min(retriesTaken, 1000);
  const sleepMs = Math.min(OPENAI_INITIAL_RETRY_DELAY_MS * 2 ** exponent, OPENAI_MAX_RETRY_DELAY_MS);
  const timeoutMs = sleepMs * (1 - 0.25 * random.next());
  return Math.max(timeoutMs, minTimeoutMs);
}

/**
 * openai-python `BaseClient._should_retry`: 408, 409, 429 and every status ≥ 500 are retried, as
 * are connection errors and timeouts (anything that is not an HTTP error). The `x-should-retry`
 * header is not modelled.
 */
export function openAiShouldRetry(error: unknown): boolean {
  if (!(error instanceof LlmError)) return true;
  const s = error.status;
  return s === 408 || s === 409 || s === 429 || s >= 500;
}
