/**
 * Every limit hasim puts on its input and its runs, with its default and the flag that raises it
 * (TigerStyle: "put a limit on everything"). docs/limits.md lists the same table;
 * test/cli/limits.test.ts checks that it does. A limit that is hit is a `LimitError`: one line
 * naming the limit and the flag, exit 2.
 */

/** One named limit. */
export interface Limit {
  /** What the limit applies to, as the message says it: 'per scenario file'. */
  readonly what: string;
  /** The unit the value counts, as the message prints it. */
  readonly unit: 'bytes' | 'alias expansions' | 'events' | 'keys' | 'entries' | 'faults' | 'seeds' | 'runs';
  readonly defaultValue: number;
  /** The flag that raises it, e.g. `--max-events`. */
  readonly flag: string;
  /** The verbs that take the flag. */
  readonly verbs: readonly string[];
}

/** The limits, by name. */
export const LIMITS = {
  scenarioBytes: {
    what: 'per scenario file',
    unit: 'bytes',
    defaultValue: 256 * 1024,
    flag: '--max-scenario-bytes',
    verbs: ['run'],
  },
  yamlAliases: {
    what: 'per scenario file',
    unit: 'alias expansions',
    defaultValue: 100,
    flag: '--max-yaml-aliases',
    verbs: ['run'],
  },
  events: {
    what: 'per run',
    unit: 'events',
    defaultValue: 10_000_000,
    flag: '--max-events',
    verbs: ['run', 'replay', 'swarm', 'shrink'],
  },
  traceBytes: {
    what: 'per trace file',
    unit: 'bytes',
    defaultValue: 1024 * 1024 * 1024,
    flag: '--max-trace-bytes',
    verbs: ['run', 'replay'],
  },
  traceLineBytes: {
    what: 'per trace line',
    unit: 'bytes',
    defaultValue: 16 * 1024 * 1024,
    flag: '--max-line-bytes',
    verbs: ['replay'],
  },
  keyTraceKeys: {
    what: 'per hit-rate trace file',
    unit: 'keys',
    defaultValue: 64 * 1024 * 1024,
    flag: '--max-keys',
    verbs: ['hitrate'],
  },
  cacheEntries: {
    what: 'per simulated cache',
    unit: 'entries',
    defaultValue: 1_000_000,
    flag: '--max-cache-size',
    verbs: ['hitrate'],
  },
  nemesisFaults: {
    what: 'per drawn schedule',
    unit: 'faults',
    defaultValue: 10_000,
    flag: '--max-nemesis-faults',
    verbs: ['run', 'swarm'],
  },
  swarmSeeds: {
    what: 'per sweep',
    unit: 'seeds',
    defaultValue: 1_000_000,
    flag: '--max-seeds',
    verbs: ['swarm'],
  },
  shrinkRuns: {
    what: 'per shrink',
    unit: 'runs',
    defaultValue: 1_000,
    flag: '--max-shrink-runs',
    verbs: ['shrink'],
  },
} as const satisfies Record<string, Limit>;

export type LimitName = keyof typeof LIMITS;

/** A value each limit is set to for one command; missing names take their default. */
export type LimitValues = Partial<Record<LimitName, number>>;

/** The value of limit `name` in `values`, or its default. */
export function limitValue(values: LimitValues | undefined, name: LimitName): number {
  return values?.[name] ?? LIMITS[name].defaultValue;
}

/** Thousands separated with a comma, independent of locale. */
export function group(v: number): string {
  return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** An input or a run that went over a named limit. The message names the limit and its flag. */
export class LimitError extends Error {
  override readonly name = 'LimitError';
  readonly limit: LimitName;
  readonly max: number;

  /**
   * @param subject what went over, e.g. a file path.
   * @param found how much there was, e.g. 'about 120,000,000 events'; none when unknown.
   */
  constructor(limit: LimitName, max: number, subject: string, found?: string) {
    const spec: Limit = LIMITS[limit];
    super(
      `${subject}: ${found === undefined ? '' : `${found}, `}over the limit of ${group(max)} ${spec.unit} ${spec.what} (raise it with ${spec.flag})`,
    );
    this.limit = limit;
    this.max = max;
  }
}
