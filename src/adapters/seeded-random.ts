import seedrandom from 'seedrandom';
import type { Random } from '../ports/random.ts';

/**
 * A seeded `Random` on seedrandom's Alea generator (~100 M draws/s here; the default ARC4 is
 * 7–10× slower). Alea hashes its string seed with Mash, so the forks `'1/llm'` and `'1/client'`
 * are unrelated streams. Used by the simulation and by live runs alike.
 */
export class SeededRandom implements Random {
  readonly seedPath: string;
  readonly #draw: () => number;

  /** @param seed the root seed, or a fork's path (`'42/llm'`). */
  constructor(seed: number | string) {
    this.seedPath = String(seed);
    this.#draw = seedrandom.alea(this.seedPath);
  }

  next(): number {
    return this.#draw();
  }

  fork(name: string): Random {
    if (name.length === 0) throw new RangeError('Random.fork: name must be a non-empty string');
    return new SeededRandom(`${this.seedPath}/${name}`);
  }
}
