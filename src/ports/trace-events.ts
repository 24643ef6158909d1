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
  },

  // ── fault: what the fault timeline did (sim/faults, the live driver) ─────────────────────────
  fault: {
    inject: { verb: 'string', target: 'string', args: 'json' },
  },

  // ── sentinel (src/sentinel) ────────────────────────────────────────────────────────────────
  sentinel: {
    state: { resource: 'string', grade: 'string', prev: 'string', next: 'string', snapshot: 'json?' },
    block: { resource: 'string', by: 'string' },
  },

  // ── executor (src/executor) ────────────────────────────────────────────────────────────────
  executor: {
    rejected: { policy: 'string', running: 'boolean', poolSize: 'number', queueSize: 'number' },
    'caller-runs': {},
    'worker-start': { thread: 'string', poolSize: 'number', withTask: 'boolean' },
    'worker-exit': { thread: 'string', poolSize: 'number' },
  },

  // ── coalesce (src/coalesce) ────────────────────────────────────────────────────────────────
  coalesce: {
    call: { key: 'string', callers: 'number' },
    settle: { key: 'string', ok: 'boolean', callers: 'number' },
  },

  // ── cache (src/cache) ──────────────────────────────────────────────────────────────────────
  cache: {},

  // ── router (src/router) ────────────────────────────────────────────────────────────────────
  router: {},

  // ── client and history (sim/scenarios, sim/checkers) ───────────────────────────────────────
  client: {
    invoke: { id: 'number' },
    ok: { id: 'number', ms: 'number', tokens: 'number' },
    fail: { id: 'number', ms: 'number', error: 'string' },
  },
  history: {
    op: { op: 'json' },
    final: { key: 'string', value: 'json' },
  },

  // ── mysql (sim/mysql) ──────────────────────────────────────────────────────────────────────
  mysql: {},

  // ── redis-cluster (sim/redis) ──────────────────────────────────────────────────────────────
  'redis-cluster': {},

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
