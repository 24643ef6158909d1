// Seeded random Redis command sequences for the differential suite
// (test/integration/redis-differential.test.ts): every command the simulated node supports, with
// edge-case arguments (huge, negative, float and garbage numbers, unicode values, every expiry
// option, wrong types through a small shared key set, wrong arities). Expiry times are either in
// the past / refused, or at least 100 s ahead, so no key expires between two commands on one side
// and not the other.

/** A deterministic PRNG (mulberry32) for one seed. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The keys every sequence shares, so types collide (WRONGTYPE) and commands see each other's data. */
export const KEYS = ['a', 'b', 'h', 'z', 'l', 'ключ'];

const VALUES = [
  '0',
  '1',
  '-1',
  '10',
  'abc',
  '3.5',
  '',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  ' 1',
  '1 ',
  '1e3',
  '0x10',
  'inf',
  '-inf',
  'nan',
  '1e309',
  '1e-400',
  '-0',
  '+5',
  '.5',
  '5.',
  '007',
  'héllo',
  '日本語',
  '😀',
  'a\u0000b',
  '\t\r\n',
  'x'.repeat(70),
];

const FLOATS = [
  '0.1',
  '-0.1',
  '0.2',
  '1e308',
  '1e4931',
  '-1e4931',
  '1e4933',
  '1.5e-7',
  '5000.00000015',
  '1e-20',
  '1e20',
  '3',
  '-3',
  '0',
  '-0',
  '0x1p-3',
  '0x10',
  'inf',
  '-inf',
  'nan',
  'abc',
  '',
  ' 1',
  '1e-5000',
  '123456789.123456789',
];

const INTEGERS = [
  '0',
  '1',
  '-1',
  '2',
  '5',
  '-100',
  '100',
  '9223372036854775807',
  '-9223372036854775808',
  '9223372036854775808',
  '-9223372036854775809',
  '1.5',
  'x',
  '',
  '+1',
  '01',
];

const SCORES = [
  '1',
  '2.5',
  '-inf',
  '+inf',
  'inf',
  'infinity',
  '(1',
  'nan',
  'x',
  '1e3',
  '0x10',
  '0x1p-2',
  '1e-400',
  '1e309',
  '1e-310',
  '-0',
  '0',
  '',
  '(',
  '( 1',
  ' 1',
  '-5',
  '(2.5',
  '(-inf',
  '1e400',
  '0.1',
  '1\u0000x',
];

const LEX = ['-', '+', '[a', '(b', '[m', '(n', 'a', '[', '(', '[ключ'];
const FIELDS = ['f', 'g', 'ф'];
const MEMBERS = ['m', 'n', 'o', 'a', 'b', '', 'ключ', 'y'.repeat(65)];

/** Relative expiry times in seconds: refused, in the past, far ahead, or near 2^63/1000. */
const SECONDS = [
  '0',
  '-1',
  '100',
  '1000',
  'abc',
  '1.5',
  '9223372036854775',
  '9223372036854776',
  '-9223372036854775',
  '-9223372036854776',
  '9223372036854',
];
const MILLISECONDS = [
  '0',
  '-1',
  '100000',
  '9223372036854775807',
  '9223370000000000000',
  '-9223372036854775808',
  'x',
];
const UNIX_SECONDS = ['1', '0', '4102444800', '9223372036854775', '9223372036854776', '-5'];
const UNIX_MS = ['1', '4102444800000', '9223372036854775807', '-9223372036854775808'];

function setOptions(rng: Rng): string[] {
  const out: string[] = [];
  const n = rng.int(4);
  for (let i = 0; i < n; i++) {
    const opt = rng.pick([
      'NX',
      'XX',
      'GET',
      'KEEPTTL',
      'EX',
      'PX',
      'EXAT',
      'PXAT',
      'EX',
      'FOO',
      'get',
      'ex',
    ]);
    out.push(opt);
    const upper = opt.toUpperCase();
    if (upper === 'EX' && rng.chance(0.9)) out.push(rng.pick(SECONDS));
    else if (upper === 'PX') out.push(rng.pick(MILLISECONDS));
    else if (upper === 'EXAT') out.push(rng.pick(UNIX_SECONDS));
    else if (upper === 'PXAT') out.push(rng.pick(UNIX_MS));
  }
  return out;
}

function expireCommand(rng: Rng, key: string): string[] {
  const [name, times] = rng.pick([
    ['EXPIRE', SECONDS],
    ['PEXPIRE', MILLISECONDS],
    ['EXPIREAT', UNIX_SECONDS],
    ['PEXPIREAT', UNIX_MS],
  ] as const);
  const args = [name, key, rng.pick(times)];
  const n = rng.int(3);
  for (let i = 0; i < n; i++) args.push(rng.pick(['NX', 'XX', 'GT', 'LT', 'gt', 'FOO']));
  return args;
}

function zaddCommand(rng: Rng, key: string): string[] {
  const args = ['ZADD', key];
  const n = rng.int(3);
  for (let i = 0; i < n; i++) args.push(rng.pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR']));
  const pairs = rng.chance(0.8) ? 1 : 2;
  for (let i = 0; i < pairs; i++) args.push(rng.pick(SCORES), rng.pick(MEMBERS));
  if (rng.chance(0.05)) args.pop();
  return args;
}

function zrangeCommand(rng: Rng, key: string): string[] {
  const mode = rng.pick(['rank', 'score', 'lex', 'any']);
  const bounds =
    mode === 'rank' ? INTEGERS : mode === 'score' ? SCORES : mode === 'lex' ? LEX : [...INTEGERS, ...LEX];
  const args = ['ZRANGE', key, rng.pick(bounds), rng.pick(bounds)];
  if (mode === 'score') args.push('BYSCORE');
  if (mode === 'lex') args.push('BYLEX');
  const n = rng.int(3);
  for (let i = 0; i < n; i++) {
    const opt = rng.pick(['REV', 'WITHSCORES', 'LIMIT', 'BYSCORE', 'withscores', 'FOO']);
    args.push(opt);
    if (opt === 'LIMIT') args.push(rng.pick(INTEGERS), rng.pick(['-1', '1', '2', '0', 'x']));
  }
  return args;
}

function zrangebyscoreCommand(rng: Rng, key: string): string[] {
  const args = ['ZRANGEBYSCORE', key, rng.pick(SCORES), rng.pick(SCORES)];
  if (rng.chance(0.4)) args.push('WITHSCORES');
  if (rng.chance(0.3)) args.push('LIMIT', rng.pick(INTEGERS), rng.pick(['-1', '1', '2', '0']));
  if (rng.chance(0.05)) args.push(rng.pick(['REV', 'LIMIT', 'BYSCORE']));
  return args;
}

type Builder = (rng: Rng, key: string) => string[];

const BUILDERS: readonly Builder[] = [
  (_, k) => ['GET', k],
  (r, k) => ['SET', k, r.pick(VALUES), ...setOptions(r)],
  (r, k) => ['SET', k, r.pick(VALUES)],
  (r, k) => ['SETNX', k, r.pick(VALUES)],
  (r, k) => ['GETSET', k, r.pick(VALUES)],
  (_, k) => ['GETDEL', k],
  (r, k) => ['MGET', k, r.pick(KEYS), r.pick(KEYS)],
  (r, k) => {
    const args = ['MSET', k, r.pick(VALUES), r.pick(KEYS), r.pick(VALUES)];
    if (r.chance(0.15)) args.pop();
    return args;
  },
  (r, k) => ['APPEND', k, r.pick(VALUES)],
  (_, k) => ['STRLEN', k],
  (_, k) => ['INCR', k],
  (_, k) => ['DECR', k],
  (r, k) => ['INCRBY', k, r.pick(INTEGERS)],
  (r, k) => ['DECRBY', k, r.pick(INTEGERS)],
  (r, k) => ['INCRBYFLOAT', k, r.pick(FLOATS)],
  (r, k) => ['DEL', k, r.pick(KEYS)],
  (r, k) => ['EXISTS', k, r.pick(KEYS), k],
  (_, k) => ['TYPE', k],
  (_, k) => ['PERSIST', k],
  (_, k) => ['TTL', k],
  (_, k) => ['PTTL', k],
  expireCommand,
  expireCommand,
  (r, k) => ['HSET', k, r.pick(FIELDS), r.pick(VALUES)],
  (r, k) => ['HSET', k, r.pick(FIELDS), r.pick(VALUES), r.pick(FIELDS), r.pick(VALUES)],
  (r, k) => ['HSET', k, r.pick(FIELDS)],
  (r, k) => ['HGET', k, r.pick(FIELDS)],
  (r, k) => ['HMGET', k, r.pick(FIELDS), r.pick(FIELDS)],
  (r, k) => ['HDEL', k, r.pick(FIELDS)],
  (_, k) => ['HGETALL', k],
  (r, k) => ['HINCRBY', k, r.pick(FIELDS), r.pick(INTEGERS)],
  (r, k) => ['HINCRBYFLOAT', k, r.pick(FIELDS), r.pick(FLOATS)],
  (r, k) => ['HEXISTS', k, r.pick(FIELDS)],
  (_, k) => ['HLEN', k],
  (r, k) => ['HSETNX', k, r.pick(FIELDS), r.pick(VALUES)],
  (r, k) => ['HSTRLEN', k, r.pick(FIELDS)],
  zaddCommand,
  zaddCommand,
  (r, k) => ['ZINCRBY', k, r.pick(SCORES), r.pick(MEMBERS)],
  (_, k) => ['ZCARD', k],
  (r, k) => ['ZSCORE', k, r.pick(MEMBERS)],
  (r, k) => ['ZREM', k, r.pick(MEMBERS), r.pick(MEMBERS)],
  zrangebyscoreCommand,
  zrangeCommand,
  zrangeCommand,
  (r, k) => ['ZCOUNT', k, r.pick(SCORES), r.pick(SCORES)],
  (r, k) => ['ZREMRANGEBYSCORE', k, r.pick(SCORES), r.pick(SCORES)],
  (r, k) => ['LPUSH', k, r.pick(VALUES), r.pick(VALUES)],
  (r, k) => ['RPUSH', k, r.pick(VALUES)],
  (r, k) => (r.chance(0.5) ? ['LPOP', k] : ['LPOP', k, r.pick(INTEGERS)]),
  (r, k) => (r.chance(0.5) ? ['RPOP', k] : ['RPOP', k, r.pick(INTEGERS), ...(r.chance(0.1) ? ['1'] : [])]),
  (r, k) => ['LRANGE', k, r.pick(INTEGERS), r.pick(INTEGERS)],
  (_, k) => ['LLEN', k],
  (r, k) => ['LTRIM', k, r.pick(INTEGERS), r.pick(INTEGERS)],
];

/** Commands with a missing argument: the arity errors. */
const ARITY_ERRORS = [
  ['GET'],
  ['SETNX', 'a'],
  ['MSET'],
  ['MGET'],
  ['INCRBYFLOAT', 'a'],
  ['HSETNX', 'h', 'f'],
  ['ZRANGE', 'z', '0'],
  ['ZCOUNT', 'z', '0'],
  ['LPUSH', 'l'],
  ['LPOP'],
  ['LTRIM', 'l', '0'],
  ['HSTRLEN', 'h'],
  ['GETDEL'],
  ['ZINCRBY', 'z', '1'],
];

/** Commands whose reply is a TTL: compared within a tolerance (the two clocks read a few ms apart). */
export const TTL_COMMANDS = new Set(['TTL', 'PTTL']);

/** One random command. */
export function randomCommand(rng: Rng): string[] {
  if (rng.chance(0.02)) return [...rng.pick(ARITY_ERRORS)];
  const key = rng.pick(KEYS);
  return rng.pick(BUILDERS)(rng, key);
}

/** One random command that a script may call and whose reply needs no tolerance. */
export function randomScriptCommand(rng: Rng): string[] {
  for (;;) {
    const command = randomCommand(rng);
    if (!TTL_COMMANDS.has(command[0] ?? '')) return command;
  }
}
