// RedisPort over ioredis-mock, the embedded stand-in (ioredis-mock's README lists what it supports). Known gaps,
// asserted by the contract suite (test/contract/redis-node.contract.ts): no SCRIPT command, EVALSHA
// only for scripts EVAL'd on that instance, Lua replies unconverted (true/false/3.99), no argument
// or type errors (INCR on "abc" stores NaN, GET on a hash returns it), one Lua VM built per call.
//
// Time: the mock expires keys lazily against `Date.now()`. In a simulation, run it with
// `new Simulation({ seed, barrier: 'setImmediate', tripwires: false })` (it queues process.nextTick
// and reads Date, which the tripwires forbid) and drive its clock with `useVirtualDate(sim.clock)`.
import type { RedisOptions } from 'ioredis';
import RedisMock from 'ioredis-mock';
import type { Clock } from '../ports/clock.ts';

/**
 * An ioredis-mock client as a RedisPort. Instances with the same host/port/db share one keyspace
 * (the mock's contextMap): give each test its own `port` or key prefix.
 */
export function createIoredisMockPort(options: RedisOptions = {}): InstanceType<typeof RedisMock> {
  return new RedisMock(options);
}

/**
 * Makes `Date.now()` read `epochMs + clock.now()` until the returned function is called, so that
 * ioredis-mock's expiry follows a virtual clock. Not re-entrant.
 */
export function useVirtualDate(clock: Clock, epochMs = 0): () => void {
  const realNow = Date.now;
  Date.now = () => epochMs + clock.now();
  return () => {
    Date.now = realNow;
  };
}
