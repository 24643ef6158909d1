// Toxics of the fault proxy (fault-proxy.ts), with Toxiproxy's names, attributes and units, so a
// reader who knows Toxiproxy knows these (github.com/Shopify/toxiproxy README, "Toxics"):
//   latency     {latency ms, jitter ms}      delay all data by latency +/- jitter
//   bandwidth   {rate KB/s}                  limit throughput
//   slow_close  {delay ms}                   delay passing on a close
//   timeout     {timeout ms}                 stop all data; close after timeout (0: never close,
//                                            data held until the toxic is removed)
//   reset_peer  {timeout ms}                 reset the connection (TCP RST) after timeout
//   slicer      {average_size bytes, size_variation bytes, delay µs}  cut data into small writes
//   limit_data  {bytes}                      close once that many bytes went through
// Every toxic has a `stream` (`upstream`: client to server; `downstream`, the default: server to
// client) and a `toxicity`, the probability (0..1, default 1) that it applies to a connection.
import type { Random } from '../ports/random.ts';

/** Toxiproxy's toxic types. */
export type ToxicType =
  | 'latency'
  | 'bandwidth'
  | 'slow_close'
  | 'timeout'
  | 'reset_peer'
  | 'slicer'
  | 'limit_data';

/** Each type's attributes, in Toxiproxy's names and units. */
export interface ToxicAttributes {
  readonly latency: { readonly latency: number; readonly jitter?: number };
  readonly bandwidth: { readonly rate: number };
  readonly slow_close: { readonly delay: number };
  readonly timeout: { readonly timeout: number };
  readonly reset_peer: { readonly timeout?: number };
  readonly slicer: {
    readonly average_size: number;
    readonly size_variation?: number;
    readonly delay?: number;
  };
  readonly limit_data: { readonly bytes: number };
}

/** A toxic as added to a proxy. */
export type Toxic = {
  [T in ToxicType]: {
    /** Unique per proxy. @defaultValue `<type>_<stream>`, as Toxiproxy names it */
    readonly name?: string;
    readonly type: T;
    /** @defaultValue 'downstream' */
    readonly stream?: 'upstream' | 'downstream';
    /** Probability that the toxic applies to a connection. @defaultValue 1 */
    readonly toxicity?: number;
    readonly attributes: ToxicAttributes[T];
  };
}[ToxicType];

/** A toxic with its defaults filled in. */
export type ActiveToxic = Toxic & {
  readonly name: string;
  readonly stream: 'upstream' | 'downstream';
  readonly toxicity: number;
};

const TYPES: readonly ToxicType[] = [
  'latency',
  'bandwidth',
  'slow_close',
  'timeout',
  'reset_peer',
  'slicer',
  'limit_data',
];

function nonNegative(toxic: Toxic, field: string, value: unknown, optional: boolean): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `FaultProxy: toxic '${toxic.name ?? toxic.type}' (${toxic.type}): attribute ${field} must be a number >= 0, got ${String(value)}`,
    );
  }
}

/** Checks a toxic's type and attributes and fills in its defaults; throws RangeError naming the field. */
export function activateToxic(toxic: Toxic): ActiveToxic {
  if (!TYPES.includes(toxic.type)) {
    throw new RangeError(
      `FaultProxy: unknown toxic type '${String(toxic.type)}' (types: ${TYPES.join(', ')})`,
    );
  }
  const stream = toxic.stream ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream') {
    throw new RangeError(
      `FaultProxy: toxic stream must be 'upstream' or 'downstream', got '${String(stream)}'`,
    );
  }
  const toxicity = toxic.toxicity ?? 1;
  if (!(toxicity >= 0 && toxicity <= 1)) {
    throw new RangeError(`FaultProxy: toxicity must be in [0, 1], got ${String(toxicity)}`);
  }
  const a = toxic.attributes as unknown as Record<string, unknown>;
  const required: Record<ToxicType, readonly string[]> = {
    latency: ['latency'],
    bandwidth: ['rate'],
    slow_close: ['delay'],
    timeout: ['timeout'],
    reset_peer: [],
    slicer: ['average_size'],
    limit_data: ['bytes'],
  };
  const optional: Record<ToxicType, readonly string[]> = {
    latency: ['jitter'],
    bandwidth: [],
    slow_close: [],
    timeout: [],
    reset_peer: ['timeout'],
    slicer: ['size_variation', 'delay'],
    limit_data: [],
  };
  for (const f of required[toxic.type]) nonNegative(toxic, f, a[f], false);
  for (const f of optional[toxic.type]) nonNegative(toxic, f, a[f], true);
  if (toxic.type === 'bandwidth' && toxic.attributes.rate === 0) {
    throw new RangeError(`FaultProxy: bandwidth rate must be > 0 KB/s (use a timeout toxic to stop data)`);
  }
  if (toxic.type === 'slicer' && toxic.attributes.average_size < 1) {
    throw new RangeError('FaultProxy: slicer average_size must be >= 1 byte');
  }
  return { ...toxic, name: toxic.name ?? `${toxic.type}_${stream}`, stream, toxicity } as ActiveToxic;
}

/** The latency toxic's delay for one chunk: latency +/- jitter, uniform, never below 0 (ms). */
export function latencyMs(attributes: ToxicAttributes['latency'], random: Random): number {
  const jitter = attributes.jitter ?? 0;
  return Math.max(0, attributes.latency + (jitter === 0 ? 0 : (2 * random.next() - 1) * jitter));
}

/** Cuts `data` into pieces of `average_size` +/- `size_variation` bytes (each at least 1 byte). */
export function slice(data: Buffer, attributes: ToxicAttributes['slicer'], random: Random): Buffer[] {
  const pieces: Buffer[] = [];
  const variation = Math.min(attributes.size_variation ?? 0, attributes.average_size - 1);
  let offset = 0;
  while (offset < data.length) {
    const size = Math.max(1, Math.round(attributes.average_size + (2 * random.next() - 1) * variation));
    pieces.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}
