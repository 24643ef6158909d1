import type { EvictionPolicy } from './eviction-policy.ts';
import { AccessOrderDeque, NIL, type NodeTable } from './node.ts';

/**
 * Plain LRU (for comparison with W-TinyLFU): one access-order deque; a read moves the entry to the
 * MRU end, and while the cache holds more than `maximumSize` entries the LRU one is evicted. This is
 * the policy of `lru-cache` and gives the same hits on the same trace.
 */
export class LruPolicy<K, V> implements EvictionPolicy<K, V> {
  readonly #deque: AccessOrderDeque<K, V>;
  readonly #deques: readonly AccessOrderDeque<K, V>[];
  #size = 0;

  constructor(
    readonly maximumSize: number,
    table: NodeTable<K, V>,
  ) {
    this.#deque = new AccessOrderDeque<K, V>(table);
    this.#deques = [this.#deque];
  }

  onAdd(node: number): void {
    this.#size++;
    this.#deque.offerLast(node);
  }

  onAccess(node: number): void {
    this.#deque.moveToBack(node);
  }

  onRemove(node: number): void {
    if (this.#deque.contains(node)) {
      this.#deque.remove(node);
      this.#size--;
    }
  }

  maintain(evict: (node: number) => void): void {
    while (this.#size > this.maximumSize) {
      const victim = this.#deque.peekFirst();
      if (victim === NIL) break;
      evict(victim);
    }
  }

  skipsReads(): boolean {
    return false;
  }

  accessOrderDeques(): readonly AccessOrderDeque<K, V>[] {
    return this.#deques;
  }
}
