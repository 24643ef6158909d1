import type { Outcome } from '../outcome.ts';
import type { Clock } from '../ports/clock.ts';
import type { TraceSink } from '../ports/trace.ts';
import { attemptAdmitted, isThenable, settleRefusal } from './attempt.ts';
import {
  type AbstractCircuitBreaker,
  newCircuitBreaker,
  type StateChangeObserver,
} from './degrade/circuit-breaker.ts';
import { DegradeException } from './degrade/errors.ts';
import {
  assertValidDegradeRule,
  type DegradeRule,
  type DegradeRuleConfig,
  degradeRule,
  sameDegradeRule,
} from './degrade/rule.ts';
import { Entry, type EntryOwner } from './entry.ts';
import { BlockException } from './errors.ts';
import {
  DefaultController,
  RateLimiterController,
  type TrafficShapingController,
  WarmUpController,
  WarmUpRateLimiterController,
} from './flow/controllers.ts';
import { FlowException } from './flow/errors.ts';
import {
  assertValidFlowRule,
  ControlBehavior,
  FlowGrade,
  type FlowRule,
  type FlowRuleConfig,
  flowRule,
} from './flow/rule.ts';
import { StatisticNode } from './statistic-node.ts';

/** Settings of a `Sentinel` (rules are loaded afterwards, as with Sentinel's rule managers). */
export interface SentinelOptions {
  /** `csp.sentinel.flow.cold.factor` for WARM_UP rules; values <= 1 fall back to 3 (SentinelConfig). @defaultValue 3 */
  readonly coldFactor?: number;
}

/** Ports of a `Sentinel`. */
export interface SentinelPorts {
  /** Time source for entries, windows, deadlines and pacing waits. */
  readonly clock: Clock;
  /** Receives `sentinel` events: `state` on every breaker transition, `block` on every refusal. @defaultValue none */
  readonly trace?: TraceSink;
}

/** Handlers for `Sentinel.run`, after `@SentinelResource`'s attributes. */
export interface RunHandlers<T> {
  /** Called with the `BlockException` when the call is refused (`blockHandler`). @defaultValue falls back to `fallback` */
  readonly blockHandler?: (error: BlockException) => T | Promise<T>;
  /** Called with the refusal (when no `blockHandler`) or a traced business error (`fallback`). @defaultValue rethrow */
  readonly fallback?: (error: unknown) => T | Promise<T>;
  /** Business errors that are traced and go to `fallback` (`exceptionsToTrace`). @defaultValue every error */
  readonly exceptionsToTrace?: (error: unknown) => boolean;
  /** Business errors rethrown untraced, checked first (`exceptionsToIgnore`). @defaultValue none */
  readonly exceptionsToIgnore?: (error: unknown) => boolean;
}

interface FlowChecker {
  readonly rule: FlowRule;
  readonly controller: TrafficShapingController;
}

const NO_BREAKERS: readonly AbstractCircuitBreaker[] = [];
const NO_FLOW: readonly FlowChecker[] = [];

/**
 * One resource's slot chain state: its statistics node (kept for the life of the Sentinel, as
 * Sentinel's ClusterNode) and the breakers and flow checkers of the rules loaded *now*.
 */
class ResourceSlot implements EntryOwner {
  readonly node: StatisticNode;
  breakers: readonly AbstractCircuitBreaker[] = NO_BREAKERS;
  flow: readonly FlowChecker[] = NO_FLOW;
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.node = new StatisticNode(clock);
  }

  // StatisticSlot.exit stamps the completion time, then DegradeSlot.exit tells every breaker the
  // resource has *now* (rules may have been reloaded since the entry passed).
  exitEntry(entry: Entry): void {
    if (entry.blockError !== undefined) return;
    entry.completeTimestampMs = this.#clock.now();
    this.node.exit();
    // Indexed loops on the entry/exit path: for-of costs an iterator per call here.
    const breakers = this.breakers;
    for (let i = 0; i < breakers.length; i++)
      (breakers[i] as AbstractCircuitBreaker).onRequestComplete(entry);
  }
}

/**
 * Sentinel 1.8.x's slot chain for one process, reduced to flow control and circuit breaking:
 * `FlowSlot` (order -2000) runs before `DegradeSlot` (order -1000) (sentinel-core/.../Constants.java),
 * so a flow-refused request never reaches a breaker; `StatisticSlot` counts passes after both.
 * No contexts, origins, call trees, system/authority/param rules or cluster mode.
 */
export class Sentinel {
  readonly #clock: Clock;
  readonly #trace: TraceSink | undefined;
  readonly #coldFactor: number;
  readonly #slots = new Map<string, ResourceSlot>();
  #lastResource: string | undefined;
  #lastSlot: ResourceSlot | undefined;
  #observers: readonly StateChangeObserver[] = [];
  readonly #notify: StateChangeObserver;

  constructor(options: SentinelOptions, ports: SentinelPorts) {
    this.#clock = ports.clock;
    this.#trace = ports.trace;
    const cf = options.coldFactor ?? 3;
    this.#coldFactor = Number.isInteger(cf) && cf > 1 ? cf : 3;
    this.#notify = (prev, next, rule, snapshotValue) => {
      this.#trace?.emit('sentinel', 'state', {
        resource: rule.resource,
        grade: rule.grade,
        prev,
        next,
        snapshot: snapshotValue,
      });
      for (const o of this.#observers) o(prev, next, rule, snapshotValue);
    };
  }

  /**
   * Replaces every degrade rule (`DegradeRuleManager.loadRules`). A rule equal to one already
   * loaded keeps its breaker and state (`getExistingSameCbOrNew`); others get a fresh CLOSED breaker.
   * Throws `InvalidRuleError` naming the field if any rule is invalid, and then loads nothing.
   */
  loadDegradeRules(rules: readonly DegradeRuleConfig[]): void {
    const full = rules.map(degradeRule);
    full.forEach(assertValidDegradeRule);
    const next = new Map<string, AbstractCircuitBreaker[]>();
    for (const rule of full) {
      const existing = this.#slots.get(rule.resource)?.breakers.find((cb) => sameDegradeRule(cb.rule, rule));
      const cb = existing ?? newCircuitBreaker(rule, { clock: this.#clock, onStateChange: this.#notify });
      const list = next.get(rule.resource);
      if (list === undefined) next.set(rule.resource, [cb]);
      else list.push(cb);
    }
    for (const slot of this.#slots.values()) slot.breakers = NO_BREAKERS;
    for (const [resource, list] of next) this.#slotOf(resource).breakers = list;
  }

  /**
   * Replaces every flow rule (`FlowRuleManager.loadRules`); each load builds fresh controllers, as
   * `FlowRuleUtil.generateRater` does. Rules on one resource are checked in the order given.
   * Throws `InvalidRuleError` naming the field if any rule is invalid, and then loads nothing.
   */
  loadFlowRules(rules: readonly FlowRuleConfig[]): void {
    const full = rules.map(flowRule);
    full.forEach(assertValidFlowRule);
    const next = new Map<string, FlowChecker[]>();
    for (const rule of full) {
      const checker = { rule, controller: this.#controllerFor(rule) };
      const list = next.get(rule.resource);
      if (list === undefined) next.set(rule.resource, [checker]);
      else list.push(checker);
    }
    for (const slot of this.#slots.values()) slot.flow = NO_FLOW;
    for (const [resource, list] of next) this.#slotOf(resource).flow = list;
  }

  /** The loaded degrade rules, grouped by resource in order of first appearance. */
  degradeRules(): DegradeRule[] {
    return [...this.#slots.values()].flatMap((s) => s.breakers.map((cb) => cb.rule));
  }

  /** The loaded flow rules, grouped by resource in order of first appearance. */
  flowRules(): FlowRule[] {
    return [...this.#slots.values()].flatMap((s) => s.flow.map((c) => c.rule));
  }

  /** The resource's breakers in rule order (empty if none), each with `.state`. */
  circuitBreakers(resource: string): readonly AbstractCircuitBreaker[] {
    return this.#slots.get(resource)?.breakers ?? NO_BREAKERS;
  }

  /** The resource's pass/thread statistics, if it has been entered or has rules. */
  node(resource: string): StatisticNode | undefined {
    return this.#slots.get(resource)?.node;
  }

  /**
   * Registers a state-change observer (`EventObserverRegistry.addStateChangeObserver`), called
   * synchronously inside each transition, in registration order. Returns a function that removes it.
   */
  onStateChange(observer: StateChangeObserver): () => void {
    this.#observers = [...this.#observers, observer];
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  /**
   * `SphU.entry(resource)`: resolves with an `Entry` once every flow rule and then every breaker
   * of the resource lets it pass (after any pacing wait, slept on the clock), or rejects with the
   * first `FlowException` / `DegradeException`. `acquireCount` is the batch count flow rules
   * charge (`SphU.entry(name, type, batchCount)`), @defaultValue 1; breakers count one request
   * per entry whatever it is, as Sentinel's do. Rejects with a `RangeError` unless `resource` is a
   * non-blank string and `acquireCount` a positive safe integer (Java's `int batchCount` cannot be
   * NaN; a NaN or negative count would poison the pass statistics and disable the flow rules).
   */
  entry(resource: string, acquireCount = 1): Promise<Entry> {
    // The common call (the last resource again, one permit) skips the argument checks. The entry
    // path is kept short so that V8 inlines all of it into the caller (see docs/sentinel.md).
    // With no flow rule nothing waits: the slot chain is the breakers, then the pass (#enter).
    const slot = this.#lastSlot;
    if (resource !== this.#lastResource || acquireCount !== 1 || slot === undefined || slot.flow.length !== 0)
      return this.#entryChecked(resource, acquireCount);
    const now = this.#clock.now();
    const entry = new Entry(resource, now, 1, slot);
    try {
      this.#degradeCheck(slot, entry, now);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(entry);
  }

  // `entry` for another resource or another count: the same, after checking the arguments.
  #entryChecked(resource: string, acquireCount: number): Promise<Entry> {
    try {
      assertResource('Sentinel.entry', resource);
      if (acquireCount !== 1 && (!Number.isSafeInteger(acquireCount) || acquireCount < 1)) {
        throw new RangeError(
          `Sentinel.entry: acquireCount must be a positive safe integer, got ${describeValue(acquireCount)}`,
        );
      }
      const r = this.#enter(resource, acquireCount);
      return r instanceof Entry ? Promise.resolve(r) : r;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Runs `fn` as `@SentinelResource` does (SentinelResourceAspect.invokeResourceWithSentinel):
   * a refusal (or a `BlockException` thrown by `fn`) goes to `blockHandler`, else to `fallback`,
   * else is rethrown. A business error from `fn` is rethrown if `exceptionsToIgnore` matches;
   * otherwise, if `exceptionsToTrace` matches (default: every error), it is recorded on the entry
   * (so the exception breakers count it) and handed to `fallback` if there is one, else rethrown.
   * The entry exits after the fallback returns, so the fallback's time is part of the response
   * time, as in the aspect's `finally`. Passing a function as `handlers` means `{ fallback }`.
   * Rejects with a `RangeError` (handed to no handler) unless `resource` is a non-blank string.
   */
  run<T>(
    resource: string,
    fn: () => T | Promise<T>,
    handlers?: ((error: unknown) => T | Promise<T>) | RunHandlers<T>,
  ): Promise<T> {
    // The common case (admitted at once, `fn` returns a plain value) needs no async frame: enter,
    // call, exit, then an already-settled promise. Every other case continues in an async helper
    // that takes over at that step; the steps up to the first await still run synchronously, so the
    // order of calls, the exit point and the number of awaits are those of one async function.
    const slot = this.#lastSlot;
    if (resource !== this.#lastResource || slot === undefined || slot.flow.length !== 0)
      return this.#runChecked(resource, fn, handlers);
    // The last resource again, without flow rules: nothing waits, the chain is the breakers
    // (#enter's steps, written out so that this path stays short enough to inline).
    const now = this.#clock.now();
    const created = new Entry(resource, now, 1, slot);
    let entry: Entry | undefined;
    let v: T | PromiseLike<T>;
    try {
      entry = this.#degradeCheck(slot, created, now);
      v = fn();
      if (isThenable(v)) return this.#runAwaiting(entry, v, handlers);
    } catch (error) {
      return this.#runThrew(entry, error, handlers);
    }
    try {
      entry.exit();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(v);
  }

  // `run` for another resource, or with flow rules: the argument check, then the whole chain.
  #runChecked<T>(
    resource: string,
    fn: () => T | Promise<T>,
    handlers: ((error: unknown) => T | Promise<T>) | RunHandlers<T> | undefined,
  ): Promise<T> {
    try {
      assertResource('Sentinel.run', resource);
    } catch (error) {
      return Promise.reject(error);
    }
    let entry: Entry | undefined;
    let v: T | PromiseLike<T>;
    try {
      const r = this.#enter(resource, 1);
      if (!(r instanceof Entry)) return this.#runAfterWait(r, fn, handlers);
      entry = r;
      v = fn();
      // A plain value needs no extra turn of the microtask queue; a promise or thenable is awaited.
      if (isThenable(v)) return this.#runAwaiting(entry, v, handlers);
    } catch (error) {
      return this.#runThrew(entry, error, handlers);
    }
    try {
      entry.exit();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(v);
  }

  /**
   * The guarded call's one shape: enters `resource` as `entry(resource, acquireCount)` does, runs
   * `fn` and exits, and reports the outcome instead of throwing. A flow rule's refusal is
   * `refused` by `'flow-rule'`, a breaker's by `'degrade-rule'` (each with the resource and the
   * rule's grade name, e.g. `'QPS'`, `'EXCEPTION_RATIO'`), and `fn` never runs. An error from `fn`
   * (a rejection or a throw) is recorded on the entry before it exits, as `run` without handlers
   * records it (so the exception breakers count it), and comes back `failed`; a `BlockException`
   * from a nested resource is `failed` too (this resource's rules admitted the call). Rejects with
   * a `RangeError` for a blank `resource` or a bad `acquireCount`, as `entry` does. An admitted
   * call costs what `run` costs: no async frame, one reaction when `fn` returns a promise.
   */
  attempt<T>(resource: string, fn: () => T | PromiseLike<T>, acquireCount = 1): Promise<Outcome<T>> {
    if (resource !== this.#lastResource || this.#lastSlot === undefined) {
      try {
        assertResource('Sentinel.attempt', resource);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (acquireCount !== 1 && (!Number.isSafeInteger(acquireCount) || acquireCount < 1)) {
      return Promise.reject(
        new RangeError(
          `Sentinel.attempt: acquireCount must be a positive safe integer, got ${describeValue(acquireCount)}`,
        ),
      );
    }
    let r: Entry | Promise<Entry>;
    try {
      r = this.#enter(resource, acquireCount);
    } catch (error) {
      return settleRefusal<T>(error);
    }
    if (r instanceof Entry) return attemptAdmitted(r, fn);
    return r.then((entry) => attemptAdmitted(entry, fn), settleRefusal<T>);
  }

  // `run` after a pacing wait: await the entry, then call `fn`.
  async #runAfterWait<T>(
    pending: Promise<Entry>,
    fn: () => T | Promise<T>,
    handlers: RunHandlers<T> | ((error: unknown) => T | Promise<T>) | undefined,
  ): Promise<T> {
    let entry: Entry | undefined;
    try {
      entry = await pending;
      const v = fn();
      return isThenable(v) ? await v : v;
    } catch (error) {
      return await this.#runFailed(entry, error, handlers);
    } finally {
      entry?.exit();
    }
  }

  // `run` once `fn` returned a promise or thenable: the entry exits when it settles. A success
  // needs one reaction, not an async frame (this is the gateway's hot path: an LLM call is async);
  // a failure goes through the same handler logic as the other paths, exiting afterwards.
  #runAwaiting<T>(
    entry: Entry,
    pending: PromiseLike<T>,
    handlers: RunHandlers<T> | ((error: unknown) => T | Promise<T>) | undefined,
  ): Promise<T> {
    return Promise.resolve(pending).then(
      (value) => {
        entry.exit();
        return value;
      },
      (error: unknown) => this.#runThrew(entry, error, handlers),
    );
  }

  // `run` when entering or `fn` threw synchronously (`entry` is undefined for a refusal).
  async #runThrew<T>(
    entry: Entry | undefined,
    error: unknown,
    handlers: RunHandlers<T> | ((error: unknown) => T | Promise<T>) | undefined,
  ): Promise<T> {
    try {
      return await this.#runFailed(entry, error, handlers);
    } finally {
      entry?.exit();
    }
  }

  // SentinelResourceAspect's catch blocks: what a refusal or a business error turns into. Returns
  // the handler's result (awaited by the caller before the entry exits) or throws.
  #runFailed<T>(
    entry: Entry | undefined,
    error: unknown,
    handlers: RunHandlers<T> | ((error: unknown) => T | Promise<T>) | undefined,
  ): T | Promise<T> {
    const h: RunHandlers<T> = typeof handlers === 'function' ? { fallback: handlers } : (handlers ?? {});
    if (error instanceof BlockException) {
      if (h.blockHandler) return h.blockHandler(error);
      if (h.fallback) return h.fallback(error);
      throw error;
    }
    if (h.exceptionsToIgnore?.(error)) throw error;
    if (h.exceptionsToTrace ? h.exceptionsToTrace(error) : true) {
      entry?.setError(error);
      if (h.fallback) return h.fallback(error);
    }
    throw error;
  }

  // The slot chain for one entry: an Entry when nothing had to wait, a promise when a pacing
  // controller made it sleep; a refusal without waiting throws the BlockException synchronously.
  #enter(resource: string, acquireCount: number): Entry | Promise<Entry> {
    const slot = this.#slotOf(resource);
    const now = this.#clock.now();
    const entry = new Entry(resource, now, acquireCount, slot);
    if (slot.flow.length !== 0) return this.#enterFlow(slot, entry, now);
    // No await has happened: the pass is counted at the entry's own timestamp.
    return this.#degradeCheck(slot, entry, now);
  }

  // FlowSlot: every flow rule in order, then the breakers (#degradeCheck).
  #enterFlow(slot: ResourceSlot, entry: Entry, now: number): Entry | Promise<Entry> {
    const acquireCount = entry.acquireCount;
    const checkers = slot.flow;
    for (let i = 0; i < checkers.length; i++) {
      const c = checkers[i];
      if (c === undefined) break;
      const wait = c.controller.canPass(slot.node, acquireCount);
      if (wait < 0) throw this.#block(entry, new FlowException(c.rule));
      if (wait > 0) return this.#enterAfterWait(slot, entry, checkers, i, wait);
    }
    // No await has happened: the pass is counted at the entry's own timestamp.
    return this.#degradeCheck(slot, entry, now);
  }

  async #enterAfterWait(
    slot: ResourceSlot,
    entry: Entry,
    checkers: readonly FlowChecker[],
    from: number,
    wait: number,
  ): Promise<Entry> {
    await this.#clock.sleep(wait);
    for (let i = from + 1; i < checkers.length; i++) {
      const c = checkers[i];
      if (c === undefined) break;
      const w = c.controller.canPass(slot.node, entry.acquireCount);
      if (w < 0) throw this.#block(entry, new FlowException(c.rule));
      if (w > 0) await this.#clock.sleep(w);
    }
    return this.#degradeCheck(slot, entry, this.#clock.now());
  }

  // DegradeSlot.performChecking: every breaker in rule order; the first refusal blocks. Then
  // StatisticSlot counts the pass and the thread, at `now`.
  #degradeCheck(slot: ResourceSlot, entry: Entry, now: number): Entry {
    const breakers = slot.breakers;
    for (let i = 0; i < breakers.length; i++) {
      const cb = breakers[i] as AbstractCircuitBreaker;
      if (!cb.tryPass(entry)) throw this.#block(entry, new DegradeException(cb.rule));
    }
    slot.node.addPass(entry.acquireCount, now);
    return entry;
  }

  /** Marks the entry refused, runs its terminate hooks, and returns the error to throw. */
  #block(entry: Entry, error: BlockException): BlockException {
    this.#trace?.emit('sentinel', 'block', {
      resource: entry.resource,
      by: error instanceof DegradeException ? 'degrade' : 'flow',
    });
    // CtSph: a refused entry exits at once; its terminate hooks (the #1638 probe hook) run then.
    entry.setBlockError(error);
    entry.exit();
    return error;
  }

  // Slots are never removed, so the last one looked up can be remembered: a gateway enters the same
  // resource over and over.
  #slotOf(resource: string): ResourceSlot {
    const last = this.#lastSlot;
    return resource === this.#lastResource && last !== undefined ? last : this.#slotOfOther(resource);
  }

  #slotOfOther(resource: string): ResourceSlot {
    let slot = this.#slots.get(resource);
    if (slot === undefined) {
      slot = new ResourceSlot(this.#clock);
      this.#slots.set(resource, slot);
    }
    this.#lastResource = resource;
    this.#lastSlot = slot;
    return slot;
  }

  // FlowRuleUtil.generateRater: shaping only for the QPS grade; THREAD always uses DefaultController.
  #controllerFor(rule: FlowRule): TrafficShapingController {
    if (rule.grade === FlowGrade.QPS) {
      const { count, warmUpPeriodMs, maxQueueingTimeMs } = rule;
      const coldFactor = this.#coldFactor;
      const ports = { clock: this.#clock };
      switch (rule.controlBehavior) {
        case ControlBehavior.WARM_UP:
          return new WarmUpController({ count, warmUpPeriodMs, coldFactor }, ports);
        case ControlBehavior.RATE_LIMITER:
          return new RateLimiterController({ count, maxQueueingTimeMs }, ports);
        case ControlBehavior.WARM_UP_RATE_LIMITER:
          return new WarmUpRateLimiterController(
            { count, warmUpPeriodMs, maxQueueingTimeMs, coldFactor },
            ports,
          );
        default:
          break;
      }
    }
    return new DefaultController({ count: rule.count, grade: rule.grade });
  }
}

// The last resource entered or given rules (`#lastResource`, once `#lastSlot` is set) is always a
// valid name, so callers check only other names: the common call costs one comparison.
function assertResource(method: string, resource: unknown): void {
  if (typeof resource !== 'string' || resource.trim() === '') {
    throw new RangeError(`${method}: resource must be a non-blank string, got ${describeValue(resource)}`);
  }
}

function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}
