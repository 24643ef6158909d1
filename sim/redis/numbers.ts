// Number parsing and formatting exactly as redis-server 7.0 does it on Linux/glibc x86-64:
// - `strtod`/`strtold` syntax (leading spaces, sign, decimal or hex mantissa, inf/infinity, nan),
//   and the checks Redis wraps around them: src/util.c string2d (ZADD scores, no leading space,
//   whole string, ERANGE overflow/underflow-to-zero refused, NaN refused), src/util.c string2ld
//   (INCRBYFLOAT / HINCRBYFLOAT, same checks, < 5120 bytes) and src/t_zset.c zslParseRange (range
//   bounds: plain strtod, so '' and '(' are 0 and leading spaces pass);
// - x87 80-bit `long double` arithmetic for INCRBYFLOAT (64-bit mantissa, exponent to 16383),
//   rounded to nearest-even, printed with src/util.c ld2string LD_STR_HUMAN (`%.17Lf`, trailing
//   zeros and the dot removed, "-0" becomes "0"). Exact rational arithmetic on BigInt.
import { byteLength } from './bytes.ts';

/** What strtod recognised at the start of a string. */
type Scanned =
  | {
      readonly kind: 'finite';
      readonly negative: boolean;
      /** All mantissa digits, as an integer. */
      readonly mantissa: bigint;
      /** Value = mantissa × base^exponent (base 10 for decimal, 2 for hex). */
      readonly exponent: number;
      readonly hex: boolean;
      readonly end: number;
    }
  | { readonly kind: 'inf'; readonly negative: boolean; readonly end: number }
  | { readonly kind: 'nan'; readonly end: number }
  | { readonly kind: 'none' };

const SPACES = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

/** True for C isspace() in the C locale. */
export function isCSpace(ch: string | undefined): boolean {
  return ch !== undefined && SPACES.has(ch);
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** glibc strtod's grammar: how far it reads and what it read (C locale). */
function scan(s: string): Scanned {
  let i = 0;
  while (isCSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  const rest = s.slice(i, i + 8).toLowerCase();
  if (rest.startsWith('inf'))
    return { kind: 'inf', negative, end: i + (rest.startsWith('infinity') ? 8 : 3) };
  if (rest.startsWith('nan')) {
    let end = i + 3;
    const close = /^\([0-9A-Za-z_]*\)/.exec(s.slice(end));
    if (close) end += close[0].length;
    return { kind: 'nan', end };
  }
  const hex =
    s[i] === '0' &&
    (s[i + 1] === 'x' || s[i + 1] === 'X') &&
    (isHex(s[i + 2]) || (s[i + 2] === '.' && isHex(s[i + 3])));
  const digit = hex ? isHex : isDigit;
  let j = hex ? i + 2 : i;
  let digits = '';
  let fraction = 0;
  while (digit(s[j])) digits += s[j++];
  if (s[j] === '.') {
    j++;
    while (digit(s[j])) {
      digits += s[j++];
      fraction++;
    }
  }
  if (digits === '') return { kind: 'none' };
  let exponent = 0;
  const marker = s[j];
  if (hex ? marker === 'p' || marker === 'P' : marker === 'e' || marker === 'E') {
    let k = j + 1;
    let sign = 1;
    if (s[k] === '+' || s[k] === '-') sign = s[k++] === '-' ? -1 : 1;
    if (isDigit(s[k])) {
      let text = '';
      while (isDigit(s[k])) text += s[k++];
      // Saturate: beyond this any value over- or underflows anyway.
      exponent = sign * Math.min(Number(text), 1e9);
      j = k;
    }
  }
  const mantissa = BigInt(hex ? `0x${digits}` : digits);
  return {
    kind: 'finite',
    negative,
    mantissa,
    exponent: hex ? exponent - 4 * fraction : exponent - fraction,
    hex,
    end: j,
  };
}

/**
 * A decimal integer of at most 15 digits (what scores and times written by Lua's `%.14g` and by
 * clients mostly are): exactly a double, so strtod and `Number` read the same value, no ERANGE.
 */
const PLAIN_INTEGER = /^[+-]?[0-9]{1,15}$/;

/** A finite scanned value as the nearest double; `range` when strtod would set ERANGE (overflow / underflow to 0). */
function toDouble(v: Extract<Scanned, { kind: 'finite' }>): { value: number; range: boolean } {
  let value: number;
  if (v.mantissa === 0n) value = 0;
  else if (!v.hex) value = Number(`${v.mantissa}e${v.exponent}`);
  else {
    value = Number(v.mantissa);
    let e = v.exponent;
    while (e !== 0 && value !== 0 && Number.isFinite(value)) {
      const step = Math.max(-1000, Math.min(1000, e));
      value *= 2 ** step;
      e -= step;
    }
  }
  const range = v.mantissa !== 0n && (value === 0 || !Number.isFinite(value));
  if (v.negative) value = -value;
  return { value, range };
}

/**
 * src/util.c string2d (ZADD / ZINCRBY scores, getDoubleFromObject): the whole string must be a
 * strtod number, no leading space, not NaN, no overflow and no underflow to zero (a denormal is
 * fine). `0x10` is 16, `1e-400` and `1e309` are refused.
 */
export function parseDouble(s: string): number | undefined {
  if (PLAIN_INTEGER.test(s)) return Number(s);
  if (s.length === 0 || isCSpace(s[0])) return undefined;
  const v = scan(s);
  if (v.kind === 'none' || v.kind === 'nan' || v.end !== s.length) return undefined;
  if (v.kind === 'inf') return v.negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const { value, range } = toDouble(v);
  return range ? undefined : value;
}

/**
 * One bound of src/t_zset.c zslParseRange: plain strtod on the C string (so it stops at a NUL
 * byte), the rest must be empty; NaN refused. No conversion at all reads 0 ('' and '(' are valid),
 * leading spaces are skipped, overflow gives ±inf and underflow 0.
 */
export function parseRangeDouble(s: string): number | undefined {
  if (PLAIN_INTEGER.test(s)) return Number(s);
  // The infinite bounds clients send most ('-inf' / '+inf' open a range at one end): strtod reads them whole.
  if (s === '-inf') return Number.NEGATIVE_INFINITY;
  if (s === '+inf') return Number.POSITIVE_INFINITY;
  const nul = s.indexOf('\0');
  const text = nul < 0 ? s : s.slice(0, nul);
  const v = scan(text);
  if (v.kind === 'none') return text.length === 0 ? 0 : undefined;
  if (v.kind === 'nan' || v.end !== text.length) return undefined;
  if (v.kind === 'inf') return v.negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  return toDouble(v).value;
}

// --- x87 long double -------------------------------------------------------------------------

/** An 80-bit long double: ±m × 2^e with m < 2^64 (finite), or ±inf, or NaN. */
export type LongDouble =
  | { readonly kind: 'finite'; readonly negative: boolean; readonly m: bigint; readonly e: number }
  | { readonly kind: 'inf'; readonly negative: boolean }
  | { readonly kind: 'nan' };

const MANTISSA_BITS = 64;
const MIN_EXP = -16445; // 2^-16445 is the smallest denormal
const MAX_EXP = 16384 - MANTISSA_BITS; // largest finite: (2^64-1) × 2^16320
const TWO64 = 1n << 64n;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** p/q × 2^scale (p, q > 0) rounded to nearest-even on 64 bits; undefined on overflow, 0n mantissa on underflow. */
function roundLong(p: bigint, q: bigint, scale: number): { m: bigint; e: number } | undefined {
  let e = Math.max(MIN_EXP, bitLength(p) - bitLength(q) + scale - MANTISSA_BITS);
  for (;;) {
    const shift = scale - e;
    const num = shift >= 0 ? p << BigInt(shift) : p;
    const den = shift >= 0 ? q : q << BigInt(-shift);
    let m = num / den;
    if (m >= TWO64) {
      e++;
      continue;
    }
    const twice = 2n * (num - m * den);
    if (twice > den || (twice === den && (m & 1n) === 1n)) m++;
    if (m === TWO64) {
      m = TWO64 >> 1n;
      e++;
    }
    return e > MAX_EXP ? undefined : { m, e };
  }
}

/** src/util.c string2ld: strtold of the whole string, with string2d's refusals; < 5120 bytes. */
export function parseLongDouble(s: string): LongDouble | undefined {
  if (s.length === 0 || byteLength(s) >= 5120 || isCSpace(s[0])) return undefined;
  const v = scan(s);
  if (v.kind === 'none' || v.kind === 'nan' || v.end !== s.length) return undefined;
  if (v.kind === 'inf') return { kind: 'inf', negative: v.negative };
  if (v.mantissa === 0n) return { kind: 'finite', negative: v.negative, m: 0n, e: 0 };
  let rounded: { m: bigint; e: number } | undefined;
  if (v.hex) {
    const top = bitLength(v.mantissa) + v.exponent;
    if (top > 16400) return undefined;
    if (top < -16500) return undefined;
    rounded = roundLong(v.mantissa, 1n, v.exponent);
  } else {
    const top = v.mantissa.toString().length + v.exponent;
    if (top > 4940) return undefined;
    if (top < -4970) return undefined;
    rounded =
      v.exponent >= 0
        ? roundLong(v.mantissa * 10n ** BigInt(v.exponent), 1n, 0)
        : roundLong(v.mantissa, 10n ** BigInt(-v.exponent), 0);
  }
  if (rounded === undefined || rounded.m === 0n) return undefined;
  return { kind: 'finite', negative: v.negative, ...rounded };
}

/** A 64-bit integer as a long double (exact). */
export function longDoubleFromInteger(n: bigint): LongDouble {
  return { kind: 'finite', negative: n < 0n, m: n < 0n ? -n : n, e: 0 };
}

/** a + b in long double arithmetic (round to nearest-even). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === 'nan' || b.kind === 'nan') return { kind: 'nan' };
  if (a.kind === 'inf' && b.kind === 'inf') return a.negative === b.negative ? a : { kind: 'nan' };
  if (a.kind === 'inf') return a;
  if (b.kind === 'inf') return b;
  const e = Math.min(a.e, b.e);
  const va = (a.negative ? -a.m : a.m) << BigInt(a.e - e);
  const vb = (b.negative ? -b.m : b.m) << BigInt(b.e - e);
  const sum = va + vb;
  if (sum === 0n) return { kind: 'finite', negative: false, m: 0n, e: 0 };
  const rounded = roundLong(sum < 0n ? -sum : sum, 1n, e);
  if (rounded === undefined) return { kind: 'inf', negative: sum < 0n };
  return { kind: 'finite', negative: sum < 0n, ...rounded };
}

/** True for inf and NaN (what INCRBYFLOAT refuses to store). */
export function isNonFinite(v: LongDouble): boolean {
  return v.kind !== 'finite';
}

const SCALE_17 = 10n ** 17n;

/** src/util.c ld2string(LD_STR_HUMAN): `%.17Lf`, trailing zeros and dot trimmed, "-0" → "0". */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.kind === 'inf') return v.negative ? '-inf' : 'inf';
  if (v.kind === 'nan') return 'nan';
  let n: bigint;
  if (v.e >= 0) n = (v.m << BigInt(v.e)) * SCALE_17;
  else {
    const num = v.m * SCALE_17;
    const shift = BigInt(-v.e);
    n = num >> shift;
    const twice = 2n * (num - (n << shift));
    const den = 1n << shift;
    if (twice > den || (twice === den && (n & 1n) === 1n)) n++;
  }
  const whole = n / SCALE_17;
  const fraction = (n % SCALE_17).toString().padStart(17, '0').replace(/0+$/, '');
  const text = fraction === '' ? whole.toString() : `${whole}.${fraction}`;
  return v.negative && text !== '0' ? `-${text}` : text;
}
