import type { FaultArgs, FaultVerb } from '../../src/ports/faults.ts';

/**
 * The arguments each fault verb takes on each kind of target, checked when a scenario is loaded,
 * so a mistake is refused with its file and line (exit 2) instead of failing the run when the
 * fault fires, minutes into it. One table for simulated and live runs (one scenario serves both,
 * `hasim live --compare`): an argument only one of them acts on is allowed in both and said so
 * here. The handlers keep their own checks (sim/world/*-world.ts, sim/llm/provider-faults.ts,
 * src/live/faults/): this table is what they accept, not a second meaning.
 */

type ArgSpec =
  | {
      readonly kind: 'number';
      /** Smallest value allowed. */
      readonly min: number;
      /** Whether `min` itself is allowed. @defaultValue true */
      readonly minIncluded?: boolean;
      readonly max?: number;
      readonly integer?: boolean;
      /** What the value is, for messages: 'ms', 'a latency multiplier'. */
      readonly unit: string;
    }
  | { readonly kind: 'enum'; readonly values: readonly string[] };

interface VerbArgs {
  readonly args: Readonly<Record<string, ArgSpec>>;
  /** Arguments a fault must give; a list of lists means "at least one of these". */
  readonly required?: readonly (string | readonly string[])[];
}

const ms = (what = 'ms'): ArgSpec => ({ kind: 'number', min: 0, max: 86_400_000, unit: what });
const NONE: VerbArgs = { args: {} };

/** The fault proxy's forms of a live partition (src/live/faults/network.ts PARTITION_MODES). */
const LIVE_PARTITION: Readonly<Record<string, ArgSpec>> = {
  mode: { kind: 'enum', values: ['blackhole', 'timeout', 'reset', 'refuse'] },
  timeoutMs: ms(),
};
/** A live `slow`: Toxiproxy's latency (± jitter) and bandwidth toxics on the server's proxy. */
const LIVE_SLOW: Readonly<Record<string, ArgSpec>> = {
  latencyMs: ms(),
  jitterMs: ms(),
  bandwidthKBps: { kind: 'number', min: 0, minIncluded: false, max: 1e9, unit: 'KB/s' },
};

const PROCESS: Readonly<Partial<Record<FaultVerb, VerbArgs>>> = {
  crash: NONE,
  restart: NONE,
  freeze: NONE,
  resume: NONE,
  repair: NONE,
};

/** Target kinds, by the first segments of a target name. */
type TargetKind = 'redis' | 'mysql-primary' | 'mysql-replica' | 'upstream';

const TABLE: Readonly<Record<TargetKind, Readonly<Partial<Record<FaultVerb, VerbArgs>>>>> = {
  redis: {
    ...PROCESS,
    // Simulated: which side the clients are on (SimRedisCluster.partition); live: the proxy's form.
    partition: { args: { clients: { kind: 'enum', values: ['inside', 'outside'] }, ...LIVE_PARTITION } },
    // The node's replies reach its clients latencyMs later (jitter and bandwidth: live only).
    slow: { args: LIVE_SLOW, required: ['latencyMs'] },
    failover: { args: { mode: { kind: 'enum', values: ['FORCE', 'TAKEOVER'] } } },
  },
  'mysql-primary': {
    ...PROCESS,
    partition: { args: LIVE_PARTITION },
    // The primary's answers reach the clients latencyMs later (jitter and bandwidth: live only).
    slow: { args: LIVE_SLOW, required: ['latencyMs'] },
    failover: NONE,
    'semi-sync-timeout': {
      args: { timeoutMs: { kind: 'number', min: 0, max: 2 ** 32 - 1, integer: true, unit: 'ms' } },
      required: ['timeoutMs'],
    },
  },
  'mysql-replica': {
    ...PROCESS,
    partition: { args: LIVE_PARTITION },
    // The SQL thread's cost per event group (applyCostMs, simulated only) and/or the delay of the
    // replica's answers (latencyMs, simulated and live).
    slow: {
      args: {
        applyCostMs: { kind: 'number', min: 0, max: 60_000, unit: 'ms per event group' },
        ...LIVE_SLOW,
      },
      required: [['applyCostMs', 'latencyMs']],
    },
    'stop-io-thread': NONE,
    'start-io-thread': NONE,
    'stop-sql-thread': NONE,
    'start-sql-thread': NONE,
  },
  upstream: {
    outage: { args: { mode: { kind: 'enum', values: ['error', 'hang'] }, hangMs: ms() } },
    slowdown: {
      args: { factor: { kind: 'number', min: 1, max: 1_000, unit: 'a latency multiplier' } },
      required: ['factor'],
    },
    'rate-limit-storm': {
      args: {
        probability: { kind: 'number', min: 0, minIncluded: false, max: 1, unit: 'a probability' },
        retryAfterMs: ms(),
      },
    },
    'fail-next': {
      args: {
        count: { kind: 'number', min: 1, max: 1_000_000, integer: true, unit: 'calls' },
        status: { kind: 'number', min: 400, max: 599, integer: true, unit: 'an HTTP error status' },
      },
      required: ['count'],
    },
    heal: NONE,
  },
};

function kindOf(target: string): TargetKind | undefined {
  if (target.startsWith('redis/')) return 'redis';
  if (target === 'mysql/primary') return 'mysql-primary';
  if (target.startsWith('mysql/replica-')) return 'mysql-replica';
  if (target.startsWith('upstream/')) return 'upstream';
  return undefined;
}

/** What is wrong with `args` for `verb` on `target`: the argument's name (or none) and why; undefined when nothing is. */
export function faultArgsProblem(
  target: string,
  verb: string,
  args: FaultArgs | undefined,
): { readonly arg?: string; readonly message: string } | undefined {
  const kind = kindOf(target);
  const spec = kind === undefined ? undefined : TABLE[kind][verb as FaultVerb];
  // A target or verb that does not exist is faultTargetProblem's to report.
  if (spec === undefined) return undefined;
  const given = args ?? {};
  const names = Object.keys(spec.args);
  for (const [name, value] of Object.entries(given)) {
    const arg = spec.args[name];
    if (arg === undefined) {
      const takes = names.length === 0 ? 'takes no arguments' : `takes ${names.join(', ')}`;
      return { arg: name, message: `unknown argument of ${verb} (on ${target}, ${verb} ${takes})` };
    }
    const problem = valueProblem(arg, value);
    if (problem !== undefined) return { arg: name, message: problem };
  }
  for (const need of spec.required ?? []) {
    const oneOf = typeof need === 'string' ? [need] : need;
    if (!oneOf.some((name) => given[name] !== undefined))
      return {
        message:
          oneOf.length === 1
            ? `${verb} needs args.${oneOf[0]}`
            : `${verb} needs one of ${oneOf.map((n) => `args.${n}`).join(', ')}`,
      };
  }
  return undefined;
}

function valueProblem(spec: ArgSpec, value: unknown): string | undefined {
  if (spec.kind === 'enum') {
    return typeof value === 'string' && spec.values.includes(value)
      ? undefined
      : `expected one of ${spec.values.join(', ')}, got ${shown(value)}`;
  }
  const low = spec.minIncluded === false ? `> ${spec.min}` : `>= ${spec.min}`;
  const range = spec.max === undefined ? low : `${low} and <= ${spec.max}`;
  const what = `${spec.integer ? 'an integer' : 'a number'} ${range} (${spec.unit})`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `expected ${what}, got ${shown(value)}`;
  const tooLow = spec.minIncluded === false ? value <= spec.min : value < spec.min;
  if (tooLow || (spec.max !== undefined && value > spec.max) || (spec.integer && !Number.isInteger(value)))
    return `expected ${what}, got ${value}`;
  return undefined;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  return String(value);
}

/** Where to point for an argument problem: the argument, else `args:`, else the fault itself. */
export function argsPath(
  fault: readonly (string | number)[],
  args: FaultArgs | undefined,
  arg: string | undefined,
): (string | number)[] {
  if (arg !== undefined) return [...fault, 'args', arg];
  return args === undefined ? [...fault] : [...fault, 'args'];
}
