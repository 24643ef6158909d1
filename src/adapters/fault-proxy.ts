// A loopback TCP proxy that injects network faults, with Toxiproxy's model and names (see
// fault-proxy-toxics.ts): a proxy listens on 127.0.0.1 and forwards each accepted connection to
// its upstream; toxics act on the `upstream` (client to server) or `downstream` (server to client)
// stream of each connection; `enabled = false` is Toxiproxy's "down" (every connection closed,
// the listener stopped, so connects are refused). Toxiproxy itself cannot be installed here, so
// hasim carries this small one; it binds to 127.0.0.1 only and never to another address.
//
// Each stream of a connection is a queue worked in order: a chunk waits while a `timeout` toxic
// holds the stream, then until its arrival time plus its `latency`, then is cut by `limit_data`
// and `slicer`, written, and paced by `bandwidth`. Chance (jitter, slice sizes, toxicity) comes
// from the Random port, time from the Clock port.
import net from 'node:net';
import type { Clock, TimerHandle } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import { type ActiveToxic, activateToxic, latencyMs, slice, type Toxic } from './fault-proxy-toxics.ts';

/** Options of {@link FaultProxy}. */
export interface FaultProxyOptions {
  /** The proxy's name, for messages (Toxiproxy's proxy name). */
  readonly name: string;
  /** Port to listen on at 127.0.0.1; 0 picks a free one. @defaultValue 0 */
  readonly listenPort?: number;
  /** The server the proxy forwards to. */
  readonly upstream: { readonly host: string; readonly port: number };
  /** Most connections open at once; further ones are closed at once. @defaultValue 1024 */
  readonly maxConnections?: number;
  /**
   * Most bytes waiting in one stream of one connection; beyond it the proxy stops reading from the
   * sender until the queue has drained to half (TCP back-pressure, nothing is dropped).
   * @defaultValue 16 MiB
   */
  readonly maxBufferedBytes?: number;
}

/** Ports of {@link FaultProxy}. */
export interface FaultProxyPorts {
  readonly clock: Clock;
  /** Jitter, slice sizes and toxicity draws. */
  readonly random: Random;
}

type Stream = 'upstream' | 'downstream';

/** One accepted connection: the client socket, the upstream socket and a queue per stream. */
class Connection {
  closed = false;
  readonly timers: TimerHandle[] = [];
  /** toxic name -> whether it applies to this connection (drawn once, by toxicity). */
  readonly applies = new Map<string, boolean>();
  readonly streams: Record<Stream, StreamQueue>;

  constructor(
    readonly proxy: FaultProxy,
    readonly client: net.Socket,
    readonly server: net.Socket,
  ) {
    this.streams = {
      upstream: new StreamQueue(this, 'upstream', client, server),
      downstream: new StreamQueue(this, 'downstream', server, client),
    };
  }

  /** Closes both sockets (a reset when `reset`) and stops both queues. */
  close(reset = false) {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) t.cancel();
    for (const s of [this.client, this.server]) {
      try {
        if (reset && !s.destroyed) s.resetAndDestroy();
        else s.destroy();
      } catch {
        s.destroy(); // not connected yet: nothing to reset
      }
    }
    for (const q of Object.values(this.streams)) q.wake();
    this.proxy.forget(this);
  }
}

/** One direction of a connection. */
class StreamQueue {
  readonly #chunks: { readonly data: Buffer; readonly atMs: number }[] = [];
  #queuedBytes = 0;
  #passedBytes = 0;
  #running = false;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(
    readonly conn: Connection,
    readonly stream: Stream,
    readonly from: net.Socket,
    readonly to: net.Socket,
  ) {
    from.on('data', (data: Buffer) => this.#push(data));
    from.on('end', () => {
      this.#ended = true;
      this.#kick();
    });
  }

  /** Re-checks a held stream (a toxic was removed, the connection closed). */
  wake() {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Bytes received and not yet written on. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  #push(data: Buffer) {
    const { proxy } = this.conn;
    this.#chunks.push({ data, atMs: proxy.clock.now() });
    this.#queuedBytes += data.length;
    if (this.#queuedBytes > proxy.maxBufferedBytes) this.from.pause();
    this.#kick();
  }

  #kick() {
    if (this.#running || this.conn.closed) return;
    this.#running = true;
    this.#run().finally(() => {
      this.#running = false;
    });
  }

  async #run() {
    const { proxy } = this.conn;
    for (;;) {
      if (this.conn.closed) return;
      const chunk = this.#chunks.shift();
      if (chunk === undefined) break;
      await this.#deliver(chunk.data, chunk.atMs);
      this.#queuedBytes -= chunk.data.length;
      if (this.from.isPaused() && this.#queuedBytes <= proxy.maxBufferedBytes / 2) this.from.resume();
    }
    if (this.#ended && !this.conn.closed) {
      const slowClose = proxy.toxicsFor(this.conn, this.stream).find((t) => t.type === 'slow_close');
      if (slowClose?.type === 'slow_close') await proxy.sleep(slowClose, slowClose.attributes.delay);
      this.to.end();
    }
  }

  async #deliver(data: Buffer, atMs: number) {
    const { proxy } = this.conn;
    while (!this.conn.closed && proxy.toxicsFor(this.conn, this.stream).some((t) => t.type === 'timeout')) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    let pieces = [data];
    let limitReached = false;
    for (const toxic of proxy.toxicsFor(this.conn, this.stream)) {
      if (this.conn.closed) return;
      if (toxic.type === 'latency') {
        const wait = atMs + latencyMs(toxic.attributes, proxy.random) - proxy.clock.now();
        if (wait > 0) await proxy.sleep(toxic, wait);
      } else if (toxic.type === 'limit_data') {
        const room = toxic.attributes.bytes - this.#passedBytes;
        if (room <= data.length) {
          pieces = [data.subarray(0, Math.max(0, room))];
          limitReached = true;
        }
      } else if (toxic.type === 'slicer') {
        pieces = pieces.flatMap((p) => slice(p, toxic.attributes, proxy.random));
      }
    }
    await this.#write(pieces);
    if (limitReached) this.conn.close();
  }

  async #write(pieces: readonly Buffer[]) {
    const { proxy } = this.conn;
    const toxics = proxy.toxicsFor(this.conn, this.stream);
    const slicer = toxics.find((t) => t.type === 'slicer');
    const bandwidth = toxics.find((t) => t.type === 'bandwidth');
    for (const [i, piece] of pieces.entries()) {
      if (this.conn.closed) return;
      if (i > 0 && slicer?.type === 'slicer' && (slicer.attributes.delay ?? 0) > 0) {
        await proxy.sleep(slicer, (slicer.attributes.delay ?? 0) / 1000); // Toxiproxy's slicer delay is in µs
      }
      this.#passedBytes += piece.length;
      if (!this.to.write(piece)) await new Promise((resolve) => this.to.once('drain', resolve));
      if (bandwidth?.type === 'bandwidth')
        await proxy.sleep(bandwidth, piece.length / bandwidth.attributes.rate); // KB/s = bytes/ms
    }
  }
}

/** A loopback TCP proxy with Toxiproxy's toxics (see the file comment). */
export class FaultProxy {
  readonly name: string;
  readonly upstream: { readonly host: string; readonly port: number };
  readonly maxConnections: number;
  readonly maxBufferedBytes: number;
  readonly clock: Clock;
  readonly random: Random;
  readonly #connections = new Set<Connection>();
  #toxics: ActiveToxic[] = [];
  /** Per toxic: aborted when it is removed, so data it holds back moves on at once (as Toxiproxy). */
  readonly #removed = new Map<ActiveToxic, AbortController>();
  #server: net.Server | undefined;
  #port: number;
  #enabled = true;
  #refusedConnections = 0;

  constructor(options: FaultProxyOptions, ports: FaultProxyPorts) {
    this.name = options.name;
    this.upstream = options.upstream;
    this.#port = options.listenPort ?? 0;
    this.maxConnections = options.maxConnections ?? 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    if (!Number.isSafeInteger(this.maxConnections) || this.maxConnections < 1)
      throw new RangeError(`FaultProxy: maxConnections must be an integer >= 1, got ${this.maxConnections}`);
    if (!(this.maxBufferedBytes >= 1))
      throw new RangeError(`FaultProxy: maxBufferedBytes must be >= 1 byte, got ${this.maxBufferedBytes}`);
    this.clock = ports.clock;
    this.random = ports.random;
  }

  /** Starts listening on 127.0.0.1; resolves with the port (fixed for the proxy's life). */
  async start(): Promise<number> {
    if (this.#server !== undefined) return this.#port;
    // allowHalfOpen: a close travels through the stream's queue (after its data, and after
    // slow_close) instead of being answered by the socket itself at once.
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.#port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const address = server.address();
    if (address !== null && typeof address === 'object') this.#port = address.port;
    return this.#port;
  }

  /** The port the proxy listens on (0 before the first start with `listenPort` 0). */
  get port(): number {
    return this.#port;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Bytes received and not yet passed on, over every stream of every connection. */
  get queuedBytes(): number {
    let bytes = 0;
    for (const conn of this.#connections)
      bytes += conn.streams.upstream.queuedBytes + conn.streams.downstream.queuedBytes;
    return bytes;
  }

  /** Connections closed at once because {@link FaultProxyOptions.maxConnections} were open. */
  get refusedConnections(): number {
    return this.#refusedConnections;
  }

  /** False while the proxy is down (Toxiproxy's `enabled`). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /**
   * Takes the proxy down (every connection closed, the listener stopped: connects are refused) or
   * brings it up again on the same port.
   */
  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled === this.#enabled) return;
    this.#enabled = enabled;
    if (enabled) {
      await this.start();
      return;
    }
    await this.#stopListening();
  }

  /** Adds a toxic (Toxiproxy's names and units); throws RangeError on a bad one or a name in use. */
  addToxic(toxic: Toxic): ActiveToxic {
    const active = activateToxic(toxic);
    if (this.#toxics.some((t) => t.name === active.name)) {
      throw new RangeError(`FaultProxy ${this.name}: toxic '${active.name}' already exists`);
    }
    this.#toxics = [...this.#toxics, active];
    this.#removed.set(active, new AbortController());
    for (const conn of this.#connections) this.#arm(conn, active);
    return active;
  }

  /** Removes a toxic; false when there was none of that name. Held streams move on. */
  removeToxic(name: string): boolean {
    const before = this.#toxics.length;
    for (const t of this.#toxics.filter((t) => t.name === name)) {
      this.#removed.get(t)?.abort();
      this.#removed.delete(t);
    }
    this.#toxics = this.#toxics.filter((t) => t.name !== name);
    for (const conn of this.#connections) {
      conn.applies.delete(name);
      for (const q of Object.values(conn.streams)) q.wake();
    }
    return this.#toxics.length < before;
  }

  /** The toxics in force, in the order added. */
  toxics(): readonly ActiveToxic[] {
    return this.#toxics;
  }

  /** Removes every toxic and brings the proxy up. */
  async reset(): Promise<void> {
    for (const t of [...this.#toxics]) this.removeToxic(t.name);
    await this.setEnabled(true);
  }

  /** Stops the proxy for good: every connection closed, the listener stopped. */
  async close(): Promise<void> {
    this.#enabled = false;
    await this.#stopListening();
  }

  /** The toxics of `stream` that apply to `conn` (toxicity drawn once per connection and toxic). */
  toxicsFor(conn: Connection, stream: Stream): ActiveToxic[] {
    return this.#toxics.filter((t) => t.stream === stream && this.#applies(conn, t));
  }

  /** Waits `ms` on the proxy clock, or less if `toxic` is removed meanwhile. */
  async sleep(toxic: ActiveToxic, ms: number): Promise<void> {
    const removed = this.#removed.get(toxic)?.signal;
    if (removed === undefined || removed.aborted) return;
    await this.clock.sleep(ms, removed).catch(() => undefined);
  }

  /** Called by a connection that closed. */
  forget(conn: Connection) {
    this.#connections.delete(conn);
  }

  #applies(conn: Connection, toxic: ActiveToxic): boolean {
    let applies = conn.applies.get(toxic.name);
    if (applies === undefined) {
      applies = toxic.toxicity >= 1 || this.random.next() < toxic.toxicity;
      conn.applies.set(toxic.name, applies);
    }
    return applies;
  }

  /** Starts a `timeout` or `reset_peer` toxic's clock on a connection it applies to. */
  #arm(conn: Connection, toxic: ActiveToxic) {
    if (!this.#applies(conn, toxic)) return;
    if (toxic.type === 'timeout' && toxic.attributes.timeout > 0) {
      conn.timers.push(this.clock.schedule(toxic.attributes.timeout, () => conn.close()));
    } else if (toxic.type === 'reset_peer') {
      const timeout = toxic.attributes.timeout ?? 0;
      // Timeout 0 resets now, not on a 0 ms timer: a reply already on its way would otherwise
      // still pass if the loop polls the sockets before it runs the timers (Node's event loop
      // phases), and a client could be answered after the reset was in force.
      if (timeout === 0) conn.close(true);
      else conn.timers.push(this.clock.schedule(timeout, () => conn.close(true)));
    }
  }

  #accept(client: net.Socket) {
    if (!this.#enabled || this.#connections.size >= this.maxConnections) {
      if (this.#enabled) this.#refusedConnections++;
      client.destroy();
      return;
    }
    const server = net.connect({ host: this.upstream.host, port: this.upstream.port, allowHalfOpen: true });
    const conn = new Connection(this, client, server);
    this.#connections.add(conn);
    for (const s of [client, server]) {
      s.setNoDelay(true);
      s.on('error', () => conn.close(true)); // e.g. upstream refused: the client sees a reset
      s.on('close', () => {
        if (client.closed && server.closed) conn.close();
      });
    }
    for (const toxic of this.#toxics) this.#arm(conn, toxic);
  }

  async #stopListening() {
    const server = this.#server;
    this.#server = undefined;
    for (const conn of [...this.#connections]) conn.close();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
