// The fault proxy against a local echo server on 127.0.0.1. Time is a stepped clock the test moves
// by hand, so "not yet delivered" and "delivered after the latency" are checked without timing
// anything; chance is a seeded Random. Real waits are only for loopback I/O, and bounded.
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy } from '#src/adapters/fault-proxy.ts';
import { latencyMs, slice } from '#src/adapters/fault-proxy-toxics.ts';
import { SeededRandom } from '#src/adapters/seeded-random.ts';
import type { Clock, TimerHandle } from '#src/ports/clock.ts';

/** A clock whose timers fire only when the test advances it. */
class SteppedClock implements Clock {
  nowMs = 0;
  readonly requestedMs: number[] = [];
  #timers: { atMs: number; fn: () => void; done: boolean }[] = [];
  now() {
    return this.nowMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.requestedMs.push(ms);
    return new Promise((resolve, reject) => {
      const timer = this.schedule(ms, resolve);
      signal?.addEventListener('abort', () => {
        timer.cancel();
        reject(signal.reason);
      });
    });
  }
  schedule(delayMs: number, fn: () => void): TimerHandle {
    const timer = { atMs: this.nowMs + delayMs, fn, done: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.done = true) };
  }
  get pending(): number {
    return this.#timers.filter((t) => !t.done).length;
  }
  advance(ms: number) {
    this.nowMs += ms;
    for (const t of this.#timers.sort((a, b) => a.atMs - b.atMs)) {
      if (t.done || t.atMs > this.nowMs) continue;
      t.done = true;
      t.fn();
    }
    this.#timers = this.#timers.filter((t) => !t.done);
  }
}

/** Polls (real time, bounded) until `probe` holds. */
async function until(probe: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A client connection that records what it received and how it ended. */
class Client {
  received = Buffer.alloc(0);
  chunks = 0;
  ended = false;
  error: string | undefined;
  readonly socket: net.Socket;
  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      this.chunks++;
    });
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('close', () => (this.ended = true));
    this.socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code ?? e.message));
  }
  get text() {
    return this.received.toString();
  }
}

let echo: net.Server;
let echoPort: number;
let clock: SteppedClock;
let proxy: FaultProxy;
const clients: Client[] = [];

function connect(): Client {
  const c = new Client(proxy.port);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  echo = net.createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as net.AddressInfo).port;
  clock = new SteppedClock();
  proxy = new FaultProxy(
    { name: 'echo', upstream: { host: '127.0.0.1', port: echoPort } },
    { clock, random: new SeededRandom(7) },
  );
  await proxy.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

describe('FaultProxy', () => {
  it('forwards both ways without toxics', async () => {
    const c = connect();
    c.socket.write('hello');
    await until(() => c.text === 'hello', 'the echo');
    expect(proxy.connections).toBe(1);
  });

  it('latency: holds the reply until latency has passed on the proxy clock', async () => {
    proxy.addToxic({ type: 'latency', attributes: { latency: 100 } });
    const c = connect();
    c.socket.write('ping');
    await until(() => clock.pending > 0, 'the delayed reply');
    expect(c.text).toBe('');
    expect(clock.requestedMs).toEqual([100]);
    clock.advance(99);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(c.text).toBe('');
    clock.advance(1);
    await until(() => c.text === 'ping', 'the reply after 100 ms');
  });

  it('latency: removing the toxic lets the data it holds back through at once', async () => {
    proxy.addToxic({ type: 'latency', attributes: { latency: 10_000 } });
    const c = connect();
    c.socket.write('late');
    await until(() => clock.pending > 0, 'the delayed reply');
    expect(proxy.removeToxic('latency_downstream')).toBe(true);
    await until(() => c.text === 'late', 'the released reply');
    expect(clock.nowMs).toBe(0);
  });

  it('latency jitter: seeded, within latency +/- jitter, and the same for the same seed', () => {
    const draws = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 50 }, () => latencyMs({ latency: 100, jitter: 30 }, random));
    };
    const a = draws(3);
    expect(a).toEqual(draws(3));
    expect(a).not.toEqual(draws(4));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(70);
    expect(Math.max(...a)).toBeLessThanOrEqual(130);
    expect(new Set(a).size).toBeGreaterThan(40);
  });

  it('bandwidth: paces each write at rate KB/s', async () => {
    proxy.addToxic({ type: 'bandwidth', attributes: { rate: 1 } });
    const c = connect();
    c.socket.write(Buffer.alloc(2_000, 1));
    await until(() => c.received.length === 2_000, 'the first chunk');
    expect(clock.requestedMs).toEqual([2_000]); // 2000 bytes at 1 KB/s
    c.socket.write('x');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(c.received.length).toBe(2_000); // still paced
    clock.advance(2_000);
    await until(() => c.received.length === 2_001, 'the second chunk');
  });

  it('slicer: cuts the data into average_size pieces with delay µs between them', async () => {
    proxy.addToxic({ type: 'slicer', attributes: { average_size: 4, size_variation: 0, delay: 1_000 } });
    const c = connect();
    c.socket.write('abcdefghij');
    await until(() => c.received.length === 4, 'the first slice');
    expect(clock.requestedMs).toEqual([1]);
    clock.advance(1);
    await until(() => c.received.length === 8, 'the second slice');
    clock.advance(1);
    await until(() => c.text === 'abcdefghij', 'the last slice');
    expect(
      slice(Buffer.alloc(100), { average_size: 10, size_variation: 5 }, new SeededRandom(1)).every(
        (p) => p.length >= 5 && p.length <= 15,
      ),
    ).toBe(true);
  });

  it('limit_data: closes the connection once bytes have gone through', async () => {
    proxy.addToxic({ type: 'limit_data', attributes: { bytes: 5 } });
    const c = connect();
    c.socket.write('hello world');
    await until(() => c.ended, 'the close');
    expect(c.text).toBe('hello');
  });

  it('timeout 0: holds all data until the toxic is removed', async () => {
    proxy.addToxic({ name: 'hold', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const c = connect();
    c.socket.write('held');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(c.text).toBe('');
    expect(proxy.removeToxic('hold')).toBe(true);
    await until(() => c.text === 'held', 'the released data');
  });

  it('timeout N: stops data and closes the connection after N ms', async () => {
    const c = connect();
    await until(() => proxy.connections === 1, 'the connection');
    proxy.addToxic({ type: 'timeout', attributes: { timeout: 50 } });
    c.socket.write('lost');
    clock.advance(49);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(c.ended).toBe(false);
    clock.advance(1);
    await until(() => c.ended, 'the close');
    expect(c.text).toBe('');
  });

  it('reset_peer: resets the connection (ECONNRESET) after timeout ms', async () => {
    proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 10 } });
    const c = connect();
    await until(() => clock.pending === 1, 'the armed reset');
    clock.advance(10);
    await until(() => c.error !== undefined, 'the reset');
    expect(c.error).toBe('ECONNRESET');
  });

  it('reset_peer timeout 0: resets open and new connections at once, not on a timer', async () => {
    const open = connect();
    await until(() => proxy.connections === 1, 'the connection');
    proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 0 } });
    expect(proxy.connections).toBe(0);
    open.socket.write('late');
    await until(() => open.error !== undefined, 'the reset');
    expect(open.error).toBe('ECONNRESET');
    expect(open.text).toBe('');
    const next = connect();
    await until(() => next.error !== undefined || next.ended, 'the new connection reset');
    expect(next.text).toBe('');
    expect(clock.pending).toBe(0);
  });

  it('slow_close: passes the server close on only after delay ms', async () => {
    proxy.addToxic({ type: 'slow_close', attributes: { delay: 100 } });
    echo.removeAllListeners('connection');
    echo.on('connection', (s) => s.end('bye'));
    const c = connect();
    await until(() => c.text === 'bye' && clock.pending === 1, 'the data and the held close');
    expect(c.ended).toBe(false);
    clock.advance(100);
    await until(() => c.ended, 'the close');
  });

  it('toxicity: applies a toxic to a seeded share of connections', async () => {
    proxy.addToxic({ type: 'limit_data', toxicity: 0.5, attributes: { bytes: 0 } });
    const random = new SeededRandom(7); // the proxy's seed: one draw per connection, in accept order
    const expected = Array.from({ length: 8 }, () => random.next() < 0.5);
    const cut: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const c = connect();
      await until(() => proxy.connections === 1, 'the connection');
      c.socket.write('x');
      await until(() => c.ended || c.text === 'x', 'the echo or the close');
      cut.push(c.text === '');
      c.socket.destroy();
      await until(() => proxy.connections === 0, 'the proxy to forget it');
    }
    expect(cut).toEqual(expected);
    expect(cut).toContain(true);
    expect(cut).toContain(false);
  });

  it('enabled=false refuses connections; enabled again listens on the same port', async () => {
    const c = connect();
    await until(() => proxy.connections === 1, 'the connection');
    const port = proxy.port;
    await proxy.setEnabled(false);
    await until(() => c.ended, 'the close of the open connection');
    const refused = connect();
    await until(() => refused.error !== undefined, 'the refusal');
    expect(refused.error).toBe('ECONNREFUSED');
    await proxy.setEnabled(true);
    expect(proxy.port).toBe(port);
    const again = connect();
    again.socket.write('back');
    await until(() => again.text === 'back', 'the echo after re-enabling');
  });

  it('maxConnections: closes connections beyond the limit and counts them', async () => {
    await proxy.close();
    proxy = new FaultProxy(
      { name: 'one', upstream: { host: '127.0.0.1', port: echoPort }, maxConnections: 1 },
      { clock, random: new SeededRandom(1) },
    );
    await proxy.start();
    connect();
    await until(() => proxy.connections === 1, 'the first connection');
    const second = connect();
    await until(() => second.ended, 'the second to be closed');
    expect(proxy.refusedConnections).toBe(1);
  });

  it('maxBufferedBytes: a held stream stops reading from the sender instead of buffering all', async () => {
    await proxy.close();
    proxy = new FaultProxy(
      { name: 'small', upstream: { host: '127.0.0.1', port: echoPort }, maxBufferedBytes: 1_000 },
      { clock, random: new SeededRandom(1) },
    );
    await proxy.start();
    proxy.addToxic({ name: 'hold', type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const c = connect();
    const sent = Buffer.alloc(4 * 1024 * 1024, 7);
    c.socket.write(sent);
    await until(() => proxy.queuedBytes >= 1_000, 'the queue to fill');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(proxy.queuedBytes).toBeLessThan(sent.length); // the rest waits in the kernel and the client
    proxy.removeToxic('hold');
    await until(() => c.received.length === sent.length, 'everything echoed', 20_000);
    expect(proxy.queuedBytes).toBe(0);
  });

  it('refuses bad toxics with the field named', () => {
    expect(() => proxy.addToxic({ type: 'latency', attributes: { latency: -1 } })).toThrow(
      /attribute latency/,
    );
    expect(() => proxy.addToxic({ type: 'latency', toxicity: 2, attributes: { latency: 1 } })).toThrow(
      /toxicity/,
    );
    proxy.addToxic({ type: 'latency', attributes: { latency: 1 } });
    expect(() => proxy.addToxic({ type: 'latency', attributes: { latency: 2 } })).toThrow(/already exists/);
  });
});
