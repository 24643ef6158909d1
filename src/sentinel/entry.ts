import type { TerminateHooks } from './degrade/circuit-breaker.ts';
import { BlockException } from './errors.ts';

/**
 * What an entry reports its exit to: the slot chain of its resource. For a refused entry
 * (`blockError` set) the chain counts nothing, as StatisticSlot.exit and DegradeSlot.exit skip an
 * entry with a block error.
 */
export interface EntryOwner {
  exitEntry(entry: Entry): void;
}

/**
 * Sentinel's `Entry` (sentinel-core/.../Entry.java, CtEntry.java): one admitted (or refused) call
 * of a resource. `exit()` must be called exactly once for an admitted entry; it is what the breakers
 * count, with `rt = now − createTimestampMs`.
 */
export class Entry implements TerminateHooks {
  /** Resource name. */
  readonly resource: string;
  /** Clock ms when the entry was created, before any flow-control wait (`Entry.createTimestamp`). */
  readonly createTimestampMs: number;
  /** Clock ms when `exit()` ran; 0 until then, and for a refused entry (`Entry.completeTimestamp`). */
  completeTimestampMs = 0;
  /** Permits this entry acquired from flow rules (`count`). @defaultValue 1 */
  readonly acquireCount: number;
  #error: unknown;
  #blockError: BlockException | undefined;
  #exited = false;
  #hooks: ((blocked: boolean) => void)[] | undefined;
  readonly #owner: EntryOwner;

  /** @internal Entries are made by `Sentinel.entry`. */
  constructor(resource: string, createTimestampMs: number, acquireCount: number, owner: EntryOwner) {
    this.resource = resource;
    this.createTimestampMs = createTimestampMs;
    this.acquireCount = acquireCount;
    this.#owner = owner;
  }

  /** The traced business error, if any (`Entry.getError`). */
  get error(): unknown {
    return this.#error;
  }

  /** The refusal, if this entry was blocked (`Entry.getBlockError`). */
  get blockError(): BlockException | undefined {
    return this.#blockError;
  }

  /** True once `exit()` ran (or the entry was refused). */
  get exited(): boolean {
    return this.#exited;
  }

  /**
   * Records a business error for the exception breakers, as `Tracer.traceEntry(e, entry)`: `null`,
   * `undefined` and `BlockException`s are ignored; a later error replaces an earlier one; after
   * `exit()` it has no effect.
   */
  setError(error: unknown): void {
    if (error === undefined || error === null || error instanceof BlockException || this.#exited) return;
    this.#error = error;
  }

  /**
   * Marks the entry refused (`Entry.setBlockError`, set by StatisticSlot when a later slot throws).
   * The slot chain calls it, then `exit()`, as CtSph does for a refused entry; after `exit()` it
   * has no effect.
   */
  setBlockError(error: BlockException): void {
    if (this.#exited) return;
    this.#blockError = error;
  }

  /**
   * Completes the entry (`Entry.exit`): for an admitted entry its response time and error reach
   * every breaker the resource has now; for a refused one nothing is counted. Either way the
   * terminate hooks run. Call it once per admitted entry; later calls do nothing (as CtEntry).
   */
  exit(): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#owner.exitEntry(this);
    if (this.#hooks !== undefined) this.#terminate();
  }

  /** `Entry.whenTerminate`: runs `handler(blocked)` once, after the entry exits or is refused. */
  whenTerminate(handler: (blocked: boolean) => void): void {
    if (this.#hooks === undefined) this.#hooks = [];
    this.#hooks.push(handler);
  }

  #terminate(): void {
    const hooks = this.#hooks;
    if (hooks === undefined) return;
    this.#hooks = undefined;
    const blocked = this.#blockError !== undefined;
    for (const h of hooks) h(blocked);
  }
}
