// The three load balancers of ShardingSphere 5.x (infra/algorithm/type/load-balancer/type/...), with
// the JDK's ThreadLocalRandom replaced by the injected Random so runs are reproducible.
import { nextInt, type Random } from '../ports/random.ts';

/** A replica chooser: `LoadBalanceAlgorithm.getTargetName(groupName, availableTargetNames)`. */
export interface LoadBalancer {
  /** `'ROUND_ROBIN' | 'RANDOM' | 'WEIGHT'`. */
  readonly type: LoadBalancerType;
  /** Picks one of `availableTargetNames` (non-empty in normal use; see each type for the empty case). */
  getTargetName(groupName: string, availableTargetNames: readonly string[]): string;
}

/** Load-balancer types ShardingSphere 5.x ships for readwrite-splitting. */
export type LoadBalancerType = 'ROUND_ROBIN' | 'RANDOM' | 'WEIGHT';

/** Thrown where ShardingSphere's algorithm would throw (empty list, index out of bounds, bad weights). */
export class LoadBalancerError extends Error {
  override readonly name = 'LoadBalancerError';
}

const INT_MIN = -2147483648;

/**
 * ROUND_ROBIN (RoundRobinLoadBalanceAlgorithm, the default type): one `AtomicInteger` counter per
 * algorithm instance, `targets.get(Math.abs(count.getAndIncrement()) % targets.size())`. The counter
 * is a Java int: after 2^31 picks it wraps to `Integer.MIN_VALUE`, whose `Math.abs` is still negative,
 * so with a non-power-of-two list size that one pick is an index out of bounds (Java throws
 * IndexOutOfBoundsException; so do we). Disabling a replica shrinks the list and shifts the sequence.
 */
export class RoundRobinLoadBalancer implements LoadBalancer {
  readonly type = 'ROUND_ROBIN';
  private count: number;

  /** @param startCount initial counter value, a Java int (default 0); lets tests reach the wrap-around. */
  constructor(startCount = 0) {
    this.count = startCount | 0;
  }

  getTargetName(_groupName: string, targets: readonly string[]): string {
    const current = this.count;
    this.count = (this.count + 1) | 0; // AtomicInteger.getAndIncrement wraps at Integer.MAX_VALUE
    if (targets.length === 0)
      throw new LoadBalancerError('ROUND_ROBIN: / by zero (no available read data source)');
    const abs = current === INT_MIN ? INT_MIN : Math.abs(current);
    const index = abs % targets.length;
    if (index < 0) {
      throw new LoadBalancerError(`ROUND_ROBIN: Index ${index} out of bounds for length ${targets.length}`);
    }
    return targets[index]!;
  }
}

/** RANDOM (RandomLoadBalanceAlgorithm): `targets.get(random.nextInt(targets.size()))`. */
export class RandomLoadBalancer implements LoadBalancer {
  readonly type = 'RANDOM';
  constructor(private readonly random: Random) {}

  getTargetName(_groupName: string, targets: readonly string[]): string {
    // ThreadLocalRandom.nextInt(0) throws IllegalArgumentException("bound must be positive").
    if (targets.length === 0)
      throw new LoadBalancerError('RANDOM: bound must be positive (no available read data source)');
    return targets[nextInt(this.random, targets.length)]!;
  }
}

const ACCURACY_THRESHOLD = 0.0001;

/**
 * WEIGHT (WeightLoadBalanceAlgorithm): every read data source has a weight (a Java double; Infinity
 * counts as 10000, NaN as 1); weights are normalised over the *available* targets into cumulative
 * bounds and a uniform draw in [0, 1) is binary-searched. Positive weights only are normalised (a
 * zero weight is never picked). The cumulative array is cached per group and recomputed only when
 * the number of available targets changes, as in ShardingSphere.
 */
export class WeightLoadBalancer implements LoadBalancer {
  readonly type = 'WEIGHT';
  private readonly cache = new Map<string, number[]>();

  /** @param weights weight per read data source name, already parsed (see parseWeight). */
  constructor(
    private readonly weights: ReadonlyMap<string, number>,
    private readonly random: Random,
  ) {}

  getTargetName(groupName: string, targets: readonly string[]): string {
    if (targets.length === 0) throw new LoadBalancerError('WEIGHT: no available read data source');
    let cumulative = this.cache.get(groupName);
    if (!cumulative || cumulative.length !== targets.length) {
      cumulative = this.cumulativeWeights(targets);
      this.cache.set(groupName, cumulative);
    }
    const draw = this.random.next();
    // Arrays.binarySearch: exact hit returns that index; otherwise the insertion point.
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = cumulative[mid]!;
      if (v < draw) lo = mid + 1;
      else if (v > draw) hi = mid - 1;
      else return targets[mid]!;
    }
    return lo < cumulative.length && draw < cumulative[lo]! ? targets[lo]! : targets[targets.length - 1]!;
  }

  private cumulativeWeights(targets: readonly string[]): number[] {
    const exact = targets.map((name) => {
      const w = this.weights.get(name);
      if (w === undefined) throw new LoadBalancerError(`WEIGHT: weight of target \`${name}\` is required`);
      return w === Number.POSITIVE_INFINITY || w === Number.NEGATIVE_INFINITY
        ? 10000
        : Number.isNaN(w)
          ? 1
          : w;
    });
    const sum = exact.reduce((a, b) => a + b, 0);
    let range = 0;
    const result = exact.map((w) => {
      range += w > 0 ? w / sum : w;
      return range;
    });
    if (result.length > 0 && Math.abs(result.at(-1)! - 1) >= ACCURACY_THRESHOLD) {
      throw new LoadBalancerError(
        'WEIGHT: the cumulative weight is calculated incorrectly, and the sum of the probabilities is not equal to 1',
      );
    }
    return result;
  }
}

/** Java `Double.parseDouble` for a weight property (a number, or text such as "2", "0.5", "Infinity", "NaN"). */
export function parseWeight(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const t = value.trim();
  if (t === 'NaN' || t === '+NaN' || t === '-NaN') return Number.NaN;
  if (/^[+-]?Infinity$/.test(t))
    return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?$/.test(t)) return undefined;
  return Number.parseFloat(t);
}
