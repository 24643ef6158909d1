import type { Random } from '../../ports/random.ts';
import type { EvictionPolicy } from '../policy/eviction-policy.ts';
import { AccessOrderDeque, type CacheNode } from '../policy/node.ts';
import { FrequencySketch } from './frequency-sketch.ts';

// Caffeine 3.2.2 BoundedLocalCache constants (the same in 3.1.x; dev HEAD replaces the climber).
/** Share of the maximum given to the main space (SLRU); the window LRU gets the rest. */
export const PERCENT_MAIN = 0.99;
/** Share of the main space given to its protected segment; probation gets the rest. */
export const PERCENT_MAIN_PROTECTED = 0.8;
/** A hit-rate change of at least this much restarts the climber with a full step. */
export const HILL_CLIMBER_RESTART_THRESHOLD = 0.05;
/** The climber's full step, as a fraction of the maximum. */
export const HILL_CLIMBER_STEP_PERCENT = 0.0625;
/** Each sample without a restart multiplies the step by this. */
export const HILL_CLIMBER_STEP_DECAY_RATE = 0.98;
/** A candidate at least this frequent that loses the duel is still admitted 1 time in 128. */
export const ADMIT_HASHDOS_THRESHOLD = 6;
/** Most entries moved between regions by one adjustment. */
export const QUEUE_TRANSFER_THRESHOLD = 1_000;

/** The region sizes Caffeine derives from `maximumSize` (`setMaximumSize`). */
export function initialRegions(maximumSize: number): {
  window: number;
  protected: number;
  probation: number;
} {
  const window = maximumSize - Math.floor(PERCENT_MAIN * maximumSize);
  const prot = Math.floor(PERCENT_MAIN_PROTECTED * (maximumSize - window));
  return { window, protected: prot, probation: maximumSize - window - prot };
}

/**
 * Window TinyLFU as Caffeine 3.2 runs it (BoundedLocalCache): new entries enter a small LRU
 * window; its overflow becomes a candidate that must beat the LRU entry of the probation segment
 * by sketch frequency to enter main (a segmented LRU, 80% protected); the window's share is then
 * tuned by a hill climber on the hit rate of each sample. Every entry weighs 1 (no weigher).
 */
export class WindowTinyLfuPolicy<K, V> implements EvictionPolicy<K, V> {
  readonly sketch = new FrequencySketch();
  readonly #window = new AccessOrderDeque<K, V>();
  readonly #probation = new AccessOrderDeque<K, V>();
  readonly #protected = new AccessOrderDeque<K, V>();
  readonly #deques = [this.#window, this.#probation, this.#protected];
  readonly #maximum: number;
  readonly #random: Random;
  readonly #fastpath: boolean;
  #weightedSize = 0;
  #windowMaximum: number;
  #windowWeightedSize = 0;
  #mainProtectedMaximum: number;
  #mainProtectedWeightedSize = 0;
  #hitsInSample = 0;
  #missesInSample = 0;
  #previousSampleHitRate = 0;
  #stepSize: number;
  #adjustment = 0;

  /**
   * @param maximumSize entries (integer >= 0)
   * @param random draws the 1/128 admission of warm candidates (Caffeine: ThreadLocalRandom)
   * @param expiresAfterAccess Caffeine's fast path (reads skipped until the sketch exists) is off then
   */
  constructor(maximumSize: number, random: Random, expiresAfterAccess: boolean) {
    this.#maximum = maximumSize;
    this.#random = random;
    this.#fastpath = !expiresAfterAccess;
    const regions = initialRegions(maximumSize);
    this.#windowMaximum = regions.window;
    this.#mainProtectedMaximum = regions.protected;
    this.#stepSize = -HILL_CLIMBER_STEP_PERCENT * maximumSize;
  }

  /** Current window capacity in entries (moves with the hill climber). */
  get windowMaximum(): number {
    return this.#windowMaximum;
  }

  /** Current protected-segment capacity in entries. */
  get mainProtectedMaximum(): number {
    return this.#mainProtectedMaximum;
  }

  /** Entries per region right now, window / probation / protected. */
  regionSizes(): { window: number; probation: number; protected: number } {
    return {
      window: this.#windowWeightedSize,
      probation: this.#weightedSize - this.#windowWeightedSize - this.#mainProtectedWeightedSize,
      protected: this.#mainProtectedWeightedSize,
    };
  }

  skipsReads(): boolean {
    // Caffeine skipReadBuffer(): with the fast path and no sketch yet, reads are not recorded.
    return this.#fastpath && this.sketch.isNotInitialized();
  }

  accessOrderDeques(): readonly AccessOrderDeque<K, V>[] {
    return this.#deques;
  }

  // Caffeine AddTask.run (weight 1).
  onAdd(node: CacheNode<K, V>): void {
    this.#weightedSize++;
    this.#windowWeightedSize++;
    // Lazily initialize the sketch when the cache is half full (ben-manes/caffeine #64).
    if (this.#weightedSize >= this.#maximum >>> 1 && this.sketch.isNotInitialized()) {
      this.sketch.ensureCapacity(this.#maximum);
    }
    this.sketch.incrementOf(node.blockHash, node.counterHash);
    this.#missesInSample++;
    node.region = 'window';
    if (1 > this.#windowMaximum) this.#window.offerFirst(node);
    else this.#window.offerLast(node);
  }

  // Caffeine onAccess + reorderProbation.
  onAccess(node: CacheNode<K, V>): void {
    this.sketch.incrementOf(node.blockHash, node.counterHash);
    const region = node.region;
    if (region === 'window') this.#window.moveToBack(node);
    else if (region === 'probation') this.#reorderProbation(node);
    else this.#protected.moveToBack(node);
    this.#hitsInSample++;
  }

  #reorderProbation(node: CacheNode<K, V>): void {
    // reorderProbation ignores a stale access to an entry no longer present.
    if (!this.#probation.contains(node)) return;
    if (1 > this.#mainProtectedMaximum) {
      this.#probation.moveToBack(node);
    } else {
      // Protected overflow is demoted later, in climb() (as Caffeine defers it).
      this.#mainProtectedWeightedSize++;
      this.#probation.remove(node);
      this.#protected.offerLast(node);
      node.region = 'protected';
    }
  }

  onRemove(node: CacheNode<K, V>): void {
    const deque = node.accessDeque;
    if (deque === undefined) return;
    deque.remove(node);
    this.#weightedSize--;
    if (node.region === 'window') this.#windowWeightedSize--;
    else if (node.region === 'protected') this.#mainProtectedWeightedSize--;
  }

  // Caffeine maintenance(): evictEntries() then climb().
  maintain(evict: (node: CacheNode<K, V>) => void): void {
    const candidate = this.#evictFromWindow();
    this.#evictFromMain(candidate, evict);
    this.#climb();
  }

  /** Moves the window's overflow to the probation tail; returns the first one moved (the first candidate). */
  #evictFromWindow(): CacheNode<K, V> | undefined {
    let first: CacheNode<K, V> | undefined;
    let node = this.#window.peekFirst();
    while (this.#windowWeightedSize > this.#windowMaximum) {
      if (node === undefined) break;
      const next = node.accessNext;
      this.#window.remove(node);
      this.#probation.offerLast(node);
      node.region = 'probation';
      first ??= node;
      this.#windowWeightedSize--;
      node = next;
    }
    return first;
  }

  // Caffeine evictFromMain: duel candidates (from the probation tail, then the window head)
  // against victims (probation head, then protected, then window) until the size fits.
  #evictFromMain(candidate: CacheNode<K, V> | undefined, evict: (node: CacheNode<K, V>) => void): void {
    let victimQueue = 'probation';
    let candidateQueue = 'probation';
    let victim = this.#probation.peekFirst();
    while (this.#weightedSize > this.#maximum) {
      if (candidate === undefined && candidateQueue === 'probation') {
        candidate = this.#window.peekFirst();
        candidateQueue = 'window';
      }
      if (candidate === undefined && victim === undefined) {
        if (victimQueue === 'probation') {
          victim = this.#protected.peekFirst();
          victimQueue = 'protected';
          continue;
        } else if (victimQueue === 'protected') {
          victim = this.#window.peekFirst();
          victimQueue = 'window';
          continue;
        }
        break;
      }
      if (victim === undefined) {
        const evicted = candidate!;
        candidate = evicted.accessNext;
        evict(evicted);
        continue;
      } else if (candidate === undefined) {
        const evicted = victim;
        victim = victim.accessNext;
        evict(evicted);
        continue;
      }
      if (candidate === victim) {
        victim = victim.accessNext;
        evict(candidate);
        candidate = undefined;
        continue;
      }
      if (this.#admit(candidate, victim)) {
        const evicted = victim;
        victim = victim.accessNext;
        evict(evicted);
        candidate = candidate.accessNext;
      } else {
        const evicted = candidate;
        candidate = candidate.accessNext;
        evict(evicted);
      }
    }
  }

  // Caffeine admit(): the more frequent wins; a warm loser still gets in 1 time in 128 so that an
  // attacker cannot pin a hot victim by colliding hashes (HashDoS).
  #admit(candidate: CacheNode<K, V>, victim: CacheNode<K, V>): boolean {
    const victimFreq = this.sketch.frequencyOf(victim.blockHash, victim.counterHash);
    const candidateFreq = this.sketch.frequencyOf(candidate.blockHash, candidate.counterHash);
    if (candidateFreq > victimFreq) return true;
    if (candidateFreq >= ADMIT_HASHDOS_THRESHOLD) return Math.floor(this.#random.next() * 128) === 0;
    return false;
  }

  // Caffeine climb(): once per sample (sketch.sampleSize requests), step the window size in the
  // direction that last improved the hit rate.
  #climb(): void {
    this.#determineAdjustment();
    this.#demoteFromMainProtected();
    const amount = this.#adjustment;
    if (amount === 0) return;
    if (amount > 0) this.#increaseWindow();
    else this.#decreaseWindow();
  }

  #determineAdjustment(): void {
    if (this.sketch.isNotInitialized()) {
      this.#previousSampleHitRate = 0;
      this.#missesInSample = 0;
      this.#hitsInSample = 0;
      return;
    }
    const requestCount = this.#hitsInSample + this.#missesInSample;
    if (requestCount < this.sketch.sampleSize) return;
    const hitRate = this.#hitsInSample / requestCount;
    const hitRateChange = hitRate - this.#previousSampleHitRate;
    const amount = hitRateChange >= 0 ? this.#stepSize : -this.#stepSize;
    const nextStepSize =
      Math.abs(hitRateChange) >= HILL_CLIMBER_RESTART_THRESHOLD
        ? HILL_CLIMBER_STEP_PERCENT * this.#maximum * (amount >= 0 ? 1 : -1)
        : HILL_CLIMBER_STEP_DECAY_RATE * amount;
    this.#previousSampleHitRate = hitRate;
    this.#adjustment = Math.trunc(amount); // Java (long) cast truncates toward zero
    this.#stepSize = nextStepSize;
    this.#missesInSample = 0;
    this.#hitsInSample = 0;
  }

  #increaseWindow(): void {
    if (this.#mainProtectedMaximum === 0) return;
    let quota = Math.min(this.#adjustment, this.#mainProtectedMaximum);
    this.#mainProtectedMaximum -= quota;
    this.#windowMaximum += quota;
    this.#demoteFromMainProtected();
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      let candidate = this.#probation.peekFirst();
      let probation = true;
      if (candidate === undefined || quota < 1) {
        candidate = this.#protected.peekFirst();
        probation = false;
      }
      if (candidate === undefined || quota < 1) break;
      quota--;
      if (probation) {
        this.#probation.remove(candidate);
      } else {
        this.#mainProtectedWeightedSize--;
        this.#protected.remove(candidate);
      }
      this.#windowWeightedSize++;
      this.#window.offerLast(candidate);
      candidate.region = 'window';
    }
    this.#mainProtectedMaximum += quota;
    this.#windowMaximum -= quota;
    this.#adjustment = quota;
  }

  #decreaseWindow(): void {
    if (this.#windowMaximum <= 1) return;
    let quota = Math.min(-this.#adjustment, Math.max(0, this.#windowMaximum - 1));
    this.#mainProtectedMaximum += quota;
    this.#windowMaximum -= quota;
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      const candidate = this.#window.peekFirst();
      if (candidate === undefined || quota < 1) break;
      quota--;
      this.#windowWeightedSize--;
      this.#window.remove(candidate);
      this.#probation.offerLast(candidate);
      candidate.region = 'probation';
    }
    this.#mainProtectedMaximum -= quota;
    this.#windowMaximum += quota;
    this.#adjustment = -quota;
  }

  #demoteFromMainProtected(): void {
    if (this.#mainProtectedWeightedSize <= this.#mainProtectedMaximum) return;
    for (let i = 0; i < QUEUE_TRANSFER_THRESHOLD; i++) {
      if (this.#mainProtectedWeightedSize <= this.#mainProtectedMaximum) break;
      const demoted = this.#protected.poll();
      if (demoted === undefined) break;
      demoted.region = 'probation';
      this.#probation.offerLast(demoted);
      this.#mainProtectedWeightedSize--;
    }
  }
}
