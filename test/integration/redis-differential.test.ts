// Seeded differential suite (issue 12 section 4): random command sequences and random EVAL scripts
// run side by side on the real redis-server 7.0 (127.0.0.1:6379, database 9 only, FLUSHDB before
// each run) and on a fresh SimRedis; every reply (value, type, error line) and the final dataset
// (keys, types, values, TTL presence) must agree. CI runs SEEDS fixed seeds of COMMANDS steps;
// HASIM_DIFF_SEEDS=N runs N seeds. A mismatch is shrunk (steps dropped while it still shows) and
// printed as the shortest sequence found.
//
// Bytes: replies are read with ioredis's callBuffer and decoded with the simulated node's own byte
// mapping (sim/redis/bytes.ts), so a script returning bytes that are not UTF-8 is compared byte
// for byte; error lines, which ioredis always decodes as UTF-8, are compared after the same lossy
// decoding on the simulated side.
//
// math.random: redis-server's rand48 state is process-wide and never reseeded between scripts
// (src/rand.c, src/script_lua.c), so before each run the suite puts it back where a fresh server
// starts (`math.randomseed(305441741)`: x = 0x1234ABCD330E), as a fresh SimRedis starts.
// Another client of the shared server calling math.random in between would show as a mismatch.
//
// Time: the simulated node reads the same wall clock as the server, and the generator only uses
// expiry times that are refused, already past or at least 100 s ahead, so no key expires between
// two commands on one side only; TTL/PTTL replies are compared within 2 s.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode } from '#sim/redis/bytes.ts';
import { SimRedis } from '#sim/redis/node.ts';
import { RedisReplyError, type Reply, StatusReply } from '#sim/redis/reply.ts';
import { Rng, randomCommand } from '#test/helpers/redis-diff-commands.ts';
import { LUA51_EDGE_CASES, randomEval } from '#test/helpers/redis-diff-scripts.ts';
import { gateBackend, MACHINE_SERVICE_HINT } from './backends.ts';

const DB = 9;
const SEEDS = Number(process.env.HASIM_DIFF_SEEDS ?? 40);
const COMMANDS = 300;
/** Share of steps that are EVAL scripts. */
const SCRIPT_SHARE = 0.15;
/**
 * Share of those scripts taken from the Lua 5.1 edge cases of issue 12 section 1 (tonumber of
 * inf/nan/-0, bases, %d of floats, pcall(redis.call) error values, status_reply(5), newlines in
 * {ok=}/{err=}, non-UTF-8 bytes, math.random, error wording).
 */
const EDGE_CASE_SHARE = 0.2;
/** `math.randomseed` argument that restores rand48's initial state (src/rand.c X0..X2). */
const FRESH_RAND48_SEED = '305441741';
/** Upper bound of re-runs spent shrinking one mismatch. */
const SHRINK_RUNS = 300;

const gate = await gateBackend({
  name: 'redis differential: commands and scripts (real 6379, db 9)',
  ports: [6379],
  hint: MACHINE_SERVICE_HINT,
});

type Step = readonly string[];

/** How far a TTL reply may differ: the two sides read the clock a few ms apart. */
const TTL_SLACK: Record<string, number> = { TTL: 1, PTTL: 2000 };

function generate(seed: number): Step[] {
  const rng = new Rng(seed);
  const steps: Step[] = [];
  for (let i = 0; i < COMMANDS; i++) {
    if (rng.chance(SCRIPT_SHARE)) {
      const call = rng.chance(EDGE_CASE_SHARE)
        ? rng.pick(LUA51_EDGE_CASES)
        : randomEval(rng, ['a', 'h', 'z', 'l']);
      steps.push(['EVAL', ...call]);
    } else steps.push(randomCommand(rng));
  }
  return steps;
}

/** A reply in one comparable shape: errors as {error}, maps flattened, HGETALL pairs sorted. */
function normal(reply: unknown, command: string): unknown {
  if (reply instanceof StatusReply) return reply.text;
  if (reply instanceof Error) return { error: reply.message };
  if (Array.isArray(reply)) {
    const items = reply.map((r) => normal(r, ''));
    return command === 'HGETALL' ? sortPairs(items) : items;
  }
  if (reply !== null && typeof reply === 'object') return sortPairs(Object.entries(reply).flat());
  return reply;
}

function sortPairs(flat: unknown[]): unknown[] {
  const pairs: [unknown, unknown][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs.sort((x, y) => (String(x[0]) < String(y[0]) ? -1 : 1)).flat();
}

/**
 * Deep equality; integers beyond 2^53 within 1e-12 (ioredis accumulates their digits in doubles),
 * TTL replies within `slack` (1 s for TTL, 2000 ms for PTTL; 0 for everything else).
 */
function same(a: unknown, b: unknown, slack: number): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    const diff = Math.abs(a - b);
    if (a >= 0 && b >= 0 && diff <= slack) return true;
    return Math.abs(a) > 2 ** 53 && diff <= 1e-12 * Math.abs(a);
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => same(x, b[i], slack));
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object')
    return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

/** An error line as ioredis hands it over: its bytes decoded as UTF-8, U+FFFD for invalid ones. */
function asIoredisDecodes(message: string): string {
  return Buffer.from(encode(message)).toString('utf8');
}

/** Bulk replies read as Buffers, mapped to strings as the simulated node holds them. */
function fromBuffers(reply: unknown): unknown {
  if (Buffer.isBuffer(reply)) return decode(reply, 0, reply.length);
  if (Array.isArray(reply)) return reply.map(fromBuffers);
  return reply;
}

function simReply(node: SimRedis, args: Step): unknown {
  try {
    return normal(node.execute(args) as Reply, (args[0] ?? '').toUpperCase());
  } catch (error) {
    if (error instanceof RedisReplyError) return { error: asIoredisDecodes(error.message) };
    // Anything else thrown out of execute() (a JavaScript error) is a mismatch, not a crash.
    return { thrown: String(error) };
  }
}

async function realReply(redis: Redis, args: Step): Promise<unknown> {
  try {
    const reply = await redis.callBuffer(args[0] as string, ...args.slice(1));
    return normal(fromBuffers(reply), (args[0] ?? '').toUpperCase());
  } catch (error) {
    if (error instanceof Error && error.name === 'ReplyError') return { error: error.message };
    throw error;
  }
}

/** Keys, types, values and TTL presence, read through commands on either side. */
async function dataset(keys: string[], run: (args: Step) => Promise<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const key of [...keys].sort()) {
    const type = await run(['TYPE', key]);
    if (type === 'none') continue;
    const read: Record<string, Step> = {
      string: ['GET', key],
      hash: ['HGETALL', key],
      zset: ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
      list: ['LRANGE', key, '0', '-1'],
    };
    const value = await run(read[String(type)] ?? ['TYPE', key]);
    const pttl = await run(['PTTL', key]);
    out.push({ key, type, value, ttl: typeof pttl === 'number' && pttl >= 0 ? 'expires' : pttl });
  }
  return out;
}

interface Mismatch {
  readonly at: number;
  readonly command: Step | 'dataset';
  readonly real: unknown;
  readonly sim: unknown;
}

function simClockNode(): SimRedis {
  return new SimRedis(
    {},
    { clock: { now: () => Date.now(), sleep: async () => {}, schedule: () => ({ cancel() {} }) } },
  );
}

/** Runs the steps on a flushed db 9 and a fresh node; the first difference, if any. */
async function runOnce(redis: Redis, steps: readonly Step[]): Promise<Mismatch | undefined> {
  await redis.flushdb();
  await redis.eval(`math.randomseed(${FRESH_RAND48_SEED})`, 0);
  const node = simClockNode();
  for (let i = 0; i < steps.length; i++) {
    const args = steps[i] as Step;
    const real = await realReply(redis, args);
    const sim = simReply(node, args);
    if (!same(sim, real, TTL_SLACK[(args[0] ?? '').toUpperCase()] ?? 0))
      return { at: i, command: args, real, sim };
  }
  const realData = await dataset(await redis.keys('*'), (a) => realReply(redis, a));
  const simData = await dataset(node.storedKeys(), async (a) => simReply(node, a));
  if (!same(simData, realData, 0))
    return { at: steps.length, command: 'dataset', real: realData, sim: simData };
  return undefined;
}

/** Drops chunks of steps, then single steps, while a mismatch still shows. */
async function shrink(redis: Redis, steps: Step[]): Promise<{ steps: Step[]; mismatch: Mismatch }> {
  let current = steps;
  let mismatch = (await runOnce(redis, current)) as Mismatch;
  let runs = 0;
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let start = current.length - chunk; start >= 0 && runs < SHRINK_RUNS; start -= chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      runs++;
      const found = await runOnce(redis, candidate);
      if (found !== undefined) {
        current = candidate;
        mismatch = found;
      }
    }
  }
  return { steps: current, mismatch };
}

function show(step: Step): string {
  return step.map((a) => JSON.stringify(a)).join(' ');
}

describe.skipIf(gate.skip)(gate.title, () => {
  if (gate.mustFail) {
    it('has its backend', () => gate.assertAvailable());
    return;
  }
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis({ host: '127.0.0.1', port: 6379, db: DB, maxRetriesPerRequest: 2 });
  });
  afterAll(async () => {
    await redis.flushdb();
    await redis.quit();
  });

  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`seed ${seed}: ${COMMANDS} commands and scripts reply as redis-server 7.0 does`, {
      timeout: 300_000,
    }, async () => {
      const steps = generate(seed);
      const found = await runOnce(redis, steps);
      if (found === undefined) return;
      const { steps: shortest, mismatch } = await shrink(redis, steps.slice(0, found.at + 1));
      const lines = shortest.map((s, i) => `  ${i + 1}. ${show(s)}`).join('\n');
      const where = mismatch.command === 'dataset' ? 'final dataset' : show(mismatch.command);
      expect.fail(
        `seed ${seed}: mismatch at ${where}\n  real: ${JSON.stringify(mismatch.real)}\n  sim:  ${JSON.stringify(mismatch.sim)}\nshortest sequence (${shortest.length} of ${found.at + 1} steps):\n${lines}`,
      );
    });
  }

  it('every Lua 5.1 edge case replies as redis-server 7.0 does', async () => {
    const failures: string[] = [];
    for (const call of LUA51_EDGE_CASES) {
      const found = await runOnce(redis, [['EVAL', ...call]]);
      if (found !== undefined)
        failures.push(
          `${show(call)}\n  real: ${JSON.stringify(found.real)}\n  sim:  ${JSON.stringify(found.sim)}`,
        );
    }
    expect(failures).toEqual([]);
  });
});
