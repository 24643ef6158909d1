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
 * @returns the offset after the line, or -1 when the string path must write it.
 */
export function writeAsciiLine(
  buf: Uint8Array,
  at: number,
  t: number,
  prefix: string,
  fields: object | undefined,
): number {
  let pos = writeText(buf, at, '{"t":');
  if (pos < 0) return -1;
  pos = writeNumber(buf, pos, t);
  if (pos < 0) return -1;
  pos = writeText(buf, pos, prefix);
  if (pos < 0) return -1;
  if (fields !== undefined) {
    pos = writeFields(buf, pos, fields);
    if (pos < 0) return -1;
  }
  pos = writeText(buf, pos, '}\n');
  return pos;
}

/**
 * `fieldsJson(fields)`'s characters (see there for the contract), written at `pos`. The flat
 * values an event carries are written as they are; anything `fieldsJson` hands to
 * `JSON.stringify` goes the same way here, and its text is copied.
 */
function writeFields(buf: Uint8Array, start: number, fields: object): number {
  if (Object.getPrototypeOf(fields) !== Object.prototype) return writeText(buf, start, fieldsJson(fields));
  const record = fields as Record<string, unknown>;
  let pos = start;
  for (const key in record) {
    const value = record[key];
    switch (typeof value) {
      case 'string':
        pos = writeText(buf, pos, keyText(key));
        if (pos < 0) return -1;
        pos = writeQuoted(buf, pos, value);
        break;
      case 'number':
        pos = writeText(buf, pos, keyText(key));
        if (pos < 0) return -1;
        pos = Number.isFinite(value) ? writeNumber(buf, pos, value) : writeText(buf, pos, 'null');
        break;
      case 'boolean':
        pos = writeText(buf, pos, keyText(key));
        if (pos < 0) return -1;
        pos = writeText(buf, pos, value ? 'true' : 'false');
        break;
      case 'object':
        if (value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
          return writeText(buf, start, fieldsJson(fields));
        }
        pos = writeText(buf, pos, keyText(key));
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
