/**
 * The only source of chance for components. Seeded, so the same seed gives the same draws; each
 * component draws from its own named fork so that adding a draw in one component does not shift
 * the draws of any other.
 */
export interface Random {
  /** A uniformly distributed number in [0, 1). */
  next(): number;

  /**
   * An independent stream derived from this stream's seed and `name` only (not from how many
   * numbers this stream has drawn), so forks are stable however the parent is used. Forking the
   * same name twice gives two streams with the same draws: give each component instance its own
   * name (`'llm/gpt-4o'`, `'client/3'`).
   */
  fork(name: string): Random;

  /** The seed path this stream was derived from, e.g. `'42/llm/gpt-4o'`. */
  readonly seedPath: string;
}

/** A uniform integer in [0, bound). `bound` must be a positive safe integer. */
export function nextInt(random: Random, bound: number): number {
  if (!Number.isSafeInteger(bound) || bound <= 0) {
    throw new RangeError(`nextInt: bound must be a positive integer, got ${bound}`);
  }
  return Math.floor(random.next() * bound);
}

/** An exponentially distributed sample with the given mean (the gap of a Poisson process). */
export function nextExponential(random: Random, mean: number): number {
  // 1 - next() lies in (0, 1], so the logarithm is finite.
  return -Math.log(1 - random.next()) * mean;
}

/** A standard normal sample (Box–Muller; draws two uniforms, uses one). */
export function nextGaussian(random: Random): number {
  const u = 1 - random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
