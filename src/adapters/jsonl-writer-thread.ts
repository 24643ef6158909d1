import { Worker } from 'node:worker_threads';

/**
 * The trace's file writing and hashing on a second thread. The trace fills chunks of event lines
 * on the simulation's thread; hashing them (SHA-256) and writing them to the file took 1.0% of that
 * thread's CPU profile of a 90,000-request gateway cut (gateway-300k writes 386 MB of trace), work
 * the machine's other core can do (docs/benchmarks.md, session 11). The
 * chunks are slots of a ring in shared memory: the trace fills one slot in place and publishes it,
 * the thread hashes and writes the slots in order and frees them. Nothing is copied, the bytes and
 * their order are the inline writer's, so the file and the hash are the same byte for byte.
 *
 * Bounded: the ring holds RING_SLOTS chunks; a trace that gets that far ahead of the thread waits
 * for it (Atomics.wait). A write error ends the thread; the trace throws it at its next publish
 * or at close, as the inline writer throws it at its write.
 */
export class WriterThread {
  /** The slot the trace fills now (`chunk`), by index. */
  #slot = 0;
  readonly #slots: Buffer[] = [];
  readonly #ctl: Int32Array;
  readonly #text: Uint8Array;
  readonly #worker: Worker;
  #done = false;
  /** The digest of the whole trace, once `finish` has returned. */
  #final: string | undefined;

  /**
   * Starts the thread on an open file descriptor (or none: hash only). The file is emptied and
   * `header` written first, on the thread: emptying a previous run's large trace takes a while.
   * The descriptor stays the caller's to close, after `finish`.
   */
  constructor(fd: number | undefined, header: string | undefined, slotBytes: number) {
    const data = new SharedArrayBuffer(RING_SLOTS * slotBytes);
    for (let i = 0; i < RING_SLOTS; i++) this.#slots.push(Buffer.from(data, i * slotBytes, slotBytes));
    this.#ctl = new Int32Array(new SharedArrayBuffer(CTL_WORDS * 4));
    this.#text = new Uint8Array(new SharedArrayBuffer(TEXT_BYTES));
    this.#worker = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: {
        fd,
        header,
        data,
        slotBytes,
        slots: RING_SLOTS,
        ctl: this.#ctl.buffer,
        text: this.#text.buffer,
      },
      // Plain CommonJS: none of the parent's loaders (tsx under tests and the bench).
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    // The process never waits for the thread: close() does, synchronously, and a trace that is
    // never closed must not keep the process alive.
    this.#worker.unref();
    // A thread that fails outside its own try (it could not start) reports here, on the event
    // loop, which a run does not turn: the trace has failed by then (no progress for
    // STALL_MS_MAX), and an 'error' event without a listener would end the process with a stack
    // trace on top of that message.
    this.#worker.on('error', () => {});
  }

  /** The slot to fill now. */
  get chunk(): Buffer {
    return this.#slots[this.#slot]!;
  }

  /** Hands the first `bytes` of the current slot to the thread; the next slot becomes `chunk`. */
  publish(bytes: number): void {
    const ctl = this.#ctl;
    this.#rethrow();
    const published = ctl[PUBLISHED]!;
    ctl[LENGTHS + this.#slot] = bytes;
    Atomics.store(ctl, PUBLISHED, published + 1);
    this.#wake();
    this.#slot = (published + 1) % RING_SLOTS;
    // The next slot is free once the thread has consumed what was published RING_SLOTS ago.
    this.#await(CONSUMED, Atomics.load(ctl, CONSUMED), (now) => published + 1 - now >= RING_SLOTS);
  }

  /**
   * Waits while `blocked(ctl[word])`, for at most STALL_MS_MAX without the word moving: a thread
   * that died without saying why (it could not start) fails the run instead of hanging it.
   */
  #await(word: number, from: number, blocked: (now: number) => boolean): void {
    const ctl = this.#ctl;
    let seen = from;
    while (blocked(seen)) {
      if (Atomics.load(ctl, FAILED) !== 0) this.#rethrow();
      if (Atomics.wait(ctl, word, seen, STALL_MS_MAX) === 'timed-out' && Atomics.load(ctl, word) === seen) {
        this.#done = true;
        throw new Error(`trace: the trace writer thread made no progress in ${STALL_MS_MAX} ms`);
      }
      seen = Atomics.load(ctl, word);
    }
  }

  /** Hex SHA-256 of everything published plus the first `pending` bytes of the current slot. */
  digest(pending: number): string {
    if (this.#final !== undefined) return this.#final;
    return this.#ask(DIGEST, pending);
  }

  /**
   * Returns once every published slot is hashed and written (the thread then ends); `digest`
   * answers from then on with the digest of everything published.
   */
  finish(): void {
    if (this.#done) return;
    this.#final = this.#ask(FINISH, 0);
    this.#done = true;
  }

  #ask(request: number, pending: number): string {
    const ctl = this.#ctl;
    this.#rethrow();
    const answered = Atomics.load(ctl, ANSWERED);
    ctl[PENDING] = pending;
    Atomics.store(ctl, REQUEST, request);
    this.#wake();
    this.#await(ANSWERED, answered, (now) => now === answered);
    this.#rethrow();
    return new TextDecoder().decode(this.#text.slice(0, ctl[TEXT_LENGTH]!));
  }

  #wake(): void {
    Atomics.add(this.#ctl, WAKE, 1);
    Atomics.notify(this.#ctl, WAKE);
  }

  /** The thread's write error, as the inline writer would have thrown it. */
  #rethrow(): void {
    if (Atomics.load(this.#ctl, FAILED) === 0) return;
    this.#done = true;
    const message = new TextDecoder().decode(this.#text.slice(0, this.#ctl[TEXT_LENGTH]!));
    throw new Error(`trace: writing the trace file failed: ${message}`);
  }
}

/** Chunks in the ring: how far the trace may get ahead of the thread. */
const RING_SLOTS = 8;
/** How long the trace waits for the thread to move before it gives up on it. */
const STALL_MS_MAX = 60_000;
/** Room for the digest's hex or the thread's error message. */
const TEXT_BYTES = 1024;

// Control words (Int32 indices).
const WAKE = 0; // bumped at every publish or request (the thread waits on it)
const PUBLISHED = 1; // slots published so far
const CONSUMED = 2; // slots hashed and written so far
const REQUEST = 3; // 0, DIGEST or FINISH
const PENDING = 4; // bytes of the current slot a request covers
const ANSWERED = 5; // requests answered so far
const FAILED = 6; // 1 once a write failed (the message is in the text)
const TEXT_LENGTH = 7; // bytes of the answer or message in the text
const LENGTHS = 8; // a published slot's byte count, by slot
const CTL_WORDS = LENGTHS + RING_SLOTS;
const DIGEST = 1;
const FINISH = 2;

// The thread: plain CommonJS evaluated as the worker's source, so it needs no file of its own
// whether hasim runs from its bundle or through tsx.
const WRITER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { fstatSync, ftruncateSync, writeSync } = require('node:fs');
const { fd, header, data, slotBytes, slots } = workerData;
const ctl = new Int32Array(workerData.ctl);
const text = new Uint8Array(workerData.text);
const hash = createHash('sha256');
const slot = (i, n) => new Uint8Array(data, i * slotBytes, n);
const say = (s) => { const b = Buffer.from(s, 'utf8').subarray(0, text.length); text.set(b); ctl[${TEXT_LENGTH}] = b.length; };
const write = (bytes) => { if (fd === undefined) return; let at = 0; while (at < bytes.length) at += writeSync(fd, bytes, at); };
try {
  if (fd !== undefined) {
    // As opening with O_TRUNC would: a regular file is emptied, a device (/dev/null) is not.
    if (fstatSync(fd).isFile()) ftruncateSync(fd, 0);
    if (header !== undefined) write(Buffer.from(header, 'utf8'));
  }
  for (;;) {
    const wake = Atomics.load(ctl, ${WAKE});
    let consumed = ctl[${CONSUMED}];
    while (consumed < Atomics.load(ctl, ${PUBLISHED})) {
      const i = consumed % slots;
      const bytes = slot(i, ctl[${LENGTHS} + i]);
      hash.update(bytes);
      write(bytes);
      consumed++;
      Atomics.store(ctl, ${CONSUMED}, consumed);
      Atomics.notify(ctl, ${CONSUMED});
    }
    const request = Atomics.load(ctl, ${REQUEST});
    if (request !== 0) {
      const pending = slot(consumed % slots, ctl[${PENDING}]);
      say(request === ${DIGEST} ? hash.copy().update(pending).digest('hex') : hash.digest('hex'));
      Atomics.store(ctl, ${REQUEST}, 0);
      Atomics.add(ctl, ${ANSWERED}, 1);
      Atomics.notify(ctl, ${ANSWERED});
      if (request === ${FINISH}) break;
      continue;
    }
    Atomics.wait(ctl, ${WAKE}, wake);
  }
} catch (error) {
  say(String(error && error.message || error));
  Atomics.store(ctl, ${FAILED}, 1);
  Atomics.notify(ctl, ${CONSUMED});
  Atomics.notify(ctl, ${ANSWERED});
}
`;
