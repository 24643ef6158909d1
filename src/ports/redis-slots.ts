// Redis Cluster key -> slot mapping, identical to `CLUSTER KEYSLOT`: a helper of the Redis port
// (components that shard or check keys use it), not an adapter.
//
// redis/redis src/cluster.c `keyHashSlot()` (and the "Key distribution model" / "Hash tags"
// sections of the cluster spec): slot = CRC16(key) & 16383, where CRC16 is the XMODEM variant
// (poly 0x1021, init 0, no reflection; src/crc16.c). If the key contains a `{`, and a `}` follows
// the FIRST `{`, and the bytes between them are not empty, only those bytes are hashed. Otherwise
// (no `{`, no `}` after it, or an empty `{}`) the whole key is hashed; the scan never looks at a
// later `{...}`. Keys are bytes: a JS string is hashed as its UTF-8 encoding.

/** Number of hash slots in a Redis Cluster (redis/redis src/cluster.h `CLUSTER_SLOTS`). */
export const CLUSTER_SLOTS = 16384;

const CRC16_TABLE = buildCrc16Table();

function buildCrc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
}

/** CRC16/XMODEM of `bytes[start, end)`; `crc16(utf8('123456789'))` is 0x31C3. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  return crc;
}

const encoder = new TextEncoder();
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * The hash slot (0..16383) of a key, exactly as `CLUSTER KEYSLOT` computes it, hash tags
 * included. A string key is hashed as its UTF-8 bytes.
 */
export function keyHashSlot(key: string | Uint8Array): number {
  if (typeof key !== 'string') return bytesKeyHashSlot(key);
  if (key === lastKey) return lastSlot;
  const slot = stringKeyHashSlot(key);
  lastKey = key;
  lastSlot = slot;
  return slot;
}

// The same key is often routed several times in a row (a node checks a script's keys right
// after the EVAL that named them, once per redis.call): the last key's slot is remembered.
// A larger table did not pay: a gateway makes new key strings per request, and hashing one to
// find it in a map costs about what its CRC16 does.
let lastKey: string | undefined;
let lastSlot = 0;

function stringKeyHashSlot(key: string): number {
  return isAscii(key) ? asciiKeyHashSlot(key) : bytesKeyHashSlot(encodeKey(key));
}

function bytesKeyHashSlot(bytes: Uint8Array): number {
  const open = bytes.indexOf(OPEN_BRACE);
  if (open !== -1) {
    const close = bytes.indexOf(CLOSE_BRACE, open + 1);
    // A `}` right after the `{` is an empty tag: the whole key is hashed.
    if (close !== -1 && close !== open + 1) return crc16(bytes, open + 1, close) & (CLUSTER_SLOTS - 1);
  }
  return crc16(bytes) & (CLUSTER_SLOTS - 1);
}

// An ASCII key's UTF-8 bytes are its char codes, one per character: the slot is computed on the
// string itself, with no byte array made for it (every command of a cluster client is routed).
function asciiKeyHashSlot(key: string): number {
  let start = 0;
  let end = key.length;
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close !== -1 && close !== open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff] ?? 0);
  return crc & (CLUSTER_SLOTS - 1);
}

function isAscii(key: string): boolean {
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0x7f) return false;
  return true;
}

function encodeKey(key: string): Uint8Array {
  return encoder.encode(key);
}
