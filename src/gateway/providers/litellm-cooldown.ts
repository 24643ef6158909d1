import { assert } from '../../assert.ts';
import type { Clock } from '../../ports/clock.ts';
import { nullTraceSink, type TraceSink } from '../../ports/trace.ts';

/** BerriAI/litellm `litellm/constants.py`: `DEFAULT_COOLDOWN_TIME_SECONDS = 5`. */
export const LITELLM_DEFAULT_COOLDOWN_MS = 5000;
/** `litellm/constants.py`: `DEFAULT_FAILURE_THRESHOLD_PERCENT = 0.5`. */
export const LITELLM_FAILURE_THRESHOLD = 0.5;
/** `litellm/constants.py`: `DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS = 5`. */
export const LITELLM_FAILURE_THRESHOLD_MINIMUM_REQUESTS = 5;
/** `litellm/constants.py`: `SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD = 1000`. */
export const LITELLM_SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD = 1000;

/** One clock minute's counts of a deployment (`track_deployment_metrics.py`, keyed by `%H-%M`). */
interface MinuteCounts {
  readonly minute: number;
  successes: number;
  failures: number;
}

/** A deployment's cooldown state: in rotation, or out of it until `untilMs`. */
type CooldownState = { readonly state: 'active' } | { readonly state: 'cooling'; readonly untilMs: number };

/**
 * `litellm._should_retry(status)` (`litellm/utils.py`): 408, 409, 429 and ≥ 500 are worth retrying.
 * Status 0 (a timeout) is LiteLLM's `Timeout`, whose status is 408.
 */
export function liteLlmShouldRetry(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * `_is_cooldown_required` (`litellm/router_utils/cooldown_handlers.py`): 429, 401, 408 and 404
 * among the 4xx, and every other status (≥ 500), may cool a deployment down; all other 4xx never
 * do, nor does an `APIConnectionError` (a non-HTTP error here).
 */
export function liteLlmCooldownRequired(status: number | undefined): boolean {
  if (status === undefined) return false;
  if (status >= 400 && status < 500)
    return status === 429 || status === 401 || status === 408 || status === 404;
  return true;
}

/**
 * The router's per-deployment health: success/failure counts for the current clock minute and the
 * cooldown table (`cooldown_cache.py`: a key with TTL = cooldown time; when the key expires the
 * deployment is simply back, with no half-open probe).
 */
export class DeploymentHealth {
  readonly #clock: Clock;
  readonly #trace: TraceSink;
  readonly #counts = new Map<string, MinuteCounts>();
  readonly #cooldowns = new Map<string, CooldownState>();

  constructor(ports: { readonly clock: Clock; readonly trace?: TraceSink }) {
    this.#clock = ports.clock;
    this.#trace = ports.trace ?? nullTraceSink;
  }

  /** Whether `deployment` is in cooldown now. */
  isCooling(deployment: string): boolean {
    const s = this.#cooldowns.get(deployment);
    return s !== undefined && s.state === 'cooling' && this.#clock.now() < s.untilMs;
  }

  /** Ms until `deployment` leaves cooldown (0 when it is not cooling). */
  remainingMs(deployment: string): number {
    const s = this.#cooldowns.get(deployment);
    if (s === undefined || s.state !== 'cooling') return 0;
    return Math.max(0, s.untilMs - this.#clock.now());
  }

  recordSuccess(deployment: string): void {
    this.#current(deployment).successes++;
  }

  recordFailure(deployment: string): void {
    this.#current(deployment).failures++;
  }

  /**
   * `_should_cooldown_deployment`, v2 rules (no `allowed_fails` set), read after this failure was
   * counted: (a) a 429 in a group of more than one deployment; (b) every call of this minute failed
   * and there were ≥ 1000; (c) more than half failed, ≥ 5 calls, group of more than one;
   * (d) a status `_should_retry` rejects (401, 404).
   */
  shouldCoolDown(deployment: string, status: number, groupSize: number): string | undefined {
    const c = this.#current(deployment);
    const total = c.successes + c.failures;
    const ratio = total > 0 ? c.failures / total : 0;
    if (status === 429 && groupSize > 1) return `429 in a group of ${groupSize}`;
    if (ratio === 1 && total >= LITELLM_SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD) {
      return `all ${total} calls of this minute failed`;
    }
    if (
      ratio > LITELLM_FAILURE_THRESHOLD &&
      total >= LITELLM_FAILURE_THRESHOLD_MINIMUM_REQUESTS &&
      groupSize > 1
    ) {
      return `${c.failures} of ${total} calls of this minute failed`;
    }
    if (!liteLlmShouldRetry(status)) return `status ${status} is not retryable`;
    return undefined;
  }

  /** Takes `deployment` out of rotation for `cooldownMs` and traces it; schedules the trace of its return. */
  coolDown(deployment: string, cooldownMs: number, reason: string): void {
    const untilMs = this.#clock.now() + cooldownMs;
    const state: CooldownState = { state: 'cooling', untilMs };
    this.#cooldowns.set(deployment, state);
    this.#trace.emit('upstream', 'cooldown', { model: deployment, untilMs, reason });
    this.#clock.schedule(cooldownMs, () => {
      // A later cooldown of the same deployment replaced this one: its own timer reports the end.
      if (this.#cooldowns.get(deployment) !== state) return;
      this.#cooldowns.set(deployment, { state: 'active' });
      this.#trace.emit('upstream', 'cooldown-end', { model: deployment });
    });
    assert(this.isCooling(deployment) || cooldownMs === 0, 'a deployment just cooled down is cooling');
  }

  #current(deployment: string): MinuteCounts {
    const minute = Math.floor(this.#clock.now() / 60_000);
    const c = this.#counts.get(deployment);
    if (c !== undefined && c.minute === minute) return c;
    const fresh: MinuteCounts = { minute, successes: 0, failures: 0 };
    this.#counts.set(deployment, fresh);
    return fresh;
  }
}
