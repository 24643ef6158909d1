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
  /**
   * The id strings made so far, by number, when there are at most `INTERNED_MAX` of them: a request
   * then carries the same string object as every earlier request of that user or prompt, so each
   * map keyed on it (the prompt's cache key, the limiter key, the trace's key texts) finds the hash
   * V8 keeps on the string instead of flattening and hashing a new one per request.
   */
  readonly #userIds: string[] | undefined;
  readonly #prompts: string[] | undefined;

  constructor(options: RequestMixOptions, ports: { readonly random: Random }) {
    this.#users = options.users ?? 1000;
    if (!Number.isSafeInteger(this.#users) || this.#users < 1) {
      throw new RangeError(`RequestMix: users must be a positive integer, got ${this.#users}`);
    }
    const prompts = options.prompts ?? 10_000;
    this.#zipf = new Zipf({ n: prompts, s: options.zipf ?? 0.8 });
    this.#userIds = this.#users <= INTERNED_MAX ? [] : undefined;
    this.#prompts = prompts <= INTERNED_MAX ? [] : undefined;
    this.#userRandom = ports.random.fork('users');
    this.#promptRandom = ports.random.fork('prompts');
  }

  /** The next request's user and prompt. */
  next(): { readonly userId: string; readonly prompt: string } {
    const user = Math.floor(this.#userRandom.next() * this.#users);
    const rank = this.#zipf.next(this.#promptRandom);
    return { userId: idText(this.#userIds, 'user-', user), prompt: idText(this.#prompts, 'prompt-', rank) };
  }
}

/** Distinct users or prompts up to which their id strings are kept (a few MiB at most). */
const INTERNED_MAX = 1 << 17;

/** `${prefix}${n}`, taken from (and kept in) `made` when there is one. */
function idText(made: string[] | undefined, prefix: string, n: number): string {
  if (made === undefined) return `${prefix}${n}`;
  let text = made[n];
  // '' marks a number not seen yet: the array is filled up to n first, so it stays packed (holes
  // would make it a dictionary).
  if (text === undefined || text === '') {
    while (made.length < n) made.push('');
    text = `${prefix}${n}`;
    made[n] = text;
  }
  return text;
}
