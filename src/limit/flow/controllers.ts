import type { Clock } from '../../ports/clock.ts';
import { FlowGrade, type FlowGradeValue } from './rule.ts';
import type { FlowNode } from './statistic-node.ts';

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

/**
 * Sentinel `DefaultController` (.../flow/controller/DefaultController.java): refuse when
 * `current + acquireCount > count`, current being `(int) passQps` (QPS) or in-flight entries (THREAD).
 * The prioritized "occupy the next window" path (`SphU.entryWithPriority`) is not modelled.
 */
export class DefaultController implements TrafficShapingController {
  readonly #count: number;
  readonly #grade: FlowGradeValue;
  constructor(count: number, grade: FlowGradeValue) {
    this.#count = count;
    this.#grade = grade;
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
 * `storedTokens` and `lastFilledTime` start at 0, so the first sync fills `(now - 0) * count / 1000`
 * tokens: with Unix-epoch time that is "full at once" (cold start); on a virtual clock starting at 0
 * the bucket fills at `count` tokens per second from t = 1 s, so the limiter starts warm and cools
 * while idle. Both are what this code does with that clock value.
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
  protected lastFilledTime = 0;
  protected readonly clock: Clock;

  constructor(count: number, warmUpPeriodSec: number, coldFactor: number, clock: Clock) {
    if (coldFactor <= 1) throw new RangeError('WarmUpController: coldFactor must be larger than 1');
    this.count = count;
    this.coldFactor = coldFactor;
    this.clock = clock;
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
    const refill = () => Math.trunc(old + ((t - this.lastFilledTime) * this.count) / 1000);
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
 */
export class RateLimiterController implements TrafficShapingController {
  readonly #maxQueueingTimeMs: number;
  readonly #count: number;
  readonly #clock: Clock;
  #latestPassedTime = -1;

  constructor(maxQueueingTimeMs: number, count: number, clock: Clock) {
    this.#maxQueueingTimeMs = maxQueueingTimeMs;
    this.#count = count;
    this.#clock = clock;
  }

  /** Clock ms at which the last reserved request passes (`latestPassedTime`, -1 before the first). */
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
 * `1 / count` below it, refusing waits above `maxQueueingTimeMs`.
 */
export class WarmUpRateLimiterController extends WarmUpController {
  readonly #timeoutMs: number;
  #latestPassedTime = -1;

  constructor(
    count: number,
    warmUpPeriodSec: number,
    maxQueueingTimeMs: number,
    coldFactor: number,
    clock: Clock,
  ) {
    super(count, warmUpPeriodSec, coldFactor, clock);
    this.#timeoutMs = maxQueueingTimeMs;
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
