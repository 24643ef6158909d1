/**
 * What moving the MariaDB twin's SQLite to a second thread could save, measured outside hasim
 * (docs/benchmarks.md, "Session 20"). One iteration is what one gateway request asks of SQLite:
 * an INSERT into the chat table and the history SELECT (src/gateway/chat-history.ts's statements;
 * its DDL as sim/mysql/dialect.ts turns it into SQLite's), for random users, after `traffic`
 * random reads over a 400 MiB array: the memory traffic of the rest of a simulated request, which
 * evicts SQLite's pages between statements as the simulation's heap does. Five ways, in turn, in
 * one process, each on a fresh database:
 *
 * - traffic only: the reads alone (subtract it from the others);
 * - in place: better-sqlite3 on this thread, as the twin runs it;
 * - the ring alone: two handoffs to the worker and back that run no statement;
 * - worker, waiting: the statements on a worker thread behind a shared-memory ring, this thread
 *   waiting for each answer (an engine moved off the thread with its synchronous interface kept);
 * - worker, deferred: the same ring, each SELECT's answer taken one iteration later (what a twin
 *   whose answers arrive after a link's latency could do).
 *
 *   node --import tsx bench/drivers/sqlite-offload.ts [iterations=200000] [traffic=100]
 *
 * Prints microseconds of this thread per iteration. Strings are ASCII and at most SLOT_BYTES.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseStatement } from '../../sim/mysql/dialect.ts';
import { Database } from '../../sim/mysql/sqlite.ts';
import { historySql } from '../../src/gateway/chat-history.ts';

/** The first history table's statements, as the gateway sends them (ten ids: its default context). */
const SQL = historySql('chat_message_0', 10);
/** Writes per outer SQLite transaction, as sim/mysql/transactions.ts commits them. */
const OUTER_COMMIT_WRITES = 4096;
/** Ring slots (requests in flight at most) and the bytes of one slot's strings. */
const SLOTS = 1024;
const SLOT_BYTES = 248;
/** Spins of an idle worker before it parks on Atomics.wait (then the poster must notify it). */
const SPINS_BEFORE_PARKING = 1_000_000;
/** The array the traffic reads, in float64s (400 MiB). */
const TRAFFIC_WORDS = 50 * 1024 * 1024;
const USERS = 20_000;

/** The chat table as the twin creates it in SQLite. */
function openChatDatabase() {
  const st = parseStatement(SQL.create);
  if (st.kind !== 'createTable') throw new Error('sqlite-offload: the DDL did not parse as CREATE TABLE');
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  for (const sql of st.spec.sqlite) db.exec(sql);
  const insert = db.prepare(SQL.insert);
  const select = db.prepare(SQL.select).raw(true).pluck(true);
  let writes = 0;
  db.exec('BEGIN');
  return {
    insert(user: string, prompt: string, answer: string, atMs: number): number {
      if (++writes % OUTER_COMMIT_WRITES === 0) {
        db.exec('COMMIT');
        db.exec('BEGIN');
      }
      return Number(insert.run(user, prompt, answer, atMs).lastInsertRowid);
    },
    /** The newest id of the user's last ten rows (0: none). */
    newest(user: string): number {
      const ids = select.all(user) as unknown as bigint[];
      return ids.length === 0 ? 0 : Number(ids[0]);
    },
  };
}

/**
 * The shared ring. Each control word has a cache line of its own (a line written by one thread and
 * read by the other moves between the cores at every change; 'the ring alone' measures what a
 * handoff costs): posted (at byte 0), answered (64), the worker parked (128), the worker's time in
 * SQLite calls (ns, 192); then the slots and their answers.
 */
const LINE = 64;
function ringViews(sab: SharedArrayBuffer) {
  return {
    posted: new Int32Array(sab, 0, 1),
    answered: new Int32Array(sab, LINE, 1),
    parked: new Int32Array(sab, 2 * LINE, 1),
    sqliteNs: new Float64Array(sab, 3 * LINE, 1),
    bytes: new Uint8Array(sab, 4 * LINE, SLOTS * SLOT_BYTES),
    words: new Int32Array(sab, 4 * LINE + SLOTS * SLOT_BYTES, SLOTS * 3),
  };
}
const ringBytes = () => 4 * LINE + SLOTS * SLOT_BYTES + SLOTS * 3 * 4;

if (!isMainThread) {
  // The worker: answers the ring's slots in order. A slot holds up to three strings (their lengths
  // in its words) and an opcode: 1 INSERT (word 0: created_ms), 2 SELECT; the answer goes to word 2.
  const {
    posted,
    answered: done,
    parked,
    sqliteNs,
    bytes,
    words,
  } = ringViews(workerData as SharedArrayBuffer);
  const db = openChatDatabase();
  // Buffer's latin1Slice (lib/buffer.js, what toString('latin1') calls): a spread of the bytes into
  // String.fromCharCode cost the worker about 3 µs an iteration more.
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as {
    latin1Slice(start: number, end: number): string;
  };
  const text = (at: number, length: number) => buffer.latin1Slice(at, at + length);
  parentPort?.postMessage('ready');
  for (let answered = 0; ; answered++) {
    for (let spins = 0; Atomics.load(posted, 0) === answered; spins++) {
      if (spins < SPINS_BEFORE_PARKING) continue;
      Atomics.store(parked, 0, 1);
      if (Atomics.load(posted, 0) === answered) Atomics.wait(posted, 0, answered, 100);
      Atomics.store(parked, 0, 0);
      spins = 0;
    }
    const slot = answered % SLOTS;
    const at = slot * SLOT_BYTES;
    const w = slot * 3;
    const lengths = bytes[at]!;
    const userLength = lengths & 0xff;
    const user = text(at + 4, userLength);
    if (bytes[at + 1] === 3)
      words[w + 2] = userLength; // no statement: the ring alone
    else if (bytes[at + 1] === 1) {
      const promptLength = bytes[at + 2]!;
      const prompt = text(at + 4 + userLength, promptLength);
      const answer = text(at + 4 + userLength + promptLength, bytes[at + 3]!);
      const start = process.hrtime.bigint();
      words[w + 2] = db.insert(user, prompt, answer, words[w]!);
      sqliteNs[0]! += Number(process.hrtime.bigint() - start);
    } else {
      const start = process.hrtime.bigint();
      words[w + 2] = db.newest(user);
      sqliteNs[0]! += Number(process.hrtime.bigint() - start);
    }
    Atomics.store(done, 0, answered + 1);
  }
} else {
  const iterations = Number(process.argv[2] ?? 200_000);
  const traffic = Number(process.argv[3] ?? 100);
  // Filled, so that every page is its own: reads of pages never written all map to one zero page.
  const memory = new Float64Array(TRAFFIC_WORDS).fill(1);
  const users = Array.from({ length: USERS }, (_, i) => `user-${i}`);
  const answer = 'an answer of about thirty chars';

  // A small LCG: the same users, prompts and reads in every way measured.
  const measure = async (
    label: string,
    run: (user: () => string, prompt: () => string, touch: () => number) => Promise<number> | number,
  ) => {
    let state = 1;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
      return state / 0x80000000;
    };
    const touch = () => {
      let sum = 0;
      for (let k = 0; k < traffic; k++) sum += memory[(next() * TRAFFIC_WORDS) | 0]!;
      return sum;
    };
    const start = process.hrtime.bigint();
    const checksum = await run(
      () => users[(next() * USERS) | 0]!,
      () => `prompt-${(next() * 20_000) | 0}`,
      touch,
    );
    const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
    console.log(`${label.padEnd(22)} ${us.toFixed(2).padStart(7)} µs per iteration (checksum ${checksum})`);
  };

  const startWorker = async () => {
    const sab = new SharedArrayBuffer(ringBytes());
    const ring = ringViews(sab);
    const worker = new Worker(new URL('./sqlite-offload-worker.mjs', import.meta.url), { workerData: sab });
    await new Promise((resolve) => worker.once('message', resolve));
    let posted = 0;
    const put = (at: number, s: string) => {
      for (let i = 0; i < s.length; i++) ring.bytes[at + i] = s.charCodeAt(i);
      return s.length;
    };
    const post = (op: 1 | 2 | 3, user: string, prompt = '', atMs = 0): number => {
      if (4 + user.length + prompt.length + answer.length > SLOT_BYTES)
        throw new RangeError('sqlite-offload: a slot holds SLOT_BYTES of strings');
      while (posted - Atomics.load(ring.answered, 0) >= SLOTS) {} // the ring is full: wait for a slot
      const slot = posted % SLOTS;
      const at = slot * SLOT_BYTES;
      ring.bytes[at + 1] = op;
      ring.bytes[at] = put(at + 4, user);
      if (op === 1) {
        ring.bytes[at + 2] = put(at + 4 + user.length, prompt);
        ring.bytes[at + 3] = put(at + 4 + user.length + prompt.length, answer);
        ring.words[slot * 3] = atMs;
      }
      Atomics.store(ring.posted, 0, ++posted);
      if (Atomics.load(ring.parked, 0) === 1) Atomics.notify(ring.posted, 0);
      return posted - 1;
    };
    const answerOf = (ticket: number): number => {
      while (Atomics.load(ring.answered, 0) <= ticket) {} // not answered yet
      return ring.words[(ticket % SLOTS) * 3 + 2]!;
    };
    /** The worker's time in its SQLite calls so far, µs per iteration. */
    const sqliteUs = () => ring.sqliteNs[0]! / 1000 / iterations;
    return { post, answerOf, sqliteUs, stop: () => worker.terminate() };
  };

  let inPlaceUs = 0;
  console.log(`${iterations} iterations, ${traffic} random reads of a 400 MiB array each`);
  await measure('traffic only', (_user, _prompt, touch) => {
    let sum = 0;
    for (let i = 0; i < iterations; i++) sum += touch();
    return sum;
  });
  await measure('in place', (user, prompt, touch) => {
    const db = openChatDatabase();
    let sum = 0;
    let ns = 0;
    for (let i = 0; i < iterations; i++) {
      sum += touch();
      const u = user();
      const p = prompt();
      const reader = user();
      const start = process.hrtime.bigint();
      db.insert(u, p, answer, i);
      sum += db.newest(reader);
      ns += Number(process.hrtime.bigint() - start);
    }
    inPlaceUs = ns / 1000 / iterations;
    return sum;
  });
  console.log(`${''.padEnd(22)} (its SQLite calls: ${inPlaceUs.toFixed(2)} µs per iteration)`);
  {
    const ring = await startWorker();
    await measure('the ring alone', (user, _prompt, touch) => {
      let sum = 0;
      for (let i = 0; i < iterations; i++) {
        sum += touch();
        sum += ring.answerOf(ring.post(3, user()));
        sum += ring.answerOf(ring.post(3, user()));
      }
      return sum;
    });
    await ring.stop();
  }
  for (const deferred of [false, true]) {
    const ring = await startWorker();
    await measure(deferred ? 'worker, deferred' : 'worker, waiting', (user, prompt, touch) => {
      let sum = 0;
      let pending = -1;
      for (let i = 0; i < iterations; i++) {
        sum += touch();
        if (pending >= 0) sum += ring.answerOf(pending);
        ring.post(1, user(), prompt(), i);
        pending = ring.post(2, user());
        if (!deferred) {
          sum += ring.answerOf(pending);
          pending = -1;
        }
      }
      if (pending >= 0) sum += ring.answerOf(pending);
      return sum;
    });
    console.log(
      `${''.padEnd(22)} (the worker's SQLite calls: ${ring.sqliteUs().toFixed(2)} µs per iteration)`,
    );
    await ring.stop();
  }
}
