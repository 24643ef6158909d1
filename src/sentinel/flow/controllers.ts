import type { Clock } from '../../ports/clock.ts';
import type { FlowNode } from '../statistic-node.ts';
import { FlowGrade, type FlowGradeValue } from './rule.ts';

/**
 * "Never happened", as a time in clock ms: -Infinity. Sentinel's controllers use -1 or 0 for it, which
 * are "long ago" only because its clock reads Unix-epoch ms (~1.7e12); this value is long ago on any
 * clock, including a virtual one that starts at 0. Arithmetic keeps it: `never + costTime <= now`.
 */
export const NEVER = Number.NEGATIVE_INFINITY;

/** `canPass` result meaning "refuse" (any value >= 0 is the pacing wait in ms before passing). */
export const BLOCK = -1;

/**
 * Sentinel's `TrafficShapingController`. Sentinel's pacing controllers `Thread.sleep` inside
 * `canPass`; here `canPass` makes the same decision and reservation synchronously and returns the
 * wait, which the caller sleeps on the injected clock before continuing.
 */
export interface TrafficShapingController {
  /** Wait in ms before the request passes (0 = at once), or `BLOCK` (-1) to refuse it. */
  canPass(node: FlowNode, acquireCount: number): number;
}

/** Ports of the pacing and warm-up controllers. */
export interface FlowControllerPorts {
  /** Time source for token syncs and pacing (Sentinel's `TimeUtil.currentTimeMillis`). */
  readonly clock: Clock;
}

/** Options of `DefaultController`. */
export interface DefaultControllerOptions {
  /** The rule's threshold: requests per second (QPS grade) or concurrent entries (THREAD grade). */
  readonly count: number;
  /** The rule's grade: 1 QPS, 0 THREAD. */
  readonly grade: FlowGradeValue;
}

/** Options of `WarmUpController`. */
export interface WarmUpControllerOptions {
  /** Stable QPS (the rule's `count`). */
  readonly count: number;
  /** Warm-up period in ms, a whole number of seconds (Sentinel's int `warmUpPeriodSec` × 1000). */
  readonly warmUpPeriodMs: number;
  /** Cold factor (> 1): the cold rate is count / coldFactor. */
  readonly coldFactor: number;
}

/** Options of `RateLimiterController`. */
export interface RateLimiterControllerOptions {
  /** Requests per second to pace to (the rule's `count`). */
  readonly count: number;
  /** Longest pacing wait in ms before a request is refused. */
  readonly maxQueueingTimeMs: number;
}

/** Options of `WarmUpRateLimiterController`. */
export interface WarmUpRateLimiterControllerOptions extends WarmUpControllerOptions {
  /** Longest pacing wait in ms before a request is refused. */
  readonly maxQueueingTimeMs: number;
}

/**
 * Sentinel `DefaultController` (.../flow/controller/DefaultController.java): refuse when
 * `current + acquireCount > count`, current being `(int) passQps` (QPS) or in-flight entries (THREAD).
 * The prioritized "occupy the next window" path (`SphU.entryWithPriority`) is not modelled.
 */
export class DefaultController implements TrafficShapingController {
  readonly #count: number;
  readonly #grade: FlowGradeValue;
  constructor(options: DefaultControllerOptions) {
    this.#count = options.count;
    this.#grade = options.grade;
  }
  canPass(node: FlowNode, acquireCount: number): number {
    const cur = this.#grade === FlowGrade.THREAD ? node.curThreadNum() : Math.trunc(node.passQps());
    return cur + acquireCount > this.#count ? BLOCK : 0;
  }
}

/**
 * Sentinel `WarmUpController` (.../flow/controller/WarmUpController.java), Guava's SmoothWarmingUp
 * turned into an admissible-QPS ceiling. Integer arithmetic where Sentinel casts to `int`/`long`.
 *
 * Sentinel 1.8 WarmUpController starts with `storedTokens = 0` and `lastFilledTime = 0`, so its first
 * `syncToken` adds `(currentTimeMillis() - 0) * count / 1000` tokens: with Unix-epoch ms (~1.7e12)
 * that is far more than `maxToken`, and the limiter starts full, i.e. cold (about count / coldFactor
 * per second). The literal 0 means "never filled". Here `lastFilledTime` starts at `NEVER` (-Infinity),
 * so the first sync fills to `maxToken` on any clock, the simulation's (from 0) included, and the
 * admissions are the ones Sentinel makes in production.
 */
export class WarmUpController implements TrafficShapingController {
  /** Stable QPS. */
  readonly count: number;
  /** Cold factor c (> 1): the cold rate is count / c. */
  readonly coldFactor: number;
  /** `(int)(warmUpPeriodSec * count) / (coldFactor - 1)`. */
  readonly warningToken: number;
  /** `warningToken + (int)(2 * warmUpPeriodSec * count / (1.0 + coldFactor))`. */
  readonly maxToken: number;
  /** `(coldFactor - 1.0) / count / (maxToken - warningToken)`. */
  readonly slope: number;
  protected storedTokens = 0;
  /** Start of the last second whose tokens were synced; `NEVER` before the first sync. */
  protected lastFilledTime = NEVER;
  protected readonly clock: Clock;

  constructor(options: WarmUpControllerOptions, ports: FlowControllerPorts) {
    const { count, coldFactor } = options;
    if (coldFactor <= 1) throw new RangeError('WarmUpController: coldFactor must be larger than 1');
    // Sentinel computes in int seconds; the rule validation keeps warmUpPeriodMs a whole number of them.
    const warmUpPeriodSec = options.warmUpPeriodMs / 1000;
    this.count = count;
    this.coldFactor = coldFactor;
    this.clock = ports.clock;
    this.warningToken = Math.trunc(Math.trunc(warmUpPeriodSec * count) / (coldFactor - 1));
    this.maxToken = this.warningToken + Math.trunc((2 * warmUpPeriodSec * count) / (1.0 + coldFactor));
    this.slope = (coldFactor - 1.0) / count / (this.maxToken - this.warningToken);
  }

  /** Tokens currently stored (the cooler, the more). */
  get tokens(): number {
    return this.storedTokens;
  }

  canPass(node: FlowNode, acquireCount: number): number {
    const passQps = Math.trunc(node.passQps());
    const previousQps = Math.trunc(node.previousPassQps());
    this.syncToken(previousQps);
    const rest = this.storedTokens;
    if (rest >= this.warningToken) {
      const above = rest - this.warningToken;
      const warningQps = nextUp(1.0 / (above * this.slope + 1.0 / this.count));
      return passQps + acquireCount <= warningQps ? 0 : BLOCK;
    }
    return passQps + acquireCount <= this.count ? 0 : BLOCK;
  }

  /** At most once per whole second: refill (coolDownTokens), then drain last second's passes. */
  protected syncToken(passQps: number): void {
    let t = this.clock.now();
    t = t - (t % 1000);
    if (t <= this.lastFilledTime) return;
    this.storedTokens = this.#coolDownTokens(t, passQps);
    this.storedTokens = Math.max(0, this.storedTokens - passQps);
    this.lastFilledTime = t;
  }

  #coolDownTokens(t: number, passQps: number): number {
    const old = this.storedTokens;
    let next = old;
    const refill = () => {
      // Never filled: the elapsed time is unbounded, so the bucket fills up to maxToken (the
      // Math.min below), as Sentinel's `currentTimeMillis() - 0` does with Unix ms. Infinity * 0 would
      // be NaN; with count 0 warningToken is 0, so this branch is not reached, but stay safe.
      if (this.lastFilledTime === NEVER) return this.count > 0 ? Number.POSITIVE_INFINITY : old;
      return Math.trunc(old + ((t - this.lastFilledTime) * this.count) / 1000);
    };
    if (old < this.warningToken) {
      next = refill();
    } else if (old > this.warningToken) {
      // Above the warning line tokens come back only while traffic is light: `(int) count / coldFactor`
      // is Java integer division.
      if (passQps < Math.trunc(Math.trunc(this.count) / this.coldFactor)) next = refill();
    }
    return Math.min(next, this.maxToken);
  }
}

/**
 * Sentinel 1.8.6 `RateLimiterController` (.../flow/controller/RateLimiterController.java; renamed
 * `ThrottlingController` in 1.8.7, whose millisecond path is the same): requests leave evenly spaced
 * `costTime = round(acquireCount / count * 1000)` ms apart; a request that would wait more than
 * `maxQueueingTimeMs` is refused; no burst credit accumulates. The 1.8.7+ nanosecond path (used when
 * `1000 % round(count) != 0` or count > 1000) is not modelled: like 1.8.6, pacing is whole ms, so
 * QPS above 1000 cannot be paced (alibaba/Sentinel#259, #1615).
 *
 * Sentinel starts `latestPassedTime` at -1: with Unix-epoch ms, `costTime - 1 <= currentTimeMillis()`
 * always holds, so the first request passes at once. Here it starts at `NEVER` (-Infinity), which
 * keeps that true on any clock; a literal -1 on a clock reading 0 would make it wait `costTime - 1` ms.
 */
export class RateLimiterController implements TrafficShapingController {
  readonly #maxQueueingTimeMs: number;
  readonly #count: number;
  readonly #clock: Clock;
  #latestPassedTime = NEVER;

  constructor(options: RateLimiterControllerOptions, ports: FlowControllerPorts) {
    this.#maxQueueingTimeMs = options.maxQueueingTimeMs;
    this.#count = options.count;
    this.#clock = ports.clock;
  }

  /** Clock ms at which the last reserved request passes (`latestPassedTime`); -Infinity before the first. */
  get latestPassedTime(): number {
    return this.#latestPassedTime;
  }

  canPass(_node: FlowNode, acquireCount: number): number {
    if (acquireCount <= 0) return 0;
    if (this.#count <= 0) return BLOCK;
    const now = this.#clock.now();
    const costTime = Math.round(((1.0 * acquireCount) / this.#count) * 1000);
    const expectedTime = costTime + this.#latestPassedTime;
    if (expectedTime <= now) {
      this.#latestPassedTime = now;
      return 0;
    }
    let waitTime = costTime + this.#latestPassedTime - now;
    if (waitTime > this.#maxQueueingTimeMs) return BLOCK;
    this.#latestPassedTime += costTime;
    waitTime = this.#latestPassedTime - now;
    if (waitTime > this.#maxQueueingTimeMs) {
      this.#latestPassedTime -= costTime;
      return BLOCK;
    }
    return Math.max(waitTime, 0);
  }
}

/**
 * Sentinel `WarmUpRateLimiterController` (.../flow/controller/WarmUpRateLimiterController.java): the
 * warm-up token sync, then pacing whose interval is `1 / warningQps` above the warning line and
 * `1 / count` below it, refusing waits above `maxQueueingTimeMs`. Its `latestPassedTime` (-1 in
 * Sentinel) starts at `NEVER` for the same reason as in `RateLimiterController`.
 */
export class WarmUpRateLimiterController extends WarmUpController {
  readonly #timeoutMs: number;
  #latestPassedTime = NEVER;

  constructor(options: WarmUpRateLimiterControllerOptions, ports: FlowControllerPorts) {
    super(options, ports);
    this.#timeoutMs = options.maxQueueingTimeMs;
  }

  override canPass(node: FlowNode, acquireCount: number): number {
    const previousQps = Math.trunc(node.previousPassQps());
    this.syncToken(previousQps);
    const now = this.clock.now();
    const rest = this.storedTokens;
    let costTime: number;
    if (rest >= this.warningToken) {
      const above = rest - this.warningToken;
      const warmingQps = nextUp(1.0 / (above * this.slope + 1.0 / this.count));
      costTime = Math.round(((1.0 * acquireCount) / warmingQps) * 1000);
    } else {
      costTime = Math.round(((1.0 * acquireCount) / this.count) * 1000);
    }
    const expectedTime = costTime + this.#latestPassedTime;
    if (expectedTime <= now) {
      this.#latestPassedTime = now;
      return 0;
    }
    let waitTime = costTime + this.#latestPassedTime - now;
    if (waitTime > this.#timeoutMs) return BLOCK;
    this.#latestPassedTime += costTime;
    waitTime = this.#latestPassedTime - now;
    if (waitTime > this.#timeoutMs) {
      this.#latestPassedTime -= costTime;
      return BLOCK;
    }
    return Math.max(waitTime, 0);
  }
}

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Java's `Math.nextUp(double)`: the next representable double towards +Infinity. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  i64[0] = i64[0]! + (x > 0 ? 1n : -1n);
  return f64[0]!;
}
