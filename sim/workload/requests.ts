import type { Random } from '../../src/ports/random.ts';
import { Zipf } from './zipf.ts';

/** Who asks what: users and prompt popularity. */
export interface RequestMixOptions {
  /** Number of users, `user-0` … `user-(n-1)`, chosen uniformly. @defaultValue 1000 */
  readonly users?: number;
  /** Number of distinct prompts. @defaultValue 10_000 */
  readonly prompts?: number;
  /** Zipf exponent of prompt popularity (0 = uniform). @defaultValue 0.8 */
  readonly zipf?: number;
}

/** The user and prompt of the request with a given index, each from its own named fork. */
export class RequestMix {
  readonly #users: number;
  readonly #zipf: Zipf;
  readonly #userRandom: Random;
  readonly #promptRandom: Random;

  constructor(options: RequestMixOptions, ports: { readonly random: Random }) {
    this.#users = options.users ?? 1000;
    if (!Number.isSafeInteger(this.#users) || this.#users < 1) {
      throw new RangeError(`RequestMix: users must be a positive integer, got ${this.#users}`);
    }
    this.#zipf = new Zipf({ n: options.prompts ?? 10_000, s: options.zipf ?? 0.8 });
    this.#userRandom = ports.random.fork('users');
    this.#promptRandom = ports.random.fork('prompts');
  }

  /** The next request's user and prompt. */
  next(): { readonly userId: string; readonly prompt: string } {
    const user = Math.floor(this.#userRandom.next() * this.#users);
    const rank = this.#zipf.next(this.#promptRandom);
    return { userId: `user-${user}`, prompt: `prompt-${rank}` };
  }
}
