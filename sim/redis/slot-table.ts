// One node's slot → owner table (src/cluster_legacy.c clusterState.slots[CLUSTER_SLOTS]), with
// what the bus protocol asks of it on every cron tick and packet — each owner's ranges, the set of
// masters serving a slot, whether a slot is unbound — derived once per change instead of by a
// 16,384-slot scan per question. Owners change only on failovers, so nearly every question is
// answered from the last derivation.
import { present } from '../../src/assert.ts';
import { CLUSTER_SLOTS } from '../../src/ports/redis-slots.ts';

/** An inclusive slot range `[low, high]`. */
export type SlotRange = readonly [number, number];

/** What a table's owners imply; rebuilt after a change, never mutated once built. */
interface Derived {
  /** Owner index → its slots as maximal ranges in slot order. */
  readonly ranges: ReadonlyMap<number, readonly SlotRange[]>;
  /** Every owner of at least one slot, in order of its first slot. */
  readonly owners: readonly number[];
  /** Some slot has no owner. */
  readonly unbound: boolean;
}

const NO_RANGES: readonly SlotRange[] = [];

/** A slot → owner index table (-1: unbound) that answers range questions without rescanning. */
export class SlotTable {
  readonly #owners = new Int16Array(CLUSTER_SLOTS).fill(-1);
  /** The derivation of the current owners; undefined after a change until next asked. */
  #derived: Derived | undefined;
  #version = 0;

  /** Changes with every change of an owner: equal versions, equal tables. */
  get version(): number {
    return this.#version;
  }

  /** The owner of `slot` (-1: unbound). */
  ownerOf(slot: number): number {
    return present(this.#owners[slot], 'slot owner');
  }

  /** Binds `slot` to `owner`. */
  set(slot: number, owner: number): void {
    if (this.#owners[slot] === owner) return;
    this.#owners[slot] = owner;
    this.#derived = undefined;
    this.#version++;
  }

  /** Binds every slot of `[low, high]` to `owner`. */
  fill(owner: number, low: number, high: number): void {
    this.#owners.fill(owner, low, high + 1);
    this.#derived = undefined;
    this.#version++;
  }

  /** The slots of `owner` as maximal inclusive ranges in slot order (shared: do not mutate). */
  rangesOf(owner: number): readonly SlotRange[] {
    return this.#derive().ranges.get(owner) ?? NO_RANGES;
  }

  /** `owner` serves at least one slot. */
  owns(owner: number): boolean {
    return this.#derive().ranges.has(owner);
  }

  /** Every `[low, high]` of `claimed` is already `owner`'s. */
  ownsAll(owner: number, claimed: readonly SlotRange[]): boolean {
    const mine = this.rangesOf(owner);
    // Ranges are maximal, so a claimed range owned throughout lies inside exactly one of them.
    return claimed.every(([low, high]) => mine.some(([l, h]) => l <= low && high <= h));
  }

  /** Every node that serves at least one slot, in order of its first slot. */
  masters(): readonly number[] {
    return this.#derive().owners;
  }

  /** Some slot is bound to no node. */
  hasUnbound(): boolean {
    return this.#derive().unbound;
  }

  #derive(): Derived {
    if (this.#derived !== undefined) return this.#derived;
    const ranges = new Map<number, [number, number][]>();
    const owners: number[] = [];
    let unbound = false;
    let slot = 0;
    while (slot < CLUSTER_SLOTS) {
      const owner = this.ownerOf(slot);
      let high = slot;
      while (high + 1 < CLUSTER_SLOTS && this.#owners[high + 1] === owner) high++;
      if (owner < 0) unbound = true;
      else {
        const list = ranges.get(owner);
        if (list === undefined) {
          ranges.set(owner, [[slot, high]]);
          owners.push(owner);
        } else list.push([slot, high]);
      }
      slot = high + 1;
    }
    this.#derived = { ranges, owners, unbound };
    return this.#derived;
  }
}
