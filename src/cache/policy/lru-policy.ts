import type { EvictionPolicy } from './eviction-policy.ts';
import { AccessOrderDeque, type CacheNode } from './node.ts';

/**
 * Plain LRU (for comparison with W-TinyLFU): one access-order deque; a read moves the entry to the
 * MRU end, and while the cache holds more than `maximumSize` entries the LRU one is evicted. This is
 * the policy of `lru-cache` and gives the same hits on the same trace.
 */
export class LruPolicy<K, V> implements EvictionPolicy<K, V> {
  readonly #deque = new AccessOrderDeque<K, V>();
  readonly #deques = [this.#deque];
  #size = 0;

  constructor(readonly maximumSize: number) {}

  onAdd(node: CacheNode<K, V>): void {
    this.#size++;
    this.#deque.offerLast(node);
  }

  onAccess(node: CacheNode<K, V>): void {
    this.#deque.moveToBack(node);
  }

  onRemove(node: CacheNode<K, V>): void {
    if (this.#deque.contains(node)) {
      this.#deque.remove(node);
      this.#size--;
    }
  }

  maintain(evict: (node: CacheNode<K, V>) => void): void {
    while (this.#size > this.maximumSize) {
      const victim = this.#deque.peekFirst();
      if (victim === undefined) break;
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
