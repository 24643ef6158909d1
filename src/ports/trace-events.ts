/**
 * The trace vocabulary: every event kind hasim emits, declared once, with its fields.
 *
 * An event line is `{"t":ms,"c":component,"k":kind,...fields}`. The component (`c`) is a family
 * name (`sentinel`, `mysql`, `redis-cluster`) optionally followed by `/` and an instance path
 * (`cache/gw-1`, `redis/shard-1/master`); the kind (`k`) is declared under the family. Kinds and
 * families are lower-case kebab-case (`io-thread`, `election-scheduled`, `write-behind-flush-failed`).
 *
 * A field spec is a type name, with a trailing `?` when the field may be absent:
 * `string`, `number`, `boolean`, `json` (any JSON value). Emitting a kind that is not declared,
 * a field that is not declared, or a field of the wrong type fails the run (see `checkTraceEvent`,
 * used by `JsonlTrace`), so the vocabulary cannot drift from what the code writes.
 *
 * Each family's block is owned by the module that emits it; add a kind here in the same change
 * that first emits it.
 */

/** The type of one field: `string`, `number`, `boolean` or `json`, with `?` when optional. */
export type FieldSpec =
  | 'string'
  | 'number'
  | 'boolean'
  | 'json'
  | 'string?'
  | 'number?'
  | 'boolean?'
  | 'json?';

/** One event kind: its fields by name. */
export type KindSpec = Readonly<Record<string, FieldSpec>>;

/** A family: its kinds by name. */
export type FamilySpec = Readonly<Record<string, KindSpec>>;

export const TRACE_EVENTS = {
  // ── run: what exists, written first by every run ───────────────────────────────────────────
  run: {
    /** What the run is made of: nodes, roles, slot ranges, layers (see `TopologyEvent`). */
    topology: { topology: 'json' },
  },

  // ── gateway: one instance's request path (src/gateway); `c` is `<family>/<instance>` ─────────
  gateway: {
    request: { id: 'number', user: 'string' },
    response: {
      id: 'number',
      ms: 'number',
      outcome: 'string',
      servedBy: 'string?',
      model: 'string?',
      by: 'string?',
      error: 'string?',
    },
  },
  'token-bucket': {
    admitted: { id: 'number' },
    limited: { id: 'number' },
  },
  'redis-limiter': {
    admitted: { id: 'number', key: 'string' },
    limited: { id: 'number', key: 'string' },
    error: { id: 'number', key: 'string', error: 'string', allowed: 'boolean' },
  },
  'chat-history': {
    read: { id: 'number', user: 'string', table: 'string', seq: 'number', startMs: 'number' },
    'read-failed': { id: 'number', user: 'string', error: 'string' },
    'write-acked': { id: 'number', user: 'string', table: 'string', seq: 'number' },
    'write-failed': { id: 'number', user: 'string', table: 'string', error: 'string' },
    'write-indeterminate': { id: 'number', user: 'string', table: 'string', error: 'string' },
    /** Every id a table holds at the end of the run (read on the primary), as `[first, last]` runs. */
    final: { table: 'string', ids: 'json' },
    /** A replica that had not applied the tables' DDL when the run's setup stopped waiting for it. */
    'schema-not-replicated': { replica: 'string' },
  },

  // ── note: free-form annotations from user code and examples ───────────────────────────────
  note: {
    note: { text: 'string', at: 'number?' },
  },

  // ── fault: what the fault timeline did (sim/faults, the live driver) ─────────────────────────
  fault: {
    inject: { verb: 'string', target: 'string', args: 'json' },
  },

  // ── upstream: provider policies (src/gateway/providers) ─────────────────────────────────────
  upstream: {
    /** One call to a provider; `n` counts the request's calls from 1. */
    attempt: { id: 'number', model: 'string', n: 'number' },
    /**
     * A call failed; `status` is the HTTP status (0 for a timeout or an abort) and `next` says why
     * the policy moved on: `'retry'`, `'fallback'`, `'cooldown'` or `'exhausted'`.
     */
    'attempt-failed': {
      id: 'number',
      model: 'string',
      n: 'number',
      status: 'number',
      error: 'string',
      next: 'string',
    },
    /** A call answered after `ms` with `tokens` output tokens. */
    answered: { id: 'number', model: 'string', n: 'number', ms: 'number', tokens: 'number' },
    /** A deployment is taken out of rotation until `untilMs` (clock ms). */
    cooldown: { model: 'string', untilMs: 'number', reason: 'string' },
    /** A deployment's cooldown expired: it is back in rotation (no probe). */
    'cooldown-end': { model: 'string' },
  },

  // ── sentinel (src/sentinel) ────────────────────────────────────────────────────────────────
  sentinel: {
    /**
     * A breaker changed state (`CircuitBreakerStateChangeObserver`): the rule's resource and numeric
     * grade (0 RT, 1 exception ratio, 2 exception count), the states, and Sentinel's snapshot value
     * (the tripping ratio or count, 1.0 for HALF_OPEN → OPEN, null otherwise).
     */
    state: { resource: 'string', grade: 'number', prev: 'string', next: 'string', snapshot: 'json' },
    /** An entry was refused; `by` is `'flow'` (FlowException) or `'degrade'` (DegradeException). */
    block: { resource: 'string', by: 'string' },
    /** Gateway layer: a rule refused request `id` (`by`: flow-rule or degrade-rule, with its grade). */
    blocked: { id: 'number', by: 'string', grade: 'string' },
    /** Gateway layer: the article's fallback answered request `id` (`reason`: the refusal or error). */
    fallback: { id: 'number', reason: 'string' },
  },

  // ── executor (src/executor) ────────────────────────────────────────────────────────────────
  executor: {
    /** The pool refused a task: its policy, whether the pool was running, and its sizes then. */
    rejected: { policy: 'string', running: 'boolean', poolSize: 'number', queueSize: 'number' },
    /** CallerRunsPolicy ran a refused task on the submitting caller. */
    'caller-runs': {},
    /** A worker thread started, with a first task or idle (`prestartAllCoreThreads`, an empty pool). */
    'worker-start': { thread: 'string', poolSize: 'number', withTask: 'boolean' },
    /** A worker thread ended (keep-alive, shutdown); `poolSize` is after it left. */
    'worker-exit': { thread: 'string', poolSize: 'number' },
    /** Gateway layer: a pool thread took request `id`'s task after `waitedMs` in the queue. */
    started: { id: 'number', waitedMs: 'number' },
    /** Gateway layer: the pool's rejection policy refused request `id`'s task. */
    refused: { id: 'number', policy: 'string' },
  },

  // ── coalesce (src/coalesce) ────────────────────────────────────────────────────────────────
  coalesce: {
    /** An upstream call started for `key`, with the callers merged into it so far. */
    call: { key: 'string', callers: 'number' },
    /** The call for `key` settled (`ok` false: it failed), with every caller that shared it. */
    settle: { key: 'string', ok: 'boolean', callers: 'number' },
    /** Gateway layer: request `id` shared another request's call for `key`. */
    merged: { id: 'number', key: 'string' },
  },

  // ── cache (src/cache) ──────────────────────────────────────────────────────────────────────
  // Every cache event names its node and its key hash (`''` for a write-behind batch).
  cache: {
    /** Gateway layer: which tier answered request `id` (`l1`, `l2`, `l3`, `loader`, `joined`, ...). */
    answered: { id: 'number', tier: 'string' },
    'l1-hit': { node: 'string', key: 'string' },
    /** Redis could not answer an L2 read or fill; with `l2Errors: 'miss'` it was read as a miss. */
    'l2-error': { node: 'string', key: 'string' },
    'l1-miss': { node: 'string', key: 'string' },
    'l2-hit': { node: 'string', key: 'string' },
    'l2-miss': { node: 'string', key: 'string' },
    'l3-hit': { node: 'string', key: 'string' },
    'l3-miss': { node: 'string', key: 'string' },
    /** A negative entry answered (L1 or L2). */
    'negative-hit': { node: 'string', key: 'string' },
    /** A negative entry stored in L2 and L1 for `ttlMs`. */
    'negative-fill': { node: 'string', key: 'string', ttlMs: 'number' },
    /** XFetch decided to recompute `leadMs` before the L2 expiry. */
    'xfetch-early': { node: 'string', key: 'string', leadMs: 'number' },
    /** refreshAfterWriteMs started a background reload. */
    refresh: { node: 'string', key: 'string' },
    /** A loader (LLM) call started. */
    load: { node: 'string', key: 'string' },
    'load-error': { node: 'string', key: 'string' },
    /** L2 and L1 back-filled after a miss, with the L2 TTL drawn. */
    fill: { node: 'string', key: 'string', ttlMs: 'number' },
    /** Loaded without a lease (gave up waiting): served, not stored. */
    'fill-skipped': { node: 'string', key: 'string' },
    /** The lease was revoked: the L2 set was refused (a stale set prevented). */
    'fill-refused': { node: 'string', key: 'string' },
    'lease-granted': { node: 'string', key: 'string' },
    'lease-gave-up': { node: 'string', key: 'string' },
    /** A write under `strategy`. */
    write: { node: 'string', key: 'string', strategy: 'string' },
    invalidate: { node: 'string', key: 'string' },
    /** This node's L1 dropped a key announced on the invalidation bus. */
    'bus-invalidate': { node: 'string', key: 'string' },
    /** A write queued; `queued` keys now wait for L3. */
    'write-behind-enqueue': { node: 'string', key: 'string', queued: 'number' },
    /** `rows` rows written to L3 in one statement. */
    'write-behind-flush': { node: 'string', key: 'string', rows: 'number' },
    'write-behind-flush-failed': { node: 'string', key: 'string', rows: 'number' },
    /** `writes` queued writes lost (a crash, or a full queue when a failed batch came back). */
    'write-behind-lost': { node: 'string', key: 'string', writes: 'number' },
    'write-behind-reject': { node: 'string', key: 'string' },
    'write-behind-caller-runs': { node: 'string', key: 'string' },
  },

  // ── router (src/router) ────────────────────────────────────────────────────────────────────
  router: {
    /** Where the read/write router sent one statement, and why (`RouteReason`). */
    route: { session: 'string', dataSource: 'string', reason: 'string' },
    /** `disableReadDataSource` / `enableReadDataSource` (ShardingSphere's DistSQL). */
    disable: { dataSource: 'string' },
    enable: { dataSource: 'string' },
    /** A replica left out of one routing decision by the health or lag checks. */
    exclude: { dataSource: 'string' },
  },

  // ── client and history (sim/scenarios, sim/checkers) ───────────────────────────────────────
  client: {
    invoke: { id: 'number' },
    ok: { id: 'number', ms: 'number', tokens: 'number' },
    fail: { id: 'number', ms: 'number', error: 'string' },
  },
  history: {
    /** One completed client operation of a `MysqlHistory` (sim/checkers): a `MysqlOp`'s fields. */
    op: {
      kind: 'string',
      client: 'string',
      node: 'string',
      key: 'string',
      /** The value written, or read (null = no row). */
      value: 'json',
      startMs: 'number',
      endMs: 'number',
      invokedAt: 'number?',
      completedAt: 'number?',
      /** Writes only: 'ok' or 'error'. */
      outcome: 'string?',
    },
    /** A key's value in the final state (null = no row). */
    final: { key: 'string', value: 'json' },
  },

  // ── mysql (sim/mysql) ──────────────────────────────────────────────────────────────────────
  // Every event but partition/repair names its node; GTIDs are 'domain-server-seq' text.
  mysql: {
    // cluster (sim/mysql/cluster.ts)
    partition: { side: 'json', others: 'json' },
    repair: {},
    // commit pipeline and faults (node.ts)
    commit: { node: 'string', gtid: 'string', wait: 'string' },
    'engine-commit': { node: 'string', gtid: 'string' },
    apply: { node: 'string', gtid: 'string' },
    promote: { node: 'string', gtid_current_pos: 'string' },
    'apply-cost': { node: 'string', ms: 'number' },
    /** Every reply `node` sends its clients is delayed `ms` more (the `slow` fault's latencyMs; 0: none). */
    'reply-latency': { node: 'string', ms: 'number' },
    'binlog-purged': { node: 'string', groups: 'number' },
    crash: { node: 'string' },
    'crash-recovery-truncate': { node: 'string', gtid: 'string' },
    'crash-recovery-commit': { node: 'string', gtid: 'string' },
    restart: { node: 'string' },
    // semi-sync master (semi-sync-master.ts)
    ack: { node: 'string', from: 'string', gtid: 'string' },
    'semisync-status': { node: 'string', status: 'string', why: 'string' },
    // replica channel (replica-channel.ts)
    'io-thread': { node: 'string', state: 'string', master: 'string?' },
    'io-error': { node: 'string', errno: 'number', master: 'string' },
    relay: { node: 'string', gtid: 'string' },
    'relay-discarded': { node: 'string', groups: 'number', why: 'string' },
    'sql-thread': { node: 'string', state: 'string' },
    'sql-error': { node: 'string', errno: 'number', gtid: 'string' },
    skip: { node: 'string', gtid: 'string' },
  },

  // ── redis-cluster (sim/redis) ──────────────────────────────────────────────────────────────
  // Node ids are `127.0.0.1:<port>`. Faults (cluster.ts), then the bus protocol (failover.ts).
  'redis-cluster': {
    /** kill -9 of `node`: dataset and script cache gone. */
    crash: { node: 'string' },
    /** A crashed `node` runs again (nodes.conf kept, dataset empty). */
    restart: { node: 'string' },
    /** SIGSTOP of `node`. */
    freeze: { node: 'string' },
    /** SIGCONT of `node`; `held` deliveries queued while frozen now run. */
    resume: { node: 'string', held: 'number' },
    /** `nodes` are cut from the rest; the clients are on the `'inside'` or `'outside'` side. */
    partition: { nodes: 'json', clients: 'string' },
    /** Every partition healed and every slowness removed. */
    repair: {},
    /** Every reply `node` sends its clients is delayed `latencyMs` more, until `repair`. */
    slow: { node: 'string', latencyMs: 'number' },
    /** `node` now replicates `master` (it lost its slots, or its master did) and full-resyncs. */
    replicaof: { node: 'string', master: 'string' },
    /** `node` flags `peer` PFAIL: a ping pending for more than cluster-node-timeout. */
    pfail: { node: 'string', peer: 'string' },
    /** `node` flags `peer` FAIL with `reports` failure reports from other masters, and broadcasts it. */
    fail: { node: 'string', peer: 'string', reports: 'number' },
    /** Replica `node` will ask for votes in `delayMs` (500 + random(0..499) + 1000 x `rank`). */
    'election-scheduled': { node: 'string', delayMs: 'number', rank: 'number' },
    /** Replica `node` bumped currentEpoch to `epoch` and sent FAILOVER_AUTH_REQUEST. */
    'auth-request': { node: 'string', epoch: 'number', forced: 'boolean' },
    /** `node` won its election (or took over) and serves the slots of `replaces`. */
    promoted: { node: 'string', replaces: 'string', configEpoch: 'number' },
  },

  // ── redis-client: a live ioredis client (src/adapters/redis-restart.ts) ─────────────────────
  'redis-client': {
    /** The server's run_id changed between connections: it restarted (and may have lost its data). */
    'server-restarted': { previousRunId: 'string', runId: 'string' },
  },
} as const satisfies Readonly<Record<string, FamilySpec>>;

/** A declared family name. */
export type TraceFamily = keyof typeof TRACE_EVENTS;

const vocabulary: Readonly<Record<string, FamilySpec>> = TRACE_EVENTS;

/** The family of a component name: the part before the first `/`. */
export function familyOf(component: string): string {
  const slash = component.indexOf('/');
  return slash < 0 ? component : component.slice(0, slash);
}

/**
 * Why an event does not fit the vocabulary, or `undefined` when it does: an undeclared family or
 * kind, an undeclared field, a field of the wrong type, or a required field that is missing.
 */
export function traceEventProblem(
  component: string,
  kind: string,
  fields: Readonly<Record<string, unknown>> | undefined,
): string | undefined {
  const family = vocabulary[familyOf(component)];
  if (family === undefined) return `trace: component '${component}' has no declared family`;
  const spec = Object.hasOwn(family, kind) ? family[kind] : undefined;
  if (spec === undefined) return `trace: kind '${kind}' is not declared for '${familyOf(component)}'`;
  const given = fields ?? {};
  for (const [name, value] of Object.entries(given)) {
    const type = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (type === undefined) return `trace: ${component} ${kind}: field '${name}' is not declared`;
    if (value === undefined && type.endsWith('?')) continue;
    if (!fitsType(value, type)) {
      return `trace: ${component} ${kind}: field '${name}' must be ${type}, got ${JSON.stringify(value)}`;
    }
  }
  for (const [name, type] of Object.entries(spec)) {
    if (!type.endsWith('?') && !Object.hasOwn(given, name)) {
      return `trace: ${component} ${kind}: field '${name}' is missing`;
    }
  }
  return undefined;
}

function fitsType(value: unknown, type: FieldSpec): boolean {
  switch (type) {
    case 'string':
    case 'string?':
      return typeof value === 'string';
    case 'number':
    case 'number?':
      return typeof value === 'number';
    case 'boolean':
    case 'boolean?':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

/** A trace event that does not fit `TRACE_EVENTS`. */
export class UndeclaredTraceEventError extends Error {
  override readonly name = 'UndeclaredTraceEventError';
}

/** Throws `UndeclaredTraceEventError` unless the event fits the vocabulary. */
export function checkTraceEvent(
  component: string,
  kind: string,
  fields: Readonly<Record<string, unknown>> | undefined,
): void {
  const problem = traceEventProblem(component, kind, fields);
  if (problem !== undefined) throw new UndeclaredTraceEventError(problem);
}
