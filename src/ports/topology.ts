/**
 * What a run is made of, written once as the first trace event (`run topology {topology}`), so
 * renderers and checkers read the shape of the system from the trace and never need the
 * simulation. Plain JSON; units in the names.
 */
export interface Topology {
  readonly scenario: string;
  /** The article's code as written, or the corrected forms. */
  readonly variant: 'article' | 'fixed';
  /** Parts pinned to one form whatever `variant` says (the scenario's `topology.variants`). */
  readonly variants?: Readonly<Record<string, 'article' | 'fixed'>>;
  /** Gateway instances, e.g. `['gw-1', 'gw-2', 'gw-3']`. */
  readonly instances: readonly string[];
  /** The request path, top to bottom. */
  readonly layers: readonly string[];
  readonly providers: readonly { readonly name: string; readonly model: string }[];
  readonly redis?: {
    readonly nodes: readonly {
      readonly id: string;
      /** Fault-target name, e.g. `redis/shard-1/master`. */
      readonly target: string;
      readonly role: 'master' | 'replica';
      /** For a replica: the id of its master. */
      readonly replicaOf?: string;
      /** For a master: the slot ranges it owns, inclusive. */
      readonly slots?: readonly (readonly [number, number])[];
    }[];
    readonly nodeTimeoutMs: number;
  };
  readonly mysql?: {
    readonly nodes: readonly {
      readonly name: string;
      readonly target: string;
      readonly role: 'primary' | 'replica';
    }[];
    readonly semiSync?: { readonly waitPoint: string; readonly timeoutMs: number };
    readonly loadBalancer: string;
    readonly shards: number;
  };
  readonly tokenBucket?: {
    readonly capacity: number;
    readonly refillTokensPerSecond: number;
    readonly variant: string;
  };
  readonly redisLimiter?: { readonly limit: number; readonly windowMs: number; readonly algorithm: string };
  readonly sentinel?: {
    readonly resource: string;
    readonly degradeRules: readonly Readonly<Record<string, string | number>>[];
    readonly flowRules: readonly Readonly<Record<string, string | number>>[];
  };
  readonly cache?: { readonly l1MaximumSize: number; readonly l1TtlMs: number; readonly l2TtlMs: number };
  readonly executor?: {
    readonly corePoolSize: number;
    readonly maxPoolSize: number;
    readonly queueCapacity: number;
    readonly keepAliveMs: number;
    readonly policy: string;
  };
  readonly fallback?: {
    readonly policy: string;
    readonly models: readonly string[];
    readonly timeoutMs: number;
  };
  /** Every fault target and its verbs. */
  readonly faultTargets: readonly { readonly name: string; readonly verbs: readonly string[] }[];
}
