import type { Clock } from '../../ports/clock.ts';
import { OneBucketWindow } from '../leap-array.ts';
import { assertValidDegradeRule, DegradeGrade, type DegradeRule } from './rule.ts';

/** `CircuitBreaker.State`. */
export type CircuitBreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * The breaker's state with what each state needs. `nextRetryTimestampMs` survives HALF_OPEN because
 * the #1638 hook (below) reopens without moving it, as AbstractCircuitBreaker's volatile field does.
 */
export type BreakerPhase =
  | { readonly state: 'CLOSED' }
  | { readonly state: 'OPEN'; readonly nextRetryTimestampMs: number }
  | { readonly state: 'HALF_OPEN'; readonly nextRetryTimestampMs: number };

/**
 * `CircuitBreakerStateChangeObserver.onStateChange`. `snapshotValue` is what Sentinel passes: the
 * ratio or count that tripped a CLOSED → OPEN change, 1.0 for HALF_OPEN → OPEN, null for → HALF_OPEN
 * and → CLOSED.
 */
export type StateChangeObserver = (
  prev: CircuitBreakerState,
  next: CircuitBreakerState,
  rule: DegradeRule,
  snapshotValue: number | null,
) => void;

/** What a breaker reads from a completed request (Sentinel's `Entry` as seen by `onRequestComplete`). */
export interface CompletedRequest {
  /** Clock ms when the entry was created (before any flow-control wait). */
  readonly createTimestampMs: number;
  /**
   * Clock ms when it exited; 0 or less means "not stamped, use now" (ResponseTimeCircuitBreaker).
   * When stamped it is also the instant the breaker counts at: in Sentinel's exit path
   * StatisticSlot.exit stamps it just before DegradeSlot.exit reads the (cached, ms) clock again.
   */
  readonly completeTimestampMs: number;
  /** The traced error, if any (`Entry.getError()`); `undefined` is a success. */
  readonly error: unknown;
}

/** Where a probe registers its "blocked later in the chain" hook (`Entry.whenTerminate`). */
export interface TerminateHooks {
  whenTerminate(handler: (blocked: boolean) => void): void;
}

/** Ports and wiring of a breaker. */
export interface CircuitBreakerPorts {
  /** Time source for windows and retry deadlines (Sentinel's `TimeUtil.currentTimeMillis`). */
  readonly clock: Clock;
  /** Called synchronously inside every transition (`EventObserverRegistry`). */
  readonly onStateChange?: StateChangeObserver;
}

/**
 * Sentinel 1.8.x `AbstractCircuitBreaker` (sentinel-core/.../degrade/circuitbreaker/AbstractCircuitBreaker.java).
 * State changes are lazy: there is no timer; OPEN becomes HALF_OPEN when the first entry at or after
 * the retry deadline asks to pass, and that single entry is the probe.
 */
export abstract class AbstractCircuitBreaker {
  /** The rule this breaker enforces (defaults filled). */
  readonly rule: DegradeRule;
  /** `timeWindow * 1000` in Sentinel: how long the breaker stays OPEN, in ms. */
  readonly recoveryTimeoutMs: number;
  protected readonly clock: Clock;
  /** The one epoch-aligned bucket of `statIntervalMs`: bad (slow or failed) and total completions. */
  protected readonly stat: OneBucketWindow;
  #phase: BreakerPhase = CLOSED;
  readonly #observer: StateChangeObserver | undefined;

  constructor(rule: DegradeRule, ports: CircuitBreakerPorts) {
    // AbstractCircuitBreaker's constructor: an invalid rule is an IllegalArgumentException.
    assertValidDegradeRule(rule);
    this.rule = rule;
    this.recoveryTimeoutMs = rule.timeWindowMs;
    this.clock = ports.clock;
    this.#observer = ports.onStateChange;
    this.stat = new OneBucketWindow(rule.statIntervalMs);
  }

  /** `'CLOSED' | 'OPEN' | 'HALF_OPEN'`. */
  get state(): CircuitBreakerState {
    return this.#phase.state;
  }

  /** The full state, with the retry deadline (clock ms) when OPEN or HALF_OPEN. */
  get phase(): BreakerPhase {
    return this.#phase;
  }

  /**
   * Asked at entry (`DegradeSlot.performChecking`). CLOSED passes; HALF_OPEN refuses (the probe is
   * out); OPEN passes only when `now >= nextRetryTimestamp` (inclusive) AND this call is the one that
   * moves OPEN → HALF_OPEN, so exactly one probe passes per recovery attempt.
   */
  tryPass(entry: TerminateHooks): boolean {
    // CLOSED is one shared object: the common case is one comparison, short enough to inline.
    return this.#phase === CLOSED || this.#tryPassNotClosed(entry);
  }

  #tryPassNotClosed(entry: TerminateHooks): boolean {
    const phase = this.#phase;
    if (phase.state === 'CLOSED') return true;
    if (phase.state === 'OPEN') {
      return this.clock.now() >= phase.nextRetryTimestampMs && this.#fromOpenToHalfOpen(phase, entry);
    }
    return false;
  }

  /**
   * Called at exit for every request that passed (`DegradeSlot.exit`), whatever state it was
   * admitted in: counts it in the current window at its completion time, then decides. The
   * skeleton is both Sentinel breakers' `onRequestComplete`; the grade decides only what "bad"
   * means and when the window's counts trip the breaker.
   */
  onRequestComplete(request: CompletedRequest): void {
    const now = request.completeTimestampMs > 0 ? request.completeTimestampMs : this.clock.now();
    const bad = this.isBad(request, now);
    const w = this.stat;
    w.roll(now);
    if (bad) w.bad++;
    w.total++;
    if (this.#phase !== CLOSED) {
      this.#completeNotClosed(bad);
      return;
    }
    // values(now) of the one bucket just counted into: its own counters.
    const total = w.total;
    if (total < this.rule.minRequestAmount) return;
    const tripped = this.trippedValue(w.bad, total);
    if (tripped !== undefined) this.#transformToOpen(tripped);
  }

  // onRequestComplete's decision when the breaker is OPEN or HALF_OPEN.
  #completeNotClosed(bad: boolean): void {
    if (this.#phase.state !== 'HALF_OPEN') return;
    // The completion decides alone, whichever request it is (the probe or a straggler).
    if (bad) this.#transformToOpen(1.0);
    else this.#fromHalfOpenToClose();
  }

  /** Whether the completed request counts against the threshold (slow, or failed). */
  protected abstract isBad(request: CompletedRequest, now: number): boolean;

  /** The snapshot value if `bad` of `total` completions trip the rule (strictly), else undefined. */
  protected abstract trippedValue(bad: number, total: number): number | undefined;

  /** Zeroes the current window (`resetStat`, only called on HALF_OPEN → CLOSED). */
  #resetStat(): void {
    this.stat.reset(this.clock.now());
  }

  #fromOpenToHalfOpen(phase: { nextRetryTimestampMs: number }, entry: TerminateHooks): boolean {
    // Single-threaded, so the CAS always succeeds here; one caller per event-loop turn reaches it.
    this.#phase = { state: 'HALF_OPEN', nextRetryTimestampMs: phase.nextRetryTimestampMs };
    this.#notify('OPEN', 'HALF_OPEN', null);
    entry.whenTerminate((blocked) => {
      // Sentinel's workaround for alibaba/Sentinel#1638: if a later rule blocked the probe, go back
      // to OPEN without moving the retry deadline, so the next request probes again. Sentinel
      // notifies even when its CAS fails.
      if (blocked) {
        const now = this.#phase;
        if (now.state === 'HALF_OPEN') {
          this.#phase = { state: 'OPEN', nextRetryTimestampMs: now.nextRetryTimestampMs };
        }
        this.#notify('HALF_OPEN', 'OPEN', 1.0);
      }
    });
    return true;
  }

  /** `transformToOpen`: CLOSED → OPEN or HALF_OPEN → OPEN, with the retry deadline moved to now + recovery. */
  #transformToOpen(snapshotValue: number): void {
    const prev = this.#phase.state;
    if (prev === 'OPEN') return;
    this.#phase = { state: 'OPEN', nextRetryTimestampMs: this.clock.now() + this.recoveryTimeoutMs };
    this.#notify(prev, 'OPEN', snapshotValue);
  }

  /** `fromHalfOpenToClose`: resets the current window (the probe's own count included), then notifies. */
  #fromHalfOpenToClose(): void {
    if (this.#phase.state !== 'HALF_OPEN') return;
    this.#phase = CLOSED;
    this.#resetStat();
    this.#notify('HALF_OPEN', 'CLOSED', null);
  }

  #notify(prev: CircuitBreakerState, next: CircuitBreakerState, snapshotValue: number | null): void {
    this.#observer?.(prev, next, this.rule, snapshotValue);
  }
}

const CLOSED: BreakerPhase = { state: 'CLOSED' };

/**
 * Sentinel 1.8.x `ResponseTimeCircuitBreaker`: grade 0, slow-request ratio. A request is slow when
 * `rt > Math.round(count)` (strict). Statistics: one bucket of `statIntervalMs`, aligned to the
 * epoch, counted at completion time.
 */
export class ResponseTimeCircuitBreaker extends AbstractCircuitBreaker {
  /** `Math.round(count)`: the largest response time (ms) that is not slow. */
  readonly maxAllowedRtMs: number;

  constructor(rule: DegradeRule, ports: CircuitBreakerPorts) {
    super(rule, ports);
    if (rule.grade !== DegradeGrade.RT)
      throw new RangeError('ResponseTimeCircuitBreaker: rule.grade must be 0');
    this.maxAllowedRtMs = Math.round(rule.count);
  }

  /** Slow and total counts of the current window. */
  windowCounts(): { slow: number; total: number } {
    const w = this.stat;
    w.roll(this.clock.now());
    return { slow: w.bad, total: w.total };
  }

  protected isBad(request: CompletedRequest, now: number): boolean {
    return now - request.createTimestampMs > this.maxAllowedRtMs;
  }

  protected trippedValue(slow: number, total: number): number | undefined {
    const ratio = slow / total;
    // Strict, plus the #1779 special case (1.8.1+): a 1.0 threshold trips at exactly 100 % slow.
    const threshold = this.rule.slowRatioThreshold;
    return ratio > threshold || (ratio === threshold && ratio === 1.0) ? ratio : undefined;
  }
}

/**
 * Sentinel 1.8.x `ExceptionCircuitBreaker`: grade 1 (errors / total > count) and grade 2
 * (errors > count), both strict, both gated by `minRequestAmount` completions in the window.
 */
export class ExceptionCircuitBreaker extends AbstractCircuitBreaker {
  constructor(rule: DegradeRule, ports: CircuitBreakerPorts) {
    super(rule, ports);
    if (rule.grade !== DegradeGrade.EXCEPTION_RATIO && rule.grade !== DegradeGrade.EXCEPTION_COUNT) {
      throw new RangeError('ExceptionCircuitBreaker: rule.grade must be 1 or 2');
    }
  }

  /** Error and total counts of the current window. */
  windowCounts(): { errors: number; total: number } {
    const w = this.stat;
    w.roll(this.clock.now());
    return { errors: w.bad, total: w.total };
  }

  protected isBad(request: CompletedRequest): boolean {
    return request.error !== undefined && request.error !== null;
  }

  protected trippedValue(errors: number, total: number): number | undefined {
    const value = this.rule.grade === DegradeGrade.EXCEPTION_RATIO ? errors / total : errors;
    return value > this.rule.count ? value : undefined;
  }
}

/** `DegradeRuleManager.newCircuitBreakerFrom`: the breaker class for the rule's grade. */
export function newCircuitBreaker(rule: DegradeRule, ports: CircuitBreakerPorts): AbstractCircuitBreaker {
  return rule.grade === DegradeGrade.RT
    ? new ResponseTimeCircuitBreaker(rule, ports)
    : new ExceptionCircuitBreaker(rule, ports);
}
