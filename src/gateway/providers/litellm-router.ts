import { assert } from '../../assert.ts';
import { admitted, failed, type Outcome } from '../../outcome.ts';
import type { Clock } from '../../ports/clock.ts';
import { LlmError, type LlmUpstream } from '../../ports/llm.ts';
import { nextInt, type Random } from '../../ports/random.ts';
import {
  DeploymentHealth,
  LITELLM_DEFAULT_COOLDOWN_MS,
  liteLlmCooldownRequired,
} from './litellm-cooldown.ts';
import { openAiRetryDelayMs } from './openai-backoff.ts';
import {
  AttemptLog,
  callWithTimeout,
  checkCount,
  checkMs,
  checkUpstreams,
  type NextStep,
  NoDeploymentsAvailableError,
  type ProviderAnswer,
  type ProviderContext,
  type ProviderPolicy,
  type ProviderPorts,
  type ProviderRequest,
  ProviderTimeoutError,
  stripSignal,
} from './policy.ts';

/** BerriAI/litellm `litellm/constants.py`: `DEFAULT_MAX_RETRIES = 2`. */
export const LITELLM_DEFAULT_NUM_RETRIES = 2;
/** `litellm/constants.py`: `ROUTER_MAX_FALLBACKS = 5` (BerriAI/litellm#6498). */
export const LITELLM_ROUTER_MAX_FALLBACKS = 5;
/** `litellm/constants.py`: `request_timeout = 6000` s. */
export const LITELLM_DEFAULT_TIMEOUT_MS = 6_000_000;

/** Options of `LiteLlmRouterPolicy` (a `Router(...)` config in ms; see `fromLiteLlmConfig`). */
export interface LiteLlmRouterOptions {
  /**
   * The deployments. Deployments with the same `model` form one model group; the first group is
   * the one requested and the later groups are its ordered `fallbacks`.
   */
  readonly upstreams: readonly LlmUpstream[];
  /** `num_retries` per model group. @defaultValue 2 */
  readonly numRetries?: number;
  /** `cooldown_time` in ms; 0 disables cooldowns. @defaultValue 5000 */
  readonly cooldownMs?: number;
  /** `retry_after`: the floor of every backoff, ms. @defaultValue 0 */
  readonly retryAfterMs?: number;
  /** `timeout` of each call, ms (a `litellm.Timeout` is a 408). @defaultValue 6_000_000 */
  readonly timeoutMs?: number;
  /**
   * `routing_strategy`: `'simple-shuffle'` picks a healthy deployment uniformly at random (no
   * weights), `'order'` the first healthy one in list order. @defaultValue 'simple-shuffle'
   */
  readonly routingStrategy?: 'simple-shuffle' | 'order';
  /** Fallback groups tried at most (`ROUTER_MAX_FALLBACKS`). @defaultValue 5 */
  readonly maxFallbacks?: number;
}

/** A deployment and its label in traces (`model`, or `model#k` in a group of several). */
interface Deployment {
  readonly label: string;
  readonly upstream: LlmUpstream;
}

interface ModelGroup {
  readonly name: string;
  readonly deployments: readonly Deployment[];
}

/** What one model group's retry loop (or one call of it) ended with. */
type GroupResult =
  | { readonly kind: 'answered'; readonly answer: ProviderAnswer }
  | { readonly kind: 'failed'; readonly error: unknown; readonly retry: boolean }
  | { readonly kind: 'aborted'; readonly reason: unknown };

/**
 * Where a call sits in its group's loop: the `'first'` call (then `should_retry_this_error`
 * decides), the `'only'` one (`num_retries` = 0), a `'retry'`, or the `'final'` retry (after
 * which the loop still waits once, then the group is done).
 */
type Phase = 'first' | 'only' | 'retry' | 'final';

/**
 * LiteLLM's `Router` (BerriAI/litellm `litellm/router.py` `async_function_with_fallbacks` and
 * `async_function_with_retries`, `litellm/router_utils/cooldown_handlers.py`): per model group,
 * one call and up to `num_retries` retries, each on a deployment picked among those not cooling
 * down; then the ordered fallback groups, each with its own retries. Cooldowns follow the v2 rules
 * (see `DeploymentHealth`); the wait between calls follows `_time_to_sleep_before_retry`.
 */
export class LiteLlmRouterPolicy implements ProviderPolicy {
  readonly name = 'litellm-router';
  readonly #groups: readonly ModelGroup[];
  readonly #numRetries: number;
  readonly #cooldownMs: number;
  readonly #retryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #routing: 'simple-shuffle' | 'order';
  readonly #ports: ProviderPorts;
  readonly #clock: Clock;
  readonly #random: Random;
  /** Per-deployment minute counts and cooldowns; shared by every request of this router. */
  readonly health: DeploymentHealth;

  constructor(options: LiteLlmRouterOptions, ports: ProviderPorts) {
    const owner = 'LiteLlmRouterPolicy';
    const maxFallbacks = checkCount(
      owner,
      'maxFallbacks',
      options.maxFallbacks ?? LITELLM_ROUTER_MAX_FALLBACKS,
      0,
      1000,
    );
    this.#groups = groupDeployments(checkUpstreams(owner, options.upstreams)).slice(0, 1 + maxFallbacks);
    this.#numRetries = checkCount(
      owner,
      'numRetries',
      options.numRetries ?? LITELLM_DEFAULT_NUM_RETRIES,
      0,
      100,
    );
    this.#cooldownMs = checkMs(owner, 'cooldownMs', options.cooldownMs ?? LITELLM_DEFAULT_COOLDOWN_MS);
    this.#retryAfterMs = checkMs(owner, 'retryAfterMs', options.retryAfterMs ?? 0);
    this.#timeoutMs = checkMs(owner, 'timeoutMs', options.timeoutMs ?? LITELLM_DEFAULT_TIMEOUT_MS, 1, true);
    this.#routing = options.routingStrategy ?? 'simple-shuffle';
    if (this.#routing !== 'simple-shuffle' && this.#routing !== 'order') {
      throw new RangeError(
        `${owner}: routingStrategy must be 'simple-shuffle' or 'order', got ${this.#routing}`,
      );
    }
    this.#ports = ports;
    this.#clock = ports.clock;
    this.#random = ports.random;
    this.health = new DeploymentHealth(ports);
  }

  async call(request: ProviderRequest, context: ProviderContext): Promise<Outcome<ProviderAnswer>> {
    const log = new AttemptLog(context, this.#ports);
    let lastError: unknown;
    for (let g = 0; g < this.#groups.length; g++) {
      const group = this.#groups[g];
      if (group === undefined) continue;
      const result = await this.#tryGroup(group, g + 1 < this.#groups.length, request, log);
      if (result.kind === 'answered') return admitted(result.answer);
      if (result.kind === 'aborted') return failed(result.reason);
      lastError = result.error;
    }
    return failed(lastError);
  }

  /**
   * One model group: a call, then (when `should_retry_this_error` allows) `num_retries` more, with
   * `_time_to_sleep_before_retry` before each and, as the router's loop does, once more after the
   * last failed retry. The wait's Retry-After and the reported error are the group's first error.
   */
  async #tryGroup(
    group: ModelGroup,
    hasFallbacks: boolean,
    request: ProviderRequest,
    log: AttemptLog,
  ): Promise<GroupResult> {
    const first = await this.#step(
      group,
      request,
      log,
      hasFallbacks,
      this.#numRetries > 0 ? 'first' : 'only',
    );
    if (first.kind !== 'failed' || !first.retry) return first;
    const original = first.error;
    for (let retry = 0; retry <= this.#numRetries; retry++) {
      // The first wait uses remaining_retries = num_retries (exponent 0); the wait after retry k
      // (0-based) uses num_retries − k, so the exponents run 0, 0, 1, 2, … (router.py).
      const exponent = retry === 0 ? 0 : retry - 1;
      try {
        await this.#clock.sleep(this.#sleepBeforeRetryMs(group, original, exponent), request.signal);
      } catch (aborted) {
        return { kind: 'aborted', reason: aborted };
      }
      if (retry === this.#numRetries) break;
      const phase: Phase = retry + 1 === this.#numRetries ? 'final' : 'retry';
      const step = await this.#step(group, request, log, hasFallbacks, phase);
      if (step.kind !== 'failed') return step;
    }
    return { kind: 'failed', error: original, retry: false };
  }

  /** Picks a deployment and calls it; `retry` in a failure says whether the group's loop goes on. */
  async #step(
    group: ModelGroup,
    request: ProviderRequest,
    log: AttemptLog,
    hasFallbacks: boolean,
    phase: Phase,
  ): Promise<GroupResult> {
    const deployment = this.#pick(group);
    if (deployment === undefined) {
      const error = new NoDeploymentsAvailableError(group.name, this.#soonestReturnMs(group));
      return { kind: 'failed', error, retry: phase === 'retry' || phase === 'final' };
    }
    const { n, startMs } = log.start(deployment.label);
    try {
      const response = await callWithTimeout(
        deployment.upstream,
        stripSignal(request),
        this.#timeoutMs,
        this.#clock,
        request.signal,
      );
      this.health.recordSuccess(deployment.label);
      log.answered(deployment.label, n, startMs, response);
      return { kind: 'answered', answer: { response, model: deployment.label, attempts: log.calls } };
    } catch (error) {
      if (request.signal?.aborted) {
        log.failed(deployment.label, n, error, 'exhausted');
        return { kind: 'aborted', reason: error };
      }
      const cooled = this.#afterFailure(group, deployment, error);
      const retry =
        phase === 'retry' ||
        phase === 'final' ||
        (phase === 'first' && this.#shouldRetryThisError(group, error, hasFallbacks));
      const another = phase !== 'final' && retry;
      const goesOn = another || hasFallbacks;
      const next: NextStep =
        cooled && goesOn ? 'cooldown' : another ? 'retry' : goesOn ? 'fallback' : 'exhausted';
      log.failed(deployment.label, n, error, next);
      return { kind: 'failed', error, retry };
    }
  }

  /** Counts the failure and applies `_set_cooldown_deployments`; returns whether it cooled the deployment. */
  #afterFailure(group: ModelGroup, deployment: Deployment, error: unknown): boolean {
    this.health.recordFailure(deployment.label);
    const status = liteLlmStatus(error);
    if (this.#cooldownMs === 0 || !liteLlmCooldownRequired(status)) return false;
    const reason = this.health.shouldCoolDown(deployment.label, status ?? 500, group.deployments.length);
    if (reason === undefined) return false;
    this.health.coolDown(deployment.label, this.#cooldownMs, reason);
    assert(this.health.isCooling(deployment.label), 'a cooled deployment is out of rotation');
    return true;
  }

  /**
   * `should_retry_this_error` (router.py): never retry a 404; a 429 goes straight to the fallbacks
   * when the group has no healthy deployment left; a 401 is not retried in a one-deployment group;
   * nothing is retried when no deployment of the group is healthy.
   */
  #shouldRetryThisError(group: ModelGroup, error: unknown, hasFallbacks: boolean): boolean {
    if (this.#numRetries === 0) return false;
    const status = liteLlmStatus(error);
    const healthy = this.#healthy(group).length;
    if (status === 404) return false;
    if (status === 429 && healthy <= 0 && hasFallbacks) return false;
    if (status === 401 && group.deployments.length <= 1) return false;
    return healthy > 0;
  }

  /**
   * `_time_to_sleep_before_retry` (router.py; BerriAI/litellm `tests/local_testing/test_router_retries.py`
   * pins it): 0 when the group has another deployment and at least one is healthy (the retry goes
   * elsewhere at once, whatever the error); otherwise `_calculate_retry_after`, the openai-python
   * backoff floored at `retry_after`, honouring the first error's Retry-After (0 < v ≤ 60 s).
   */
  #sleepBeforeRetryMs(group: ModelGroup, original: unknown, exponent: number): number {
    if (group.deployments.length > 1 && this.#healthy(group).length > 0) return 0;
    const retryAfterMs = original instanceof LlmError ? original.retryAfterMs : undefined;
    return openAiRetryDelayMs(exponent, retryAfterMs, this.#random, this.#retryAfterMs);
  }

  #healthy(group: ModelGroup): readonly Deployment[] {
    return group.deployments.filter((d) => !this.health.isCooling(d.label));
  }

  /** `simple-shuffle` (unweighted) or `order` over the deployments not cooling down. */
  #pick(group: ModelGroup): Deployment | undefined {
    const healthy = this.#healthy(group);
    if (healthy.length === 0) return undefined;
    if (this.#routing === 'order' || healthy.length === 1) return healthy[0];
    return healthy[nextInt(this.#random, healthy.length)];
  }

  #soonestReturnMs(group: ModelGroup): number {
    return Math.min(...group.deployments.map((d) => this.health.remainingMs(d.label)));
  }
}

/**
 * The status LiteLLM maps an error to: the provider's, 408 for a `litellm.Timeout`, and none for a
 * connection error (`APIConnectionError`, which never cools a deployment down).
 */
function liteLlmStatus(error: unknown): number | undefined {
  if (error instanceof LlmError) return error.status;
  if (error instanceof ProviderTimeoutError) return 408;
  return undefined;
}

/** Groups deployments by `model`, groups in order of first appearance. */
function groupDeployments(upstreams: readonly LlmUpstream[]): readonly ModelGroup[] {
  const byModel = new Map<string, LlmUpstream[]>();
  for (const u of upstreams) {
    const list = byModel.get(u.model);
    if (list === undefined) byModel.set(u.model, [u]);
    else list.push(u);
  }
  return [...byModel].map(([name, list]) => ({
    name,
    deployments: list.map((upstream, k) => ({ upstream, label: list.length > 1 ? `${name}#${k}` : name })),
  }));
}
