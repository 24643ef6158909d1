// A small run directory written from the trace vocabulary (src/ports/trace-events.ts), without a
// simulation: a topology, two gateway instances, an upstream outage that opens the breaker, a
// Redis master crash with a failover, and requests of every outcome. The renderers' tests read it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HASIM_VERSION, TRACE_FORMAT } from '#sim/run.ts';
import { JsonlTrace } from '#src/adapters/jsonl-trace.ts';
import type { Topology } from '#src/ports/topology.ts';
import type { TraceFields, TraceValue } from '#src/ports/trace.ts';
import { ManualClock } from '../../helpers/manual-clock.ts';

export const SYNTHETIC_TOPOLOGY: Topology = {
  scenario: 'synthetic',
  variant: 'article',
  instances: ['gw-1', 'gw-2'],
  layers: ['token-bucket', 'redis-limiter', 'sentinel', 'cache', 'merge', 'executor'],
  providers: [{ name: 'primary', model: 'gpt-4o' }],
  redis: {
    nodes: [
      { id: 'm1', target: 'redis/shard-1/master', role: 'master', slots: [[0, 5460]] },
      { id: 'm2', target: 'redis/shard-2/master', role: 'master', slots: [[5461, 10922]] },
      { id: 'm3', target: 'redis/shard-3/master', role: 'master', slots: [[10923, 16383]] },
      { id: 'r1', target: 'redis/shard-1/replica-1', role: 'replica', replicaOf: 'm1' },
      { id: 'r2', target: 'redis/shard-2/replica-1', role: 'replica', replicaOf: 'm2' },
      { id: 'r3', target: 'redis/shard-3/replica-1', role: 'replica', replicaOf: 'm3' },
    ],
    nodeTimeoutMs: 15000,
  },
  mysql: {
    nodes: [
      { name: 'primary', target: 'mysql/primary', role: 'primary' },
      { name: 'replica-1', target: 'mysql/replica-1', role: 'replica' },
      { name: 'replica-2', target: 'mysql/replica-2', role: 'replica' },
    ],
    semiSync: { waitPoint: 'AFTER_SYNC', timeoutMs: 10000 },
    loadBalancer: 'round-robin',
    shards: 1,
  },
  tokenBucket: { capacity: 100, refillTokensPerSecond: 50, variant: 'article' },
  redisLimiter: { limit: 60, windowMs: 60000, algorithm: 'fixed-window' },
  sentinel: {
    resource: 'chatCompletion',
    degradeRules: [{ grade: 1, count: 0.5, timeWindow: 2, minRequestAmount: 5, statIntervalMs: 1000 }],
    flowRules: [{ grade: 'QPS', count: 100 }],
  },
  faultTargets: [{ name: 'upstream/primary', verbs: ['outage', 'heal'] }],
};

/** Requests per second of the synthetic run; it lasts `SYNTHETIC_MS`. */
export const SYNTHETIC_RATE = 20;
export const SYNTHETIC_MS = 20_000;

/** Writes the synthetic run into `dir` (trace.jsonl, summary.json); returns the trace hash. */
export function writeSyntheticRun(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const clock = new ManualClock();
  const header = {
    hasim: 'trace',
    format: TRACE_FORMAT,
    hasimVersion: HASIM_VERSION,
    seed: 7,
    source: 'scenarios/synthetic.yaml',
    scenario: {
      kind: 'gateway',
      name: 'synthetic',
      description: 'An outage opens the breaker; a Redis master fails over',
    },
  };
  const trace = new JsonlTrace(clock, { path: join(dir, 'trace.jsonl'), header });
  const recorded = new Recorder();
  recorded.emit('run', 'topology', { topology: SYNTHETIC_TOPOLOGY as unknown as TraceValue });
  const gap = 1000 / SYNTHETIC_RATE;
  for (let id = 0; id * gap < SYNTHETIC_MS; id++) {
    const t = id * gap;
    recorded.at(t);
    timeline(recorded, t, gap);
    request(recorded, id, t);
  }
  // Stable sort: events at the same ms keep the order they were recorded in, as in a real run.
  const inOrder = recorded.events.map((e, i) => ({ e, i })).sort((a, b) => a.e.t - b.e.t || a.i - b.i);
  for (const { e } of inOrder) {
    clock.nowMs = e.t;
    trace.emit(e.c, e.k, e.fields);
  }
  // Arrivals stop at SYNTHETIC_MS; the run ends when the last request has answered (the drain).
  const simulatedMs = clock.nowMs;
  const events = trace.events;
  const traceHash = trace.hash;
  trace.close({ end: 'ok', events, traceHash, simulatedMs });
  const summary = {
    scenario: 'synthetic',
    kind: 'gateway',
    seed: 7,
    traceHash,
    events,
    simulatedMs,
    hasimVersion: HASIM_VERSION,
    expectations: [
      { text: 'latency p(99) < 2s', measured: 'p(99)=1.2s', ok: true },
      { text: 'breaker reaches CLOSED within 10s of heal', measured: 'never closed <again>', ok: false },
    ],
    verdict: 'fail',
  };
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return traceHash;
}

/** Events recorded at a hand-set time, emitted later in time order. */
class Recorder {
  readonly events: { t: number; c: string; k: string; fields: TraceFields }[] = [];
  #t = 0;
  at(ms: number): void {
    this.#t = ms;
  }
  emit(c: string, k: string, fields: TraceFields): void {
    this.events.push({ t: this.#t, c, k, fields });
  }
}

/** The fault timeline and breaker transitions that fall in [t, t + gap). */
function timeline(trace: Recorder, t: number, gap: number): void {
  const at = (ms: number) => trace.at(ms);
  const due = (ms: number) => ms >= t && ms < t + gap;
  const fault = (ms: number, verb: string, target: string) => {
    if (!due(ms)) return;
    at(ms);
    trace.emit('fault', 'inject', { verb, target, args: {} });
  };
  const state = (ms: number, prev: string, next: string) => {
    if (!due(ms)) return;
    at(ms);
    // Sentinel's grade is its number (RuleConstant.DEGRADE_GRADE_EXCEPTION_RATIO = 1).
    trace.emit('sentinel', 'state', { resource: 'chatCompletion', grade: 1, prev, next, snapshot: null });
  };
  fault(5000, 'outage', 'upstream/primary');
  state(6000, 'CLOSED', 'OPEN');
  state(8000, 'OPEN', 'HALF_OPEN');
  state(8000, 'HALF_OPEN', 'OPEN');
  fault(9000, 'heal', 'upstream/primary');
  state(10000, 'OPEN', 'HALF_OPEN');
  state(10000, 'HALF_OPEN', 'CLOSED');
  fault(12000, 'crash', 'redis/shard-1/master');
  fault(12500, 'failover', 'redis/shard-1/replica-1');
  fault(15000, 'restart', 'redis/shard-1/master');
  // What the twins themselves say (sim/redis failover.ts, sim/mysql replica-channel.ts).
  const event = (ms: number, c: string, k: string, fields: TraceFields) => {
    if (!due(ms)) return;
    at(ms);
    trace.emit(c, k, fields);
  };
  event(3000, 'mysql', 'io-thread', { node: 'replica-1', state: 'stopped' });
  event(3000, 'mysql', 'commit', { node: 'primary', gtid: '0-1-7', wait: 'none' });
  event(4000, 'mysql', 'io-thread', { node: 'replica-1', state: 'running' });
  event(5200, 'upstream', 'cooldown', { model: 'gpt-4o', untilMs: 7200, reason: '3 failures in 1 minute' });
  event(7200, 'upstream', 'cooldown-end', { model: 'gpt-4o' });
  event(12100, 'redis-cluster', 'fail', { node: 'm2', peer: 'm1', reports: 2 });
  event(12400, 'redis-cluster', 'promoted', { node: 'r1', replaces: 'm1', configEpoch: 7 });
  at(t);
}

/** One request's events; its outcome follows the timeline (outage: failed, breaker open: fallback). */
function request(trace: Recorder, id: number, t: number): void {
  const at = (ms: number) => trace.at(ms);
  const gw = id % 2 === 0 ? 'gw-1' : 'gw-2';
  const c = (family: string) => `${family}/${gw}`;
  trace.emit(c('gateway'), 'request', { id, user: `u${id % 5}` });
  if (id % 17 === 3) {
    trace.emit(c('token-bucket'), 'limited', { id });
    trace.emit(c('gateway'), 'response', { id, ms: 0, outcome: 'refused', by: 'token-bucket' });
    return;
  }
  trace.emit(c('token-bucket'), 'admitted', { id });
  trace.emit(c('redis-limiter'), 'admitted', { id, key: `u${id % 5}` });
  const open = t >= 6000 && t < 10000;
  const outage = t >= 5000 && t < 9000;
  if (open) {
    trace.emit(c('sentinel'), 'blocked', { id, by: 'degrade-rule', grade: 'ERROR_RATIO' });
    trace.emit(c('sentinel'), 'fallback', { id, reason: 'degrade-rule' });
    at(t + 1);
    trace.emit(c('gateway'), 'response', {
      id,
      ms: 1,
      outcome: 'ok',
      servedBy: 'fallback',
      model: 'fallback',
    });
    return;
  }
  if (id % 3 === 0) {
    trace.emit(c('cache'), 'answered', { id, tier: 'l1' });
    at(t + 2);
    trace.emit(c('gateway'), 'response', { id, ms: 2, outcome: 'ok', servedBy: 'l1', model: 'gpt-4o' });
    return;
  }
  trace.emit(c('executor'), 'started', { id, waitedMs: 0 });
  trace.emit('upstream', 'attempt', { id, model: 'gpt-4o', n: 1 });
  const ms = 300 + ((id * 37) % 400);
  at(t + ms);
  if (outage) {
    trace.emit('upstream', 'attempt-failed', {
      id,
      model: 'gpt-4o',
      n: 1,
      status: 503,
      error: 'outage',
      next: 'exhausted',
    });
    trace.emit(c('gateway'), 'response', { id, ms, outcome: 'failed', error: 'upstream: outage' });
    return;
  }
  trace.emit('upstream', 'answered', { id, model: 'gpt-4o', n: 1, ms, tokens: 42 });
  trace.emit(c('cache'), 'answered', { id, tier: 'loader' });
  trace.emit(c('gateway'), 'response', { id, ms, outcome: 'ok', servedBy: 'upstream', model: 'gpt-4o' });
}
