/**
 * An `AbortController` for simulated clients: what a request's client-side timeout aborts. It
 * keeps the part of the DOM contract the simulated stack relies on (`aborted`, `reason`,
 * `throwIfAborted()`, 'abort' listeners added and removed, `once`, registration order, and one
 * synchronous dispatch on `abort()`), without Node's EventTarget machinery: a simulated run makes
 * one per request, and Node's `new AbortController().signal` costs microseconds each (the client
 * timeouts were 4% of a gateway run).
 *
 * Semantics kept, as Node's EventTarget has them (lib/internal/event_target.js, the behaviour the
 * simulated code ran with before): `abort()` on an aborted signal does nothing; the reason
 * defaults to an `AbortError` DOMException; listeners run in the order they were added; adding
 * the same listener twice (same capture flag) adds it once; a listener removed during the
 * dispatch does not run, and one added during it runs in the same dispatch (Node walks its live
 * list; the DOM spec would not); `onabort` runs where it was first set.
 * Not supported (a TypeError says so): the `signal` option of addEventListener, and events other
 * than 'abort' (they are accepted and never dispatched, as for a real AbortSignal).
 */
export class SimAbortController {
  /** The signal handed to the guarded work. */
  readonly signal: AbortSignal;
  readonly #signal: SimAbortSignal;

  constructor() {
    this.#signal = new SimAbortSignal();
    this.signal = this.#signal as unknown as AbortSignal;
  }

  /** Aborts the signal with `reason` (default: an `AbortError` DOMException), once. */
  abort(reason?: unknown): void {
    this.#signal.abortWith(
      reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason,
    );
  }
}

type Listener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

interface Registration {
  readonly listener: Listener;
  readonly capture: boolean;
  readonly once: boolean;
  removed: boolean;
}

/** The signal side of {@link SimAbortController}; typed as `AbortSignal` for its users. */
class SimAbortSignal {
  #aborted = false;
  #reason: unknown = undefined;
  #listeners: Registration[] | undefined;
  #dispatching = false;
  #onabort: ((event: Event) => unknown) | null = null;
  /** The listener that calls `onabort`, in the place of its first setting (a DOM event handler). */
  #handlerListener: ((event: Event) => unknown) | undefined;

  get onabort(): ((event: Event) => unknown) | null {
    return this.#onabort;
  }

  set onabort(handler: ((event: Event) => unknown) | null) {
    this.#onabort = handler;
    if (handler === null && this.#handlerListener !== undefined) {
      this.removeEventListener('abort', this.#handlerListener);
      this.#handlerListener = undefined;
    } else if (handler !== null && this.#handlerListener === undefined) {
      this.#handlerListener = (event) => this.#onabort?.call(this, event);
      this.addEventListener('abort', this.#handlerListener);
    }
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  addEventListener(
    type: string,
    listener: Listener | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (listener === null || type !== 'abort') return;
    const capture = typeof options === 'boolean' ? options : options?.capture === true;
    if (typeof options === 'object' && options.signal !== undefined) {
      throw new TypeError('SimAbortSignal.addEventListener: the signal option is not supported');
    }
    const once = typeof options === 'object' && options.once === true;
    if (this.#listeners === undefined) this.#listeners = [];
    const listeners = this.#listeners;
    for (const r of listeners) if (!r.removed && r.listener === listener && r.capture === capture) return;
    listeners.push({ listener, capture, once, removed: false });
  }

  removeEventListener(
    type: string,
    listener: Listener | null,
    options?: boolean | EventListenerOptions,
  ): void {
    if (listener === null || type !== 'abort' || this.#listeners === undefined) return;
    const capture = typeof options === 'boolean' ? options : options?.capture === true;
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      const r = listeners[i] as Registration;
      if (!r.removed && r.listener === listener && r.capture === capture) {
        r.removed = true;
        // During a dispatch the list is walked live: it is compacted once the dispatch is over.
        if (!this.#dispatching) {
          // Shifted down by hand: `splice` would build an array of the removed entry, and every
          // sleep with a signal removes its listener when it wakes.
          for (let j = i + 1; j < listeners.length; j++) listeners[j - 1] = listeners[j]!;
          listeners.pop();
        }
        return;
      }
    }
  }

  dispatchEvent(event: Event): boolean {
    if (event.type === 'abort') this.#dispatch(event);
    return !event.defaultPrevented;
  }

  /** Marks the signal aborted and runs its listeners, once (DOM "signal abort"). */
  abortWith(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#dispatch(new Event('abort'));
  }

  #dispatch(event: Event): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    this.#dispatching = true;
    try {
      // Live: a listener appended by an earlier one is reached too, a removed one is skipped.
      for (let i = 0; i < listeners.length; i++) {
        const r = listeners[i] as Registration;
        if (r.removed) continue;
        if (r.once) r.removed = true;
        if (typeof r.listener === 'function') r.listener.call(this, event);
        else r.listener.handleEvent(event);
      }
    } finally {
      this.#dispatching = false;
      this.#listeners = listeners.filter((r) => !r.removed);
    }
  }
}
