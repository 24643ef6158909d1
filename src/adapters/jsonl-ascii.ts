import { fieldsJson, keyText } from './jsonl-fields.ts';

/**
 * A trace line written straight into the chunk, byte by byte: `{"t":<t><prefix><fields>}\n`,
 * exactly the bytes of the line `JsonlTrace` would otherwise build as a string and encode. Building
 * the string costs a string per piece and per concatenation, then a flattening copy before the
 * UTF-8 encoder reads it; here each piece is copied once, as it is.
 *
 * ASCII only: a line with any character from U+0080 up is left to the string path (the return
 * value is -1, and nothing past `at` counts as written), so a byte here is always one UTF-16 code
 * unit and the line's length in characters is the number of bytes written. So is a line that
 * would not fit in `buf` from `at`. JSON escapes make nearly every trace line ASCII.
 *
 * `prefix` is the kind's `,"c":…,"k":…` as bytes (asciiBytes; a kind whose text is not ASCII
 * takes the string path without calling this), and `memo` that kind's KeyMemo: copying
 * known bytes and comparing a key with the one remembered at its position took a fifth off the
 * cost of an event line (about 280 → 220 ns, timed alone on the gateway's common events).
 *
 * @returns the offset after the line, or -1 when the string path must write it.
 */
export function writeAsciiLine(
  buf: Uint8Array,
  at: number,
  t: number,
  prefix: Uint8Array,
  fields: object | undefined,
  memo: KeyMemo,
): number {
  if (at + 5 > buf.length) return -1;
  buf[at] = 0x7b; // {"t":
  buf[at + 1] = 0x22;
  buf[at + 2] = 0x74;
  buf[at + 3] = 0x22;
  buf[at + 4] = 0x3a;
  let pos = writeNumber(buf, at + 5, t);
  if (pos < 0) return -1;
  pos = writeBytes(buf, pos, prefix);
  if (pos < 0) return -1;
  if (fields !== undefined) {
    pos = writeFields(buf, pos, fields, memo);
    if (pos < 0) return -1;
  }
  if (pos + 2 > buf.length) return -1;
  buf[pos] = 0x7d; // }\n
  buf[pos + 1] = 0x0a;
  return pos + 2;
}

/** The bytes of `text` when it is ASCII, else undefined (the line then goes the string path). */
export function asciiBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  return writeText(bytes, 0, text) < 0 ? undefined : bytes;
}

/** `bytes` at `pos`; -1 if they do not fit. */
function writeBytes(buf: Uint8Array, pos: number, bytes: Uint8Array): number {
  const n = bytes.length;
  if (pos + n > buf.length) return -1;
  for (let i = 0; i < n; i++) buf[pos + i] = bytes[i]!;
  return pos + n;
}

/**
 * `keyText(key)`'s bytes (null when not ASCII), for each key seen up to a bound: event keys are a
 * small fixed vocabulary, and copying bytes skips the per-character reads and checks of writeText.
 */
const keyBytes = new Map<string, Uint8Array | null>();
const KEY_BYTES_MAX = 4096;

function keyBytesOf(key: string): Uint8Array | null {
  let bytes = keyBytes.get(key);
  if (bytes === undefined) {
    bytes = asciiBytes(keyText(key)) ?? null;
    if (keyBytes.size < KEY_BYTES_MAX) keyBytes.set(key, bytes);
  }
  return bytes;
}

/**
 * The keys one kind of event was emitted with, in order, and their `keyBytesOf`: an event of that
 * kind mostly has the same keys, and comparing a key with the one remembered at its position is
 * cheaper than looking it up. A key that differs is looked up; the memo learns only a first
 * sequence (and its growth at the end).
 */
export interface KeyMemo {
  readonly keys: string[];
  readonly bytes: (Uint8Array | null)[];
}

/** The longest key sequence a memo learns. */
const KEY_MEMO_MAX = 32;

function memoKeyBytes(memo: KeyMemo, i: number, key: string): Uint8Array | null {
  const keys = memo.keys;
  if (i < keys.length) return keys[i] === key ? memo.bytes[i]! : keyBytesOf(key);
  const bytes = keyBytesOf(key);
  if (i === keys.length && i < KEY_MEMO_MAX) {
    keys.push(key);
    memo.bytes.push(bytes);
  }
  return bytes;
}

/**
 * `fieldsJson(fields)`'s characters (see there for the contract), written at `pos`. The flat
 * values an event carries are written as they are; anything `fieldsJson` hands to
 * `JSON.stringify` goes the same way here, and its text is copied.
 */
function writeFields(buf: Uint8Array, start: number, fields: object, memo: KeyMemo): number {
  if (Object.getPrototypeOf(fields) !== Object.prototype) return writeText(buf, start, fieldsJson(fields));
  const record = fields as Record<string, unknown>;
  let pos = start;
  let i = 0;
  for (const key in record) {
    const value = record[key];
    const bytes = memoKeyBytes(memo, i, key);
    i++;
    switch (typeof value) {
      case 'string':
        pos = bytes === null ? -1 : writeBytes(buf, pos, bytes);
        if (pos < 0) return -1;
        pos = writeQuoted(buf, pos, value);
        break;
      case 'number':
        pos = bytes === null ? -1 : writeBytes(buf, pos, bytes);
        if (pos < 0) return -1;
        pos = Number.isFinite(value) ? writeNumber(buf, pos, value) : writeText(buf, pos, 'null');
        break;
      case 'boolean':
        pos = bytes === null ? -1 : writeBytes(buf, pos, bytes);
        if (pos < 0) return -1;
        pos = writeText(buf, pos, value ? 'true' : 'false');
        break;
      case 'object':
        if (value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
          return writeText(buf, start, fieldsJson(fields));
        }
        pos = bytes === null ? -1 : writeBytes(buf, pos, bytes);
        if (pos < 0) return -1;
        pos = writeText(buf, pos, value === null ? 'null' : JSON.stringify(value));
        break;
      case 'function':
        if (key === 'toJSON') return writeText(buf, start, fieldsJson(fields));
        break;
      case 'undefined':
      case 'symbol':
        break;
      default:
        // bigint: fieldsJson lets JSON.stringify throw its TypeError.
        return writeText(buf, start, fieldsJson(fields));
    }
    if (pos < 0) return -1;
  }
  return pos;
}

/** `text` at `pos`; -1 if it does not fit or has a character from U+0080 up. */
function writeText(buf: Uint8Array, pos: number, text: string): number {
  const n = text.length;
  if (pos + n > buf.length) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[pos + i] = c;
  }
  return pos + n;
}

/**
 * `value` as a JSON string at `pos`: quoted as it is when no character needs an escape (what
 * `fieldsJson` writes then), else `JSON.stringify`'s text. -1 as for `writeText`.
 */
function writeQuoted(buf: Uint8Array, start: number, value: string): number {
  const n = value.length;
  if (start + n + 2 > buf.length) return -1;
  buf[start] = 0x22;
  let pos = start + 1;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    // QuoteJSONString escapes `"`, `\` and the controls below U+0020 (and lone surrogates, which
    // are past U+0080 and leave the line to the string path anyway).
    if (c === 0x22 || c === 0x5c || c < 0x20) return writeText(buf, start, JSON.stringify(value));
    if (c >= 0x80) return -1;
    buf[pos++] = c;
  }
  buf[pos++] = 0x22;
  return pos;
}

/** `Number.prototype.toString`'s text of a finite `value` at `pos`; -1 as for `writeText`. */
function writeNumber(buf: Uint8Array, pos: number, value: number): number {
  // A small non-negative integer's digits are written directly (the common case: times, ids,
  // counts); 0 and -0 are both "0". Anything else goes through the number's string.
  if (value >= 0 && value <= 0x7fffffff && (value | 0) === value) {
    let digits = 1;
    for (let rest = value; rest >= 10; rest = (rest / 10) | 0) digits++;
    if (pos + digits > buf.length) return -1;
    let rest = value;
    for (let i = pos + digits - 1; i >= pos; i--) {
      const q = (rest / 10) | 0;
      buf[i] = 0x30 + (rest - q * 10);
      rest = q;
    }
    return pos + digits;
  }
  return writeText(buf, pos, `${value}`);
}
