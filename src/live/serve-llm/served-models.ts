import { SimFaults } from '../../../sim/faults/registry.ts';
import { registerUpstream } from '../../../sim/faults/upstream-targets.ts';
import { type LlmCallPlan, SimLlmUpstream } from '../../../sim/llm/upstream.ts';
import { timelineOf } from '../../../sim/scenarios/gateway.ts';
import type { GatewayScenario } from '../../../sim/scenarios/gateway-schema.ts';
import { expandTimeline } from '../../harness/fault-timeline.ts';
import type { Clock, TimerHandle } from '../../ports/clock.ts';
import type { FaultAction } from '../../ports/faults.ts';
import type { LlmError } from '../../ports/llm.ts';
import type { Random } from '../../ports/random.ts';

/** One provider of a scenario as `hasim serve-llm` serves it. */
export interface ServedProvider {
  /** The scenario's provider name (`primary`), also accepted as a request's `model`. */
  readonly name: string;
  /** The model id requests name and `/v1/models` lists. */
  readonly model: string;
  readonly upstream: SimLlmUpstream;
}

/** What one accepted request will do, in real milliseconds. */
export type ServedPlan =
  | {
      readonly kind: 'fail';
      readonly status: number;
      readonly message: string;
      /** Real ms the client is asked to wait (`retry-after`), when the provider sent one. */
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'hang'; readonly hangMs: number }
  | {
      readonly kind: 'serve';
      readonly ttftMs: number;
      readonly failsAtFirstToken: boolean;
      readonly outputTokens: number;
      /** Real ms between two tokens after the first (0 for a one-token answer). */
      readonly msPerToken: number;
      /** Whether `maxOutputTokens` or the request's own cap cut the drawn length. */
      readonly capped: boolean;
    };

/** One accepted request: its number for its provider (from 1) and its plan. */
export interface ServedCall {
  readonly provider: ServedProvider;
  /** The k-th request this server accepted for the provider, counted from 1. */
  readonly number: number;
  readonly plan: ServedPlan;
}

/** Options of `ServedModels`. */
export interface ServedModelsOptions {
  /** Scenario ms per real ms: 10 plays a 10-minute timeline in one minute. @defaultValue 1 */
  readonly timeScale?: number;
  /** Longest answer, tokens; a longer draw is cut (finish_reason `length`). @defaultValue 65536 */
  readonly maxOutputTokens?: number;
}

/** Default of `ServedModelsOptions.maxOutputTokens`. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 65_536;

/**
 * The providers of a gateway scenario on real time, for `hasim serve-llm`: the same
 * `SimLlmUpstream` and `ProviderFaults` a simulated run uses, and the scenario's `upstream/*`
 * fault timeline injected through the same `SimFaults` registry on the real clock. Faults on other
 * targets (Redis, MySQL) are skipped: there is nothing of them here.
 *
 * Seeded per request number: request k of provider p draws its latency, length, error-rate coin
 * and storm coin from the fork `req/<p>/<k>` of the root random, as an unloaded provider (no load
 * slowdown, no provider concurrency limit), so the same seed gives request k the same draws
 * whatever else is in flight. Which fault is in force when it arrives still depends on the time.
 */
export class ServedModels {
  readonly providers: readonly ServedProvider[];
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #faults = new SimFaults();
  readonly #timeline: readonly { readonly atMs: number; readonly action: FaultAction }[];
  readonly #timeScale: number;
  readonly #maxOutputTokens: number;
  readonly #counts = new Map<string, number>();
  readonly #timers: TimerHandle[] = [];

  constructor(
    scenario: GatewayScenario,
    options: ServedModelsOptions,
    ports: { readonly clock: Clock; readonly random: Random },
  ) {
    this.#clock = ports.clock;
    this.#random = ports.random;
    this.#timeScale = options.timeScale ?? 1;
    this.#maxOutputTokens = options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    if (!(this.#timeScale > 0) || !Number.isFinite(this.#timeScale))
      throw new RangeError(`ServedModels: timeScale must be a finite number > 0, got ${this.#timeScale}`);
    if (!Number.isSafeInteger(this.#maxOutputTokens) || this.#maxOutputTokens < 1)
      throw new RangeError(`ServedModels: maxOutputTokens must be an integer >= 1 (tokens)`);
    this.providers = scenario.topology.providers.map(({ name, ...config }) => {
      const upstream = new SimLlmUpstream(config, {
        clock: this.#clock,
        random: this.#random.fork(`llm/${name}`),
      });
      registerUpstream(this.#faults, name, upstream);
      return { name, model: config.model, upstream };
    });
    this.#timeline = expandTimeline(timelineOf(scenario)).filter((x) =>
      x.action.target.startsWith('upstream/'),
    );
  }

  /** The provider a request's `model` names: a provider's model id first, then its name. */
  find(model: string): ServedProvider | undefined {
    return this.providers.find((p) => p.model === model) ?? this.providers.find((p) => p.name === model);
  }

  /**
   * Checks every injection of the timeline against scratch providers, in order, so a bad fault
   * argument is found before the server listens. Resolves with the first problem, or undefined.
   */
  async timelineProblem(): Promise<string | undefined> {
    const scratch = new SimFaults();
    for (const p of this.providers) {
      const random = this.#random.fork('scratch');
      registerUpstream(
        scratch,
        p.name,
        new SimLlmUpstream({ model: p.model }, { clock: this.#clock, random }),
      );
    }
    for (const { atMs, action } of this.#timeline) {
      try {
        await scratch.inject(action);
      } catch (error) {
        return `fault ${action.verb} ${action.target} at ${atMs} ms: ${(error as Error).message}`;
      }
    }
    return undefined;
  }

  /**
   * Starts the fault timeline on the clock (time 0 is now): the faults at 0 ms are in force when
   * this returns, the rest are scheduled. An injection that fails goes to `onError`
   * (`timelineProblem` finds those before the start).
   */
  start(onError: (error: unknown, action: FaultAction) => void): void {
    for (const { atMs, action } of this.#timeline) {
      // SimFaults.inject runs the handler before its first await: the fault is applied at once.
      if (atMs === 0) this.#faults.inject(action).catch((error: unknown) => onError(error, action));
      else
        this.#timers.push(
          this.#clock.schedule(atMs / this.#timeScale, () => {
            this.#faults.inject(action).catch((error: unknown) => onError(error, action));
          }),
        );
    }
  }

  /** Cancels the injections still to come. */
  stop(): void {
    for (const timer of this.#timers.splice(0)) timer.cancel();
  }

  /** Accepts one request for `provider`: numbers it and draws its plan. */
  accept(
    provider: ServedProvider,
    request: { readonly prompt: string; readonly maxTokens?: number },
  ): ServedCall {
    const number = (this.#counts.get(provider.name) ?? 0) + 1;
    this.#counts.set(provider.name, number);
    const random = this.#random.fork(`req/${provider.name}/${number}`);
    const cap = Math.min(request.maxTokens ?? this.#maxOutputTokens, this.#maxOutputTokens);
    const plan = provider.upstream.plan(
      { id: number, prompt: request.prompt, maxTokens: cap },
      { random, faultsRandom: random.fork('faults'), inflight: 0 },
    );
    return { provider, number, plan: this.#real(plan, cap) };
  }

  #real(plan: LlmCallPlan, cap: number): ServedPlan {
    const scale = this.#timeScale;
    if (plan.kind === 'hang') return { kind: 'hang', hangMs: plan.hangMs / scale };
    if (plan.kind === 'fail') return failPlan(plan.error, scale);
    const { outputTokens } = plan;
    return {
      kind: 'serve',
      ttftMs: plan.ttftMs / scale,
      failsAtFirstToken: plan.failsAtFirstToken,
      outputTokens,
      msPerToken: outputTokens > 1 ? plan.decodeMs / (outputTokens - 1) / scale : 0,
      capped: outputTokens >= cap,
    };
  }
}

function failPlan(error: LlmError, scale: number): ServedPlan {
  const base = { kind: 'fail' as const, status: error.status, message: error.message };
  return error.retryAfterMs === undefined ? base : { ...base, retryAfterMs: error.retryAfterMs / scale };
}
