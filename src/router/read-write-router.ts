// A read/write-splitting router in the manner of ShardingSphere 5.x readwrite-splitting, working
// over SqlPorts and itself a SqlPort (so it runs unchanged over the simulated cluster and over
// mysql2 pools). Routing order, per statement, as ReadwriteSplittingDataSourceRouter.route does it:
//   1. QualifiedReadwriteSplittingPrimaryDataSourceRouter: not a SELECT, a locking SELECT, a SELECT of
//      LAST_INSERT_ID(), or the write-route-only hint  -> the write data source;
//   2. QualifiedReadwriteSplittingTransactionalDataSourceRouter: inside a transaction, by
//      transactionalReadQueryStrategy: PRIMARY -> write; FIXED -> one replica chosen by the load
//      balancer at the first read and kept until the transaction ends; DYNAMIC -> the load balancer;
//   3. StandardReadwriteSplittingDataSourceRouter: the load balancer over the read data sources minus
//      the disabled ones (DisabledReadDataSourcesFilter). No fallback when that list is empty.
// ShardingSphere 5.x has no health or lag checks and no read-your-writes after an autocommit write
// (4.x's MasterVisitedManager is gone). The extras below are ours, each OFF unless configured:
//   - replicaChecks.health: skip replicas whose IO/SQL thread is stopped or that do not answer;
//   - replicaChecks.maxReplicationLagMs: skip replicas with Seconds_Behind_Master above it or NULL;
//   - causalReads: before reading a replica after this session wrote, wait for the write's GTID there
//     (MASTER_GTID_WAIT) at most timeoutMs, else read the write data source (MaxScale causal_reads=local).
// When the extras leave no replica, the read goes to the write data source (MaxScale's behaviour).
import type { Clock } from '../ports/clock.ts';
import type { Random } from '../ports/random.ts';
import type { SqlPort, SqlResult, SqlRow, SqlSession, SqlValue } from '../ports/sql.ts';
import { nullTraceSink, type TraceSink } from '../ports/trace.ts';
import { classifyStatement } from './classify.ts';
import {
  parseReadwriteSplittingYaml,
  type ReadwriteSplittingGroupConfig,
  type ReadwriteSplittingRuleConfig,
  RouterConfigError,
} from './config.ts';
import {
  type LoadBalancer,
  RandomLoadBalancer,
  RoundRobinLoadBalancer,
  WeightLoadBalancer,
} from './load-balancer.ts';
import { type ReplicaProbe, type ReplicaStatus, sqlReplicaProbe } from './replica-probe.ts';

/** Why a statement went where it went. */
export type RouteReason =
  | 'transaction-control' // BEGIN / COMMIT / ROLLBACK / SET autocommit: to the write data source
  | 'write-statement' // not a SELECT
  | 'locking-read' // SELECT ... FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE
  | 'last-insert-id' // SELECT LAST_INSERT_ID()
  | 'hint-write-route-only' // HintManager.setWriteRouteOnly() or the SQL comment hint
  | 'transaction-primary' // read in a transaction, strategy PRIMARY
  | 'transaction-fixed' // read in a transaction, strategy FIXED (pinned replica)
  | 'transaction-dynamic' // read in a transaction, strategy DYNAMIC (load balancer)
  | 'load-balanced' // autocommit read, load balancer
  | 'no-eligible-replica' // health/lag checks left no replica: the write data source
  | 'causal-timeout'; // the replica did not reach this session's last write GTID in time

/** Where one statement was sent. */
export interface RouteDecision {
  /** The data source name (a key of `dataSources`). */
  readonly dataSourceName: string;
  readonly reason: RouteReason;
}

/** Optional replica checks; ShardingSphere has none, so all are off unless set. */
export interface ReplicaChecks {
  /** Skip replicas whose IO or SQL thread is not running, or whose status query fails. @defaultValue false */
  readonly health?: boolean;
  /** Skip replicas whose `Seconds_Behind_Master` x 1000 exceeds this many ms, or is NULL. @defaultValue off */
  readonly maxReplicationLagMs?: number;
  /** How long a fetched replica status is reused, in ms of the injected clock. @defaultValue 1000 */
  readonly statusTtlMs?: number;
}

/** Options of {@link ReadWriteRouter}. */
export interface ReadWriteRouterOptions {
  /** Every data source the group names, by name (`ds-master`, `ds-slave-0`, ...). */
  readonly dataSources: ReadonlyMap<string, SqlPort>;
  /** Time for status caching and causal-read timeouts. */
  readonly clock: Clock;
  /** Chance for RANDOM and WEIGHT (ShardingSphere uses ThreadLocalRandom). */
  readonly random: Random;
  /** Which data-source group to route; required only when the rule has several. */
  readonly groupName?: string;
  /** Route events go here. @defaultValue nullTraceSink */
  readonly trace?: TraceSink;
  /** Per-replica probes for the checks and causal reads. @defaultValue sqlReplicaProbe(dataSource) */
  readonly probes?: ReadonlyMap<string, ReplicaProbe>;
  /** Health and lag exclusion. @defaultValue undefined (off, as ShardingSphere) */
  readonly replicaChecks?: ReplicaChecks;
  /** Read-your-writes by GTID wait; `timeoutMs` bounds each wait. @defaultValue undefined (off) */
  readonly causalReads?: { readonly timeoutMs: number };
}

/** Default {@link ReplicaChecks.statusTtlMs}, in milliseconds. */
export const DEFAULT_STATUS_TTL_MS = 1000;

type CachedStatus = { readonly atMs: number; readonly status: ReplicaStatus | 'unreachable' };

/**
 * The readwrite-splitting rule of one data-source group, shared by its sessions: the load balancer
 * (and its round-robin counter), the disabled set and the replica-status cache. `query` runs on the
 * default session, which sends its statements to the data-source ports themselves (shared by every
 * caller of `query`). Open one session per logical connection that uses transactions or hints: an
 * opened session has a backend connection of its own per data source (see {@link RouterSession}).
 */
export class ReadWriteRouter implements SqlPort {
  /** The group this router serves. */
  readonly group: ReadwriteSplittingGroupConfig;
  /** The load balancer named by the group (ROUND_ROBIN when none is named). */
  readonly loadBalancer: LoadBalancer;
  private readonly disabled = new Set<string>();
  /** The read data sources not disabled, in the group's order; rebuilt when `disabled` changes. */
  #enabled: readonly string[] | undefined;
  private readonly statuses = new Map<string, CachedStatus>();
  private readonly pending = new Map<string, Promise<CachedStatus>>();
  private readonly probes = new Map<string, ReplicaProbe>();
  readonly #defaultSession: RouterSession;
  private readonly sink: TraceSink;
  private sessionCount = 0;

  /** @param rule the parsed rule, or the YAML text (the article's block is accepted as printed). */
  constructor(
    rule: ReadwriteSplittingRuleConfig | string,
    readonly options: ReadWriteRouterOptions,
  ) {
    const config = typeof rule === 'string' ? parseReadwriteSplittingYaml(rule) : rule;
    const group = options.groupName
      ? config.groups.find((g) => g.name === options.groupName)
      : config.groups.length === 1
        ? config.groups[0]
        : undefined;
    if (!group) {
      const names = config.groups.map((g) => g.name).join(', ');
      throw new RouterConfigError(
        options.groupName
          ? `groupName: '${options.groupName}' is not a data-source group of the rule (groups: ${names})`
          : `groupName: the rule has several data-source groups (${names}); say which one to route`,
      );
    }
    this.group = group;
    this.sink = options.trace ?? nullTraceSink;
    for (const ds of [group.writeDataSourceName, ...group.readDataSourceNames]) {
      if (!options.dataSources.has(ds)) {
        throw new RouterConfigError(
          `dataSources: no SqlPort for data source '${ds}' named by group ${group.name} (given: ${[...options.dataSources.keys()].join(', ')})`,
        );
      }
      this.probes.set(ds, options.probes?.get(ds) ?? sqlReplicaProbe(options.dataSources.get(ds)!));
    }
    const lbConfig = group.loadBalancerName ? config.loadBalancers.get(group.loadBalancerName) : undefined;
    const random = options.random;
    this.loadBalancer =
      lbConfig?.type === 'RANDOM'
        ? new RandomLoadBalancer(random)
        : lbConfig?.type === 'WEIGHT'
          ? new WeightLoadBalancer(lbConfig.weights, random)
          : new RoundRobinLoadBalancer();
    const checks = options.replicaChecks;
    if (checks?.maxReplicationLagMs !== undefined && !(checks.maxReplicationLagMs >= 0)) {
      throw new RouterConfigError(
        `replicaChecks.maxReplicationLagMs: expected a number >= 0, got ${checks.maxReplicationLagMs}`,
      );
    }
    if (checks?.statusTtlMs !== undefined && !(checks.statusTtlMs >= 0)) {
      throw new RouterConfigError(
        `replicaChecks.statusTtlMs: expected a number >= 0, got ${checks.statusTtlMs}`,
      );
    }
    if (options.causalReads && !(options.causalReads.timeoutMs >= 0)) {
      throw new RouterConfigError(
        `causalReads.timeoutMs: expected a number >= 0, got ${options.causalReads.timeoutMs}`,
      );
    }
    this.#defaultSession = new RouterSession(this, `s${this.sessionCount++}`, false);
  }

  /**
   * Opens a logical connection: its own transaction state, FIXED pin, hint, last write GTID and,
   * for every data source whose port has `session()`, its own backend connection, opened at the
   * session's first statement there and released by {@link RouterSession.close}.
   */
  openSession(): RouterSession {
    return new RouterSession(this, `s${this.sessionCount++}`, true);
  }

  /** {@link SqlPort.session}: the same as {@link openSession}, so a router can stand where a pool does. */
  session(): RouterSession {
    return this.openSession();
  }

  /** Runs one statement on the default session. */
  query<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Promise<SqlResult<Row>> {
    return this.#defaultSession.query<Row>(sql, params);
  }

  /** Where the default session sent its last statement. */
  get lastRoute(): RouteDecision | undefined {
    return this.#defaultSession.lastRoute;
  }

  /**
   * The default session (for hints and transaction state on `router.query`). It uses the
   * data-source ports directly, not connections of its own: everything sent through `router.query`
   * is one logical connection, and other users of those ports share it.
   */
  get defaultSession(): RouterSession {
    return this.#defaultSession;
  }

  /** `ALTER READWRITE_SPLITTING RULE <group> DISABLE <name>`: stop routing reads to that replica. */
  disableReadDataSource(name: string): void {
    this.checkReadName(name);
    this.disabled.add(name);
    this.#enabled = undefined;
    this.trace('disable', { dataSource: name });
  }

  /** `ALTER READWRITE_SPLITTING RULE <group> ENABLE <name>`. */
  enableReadDataSource(name: string): void {
    this.checkReadName(name);
    this.disabled.delete(name);
    this.#enabled = undefined;
    this.trace('enable', { dataSource: name });
  }

  /** Replicas currently disabled by {@link disableReadDataSource}. */
  get disabledReadDataSourceNames(): ReadonlySet<string> {
    return this.disabled;
  }

  private checkReadName(name: string): void {
    if (!this.group.readDataSourceNames.includes(name)) {
      throw new RouterConfigError(`'${name}' is not a read data source of group ${this.group.name}`);
    }
  }

  /** @internal */
  trace(kind: string, fields: Record<string, string | number | boolean | null>): void {
    this.sink.emit('router', kind, fields);
  }

  /** @internal True when a trace sink was given (route events are built only then). */
  get tracing(): boolean {
    return this.sink !== nullTraceSink;
  }

  /** @internal The data source a name maps to (checked at construction). */
  port(name: string): SqlPort {
    return this.options.dataSources.get(name)!;
  }

  /** @internal The probe of a data source. */
  probe(name: string): ReplicaProbe {
    return this.probes.get(name)!;
  }

  /**
   * @internal StandardReadwriteSplittingDataSourceRouter plus our optional exclusions: returns a
   * replica name, or undefined when the checks left none (the caller reads the write data source).
   */
  chooseReplica(): string | undefined | Promise<string | undefined> {
    // Filtered once per disable/enable, not per read: the list is only read from here on.
    this.#enabled ??= this.group.readDataSourceNames.filter((n) => !this.disabled.has(n));
    const enabled = this.#enabled;
    const checks = this.options.replicaChecks;
    if (enabled.length === 0 || !checks || (!checks.health && checks.maxReplicationLagMs === undefined)) {
      // ShardingSphere: the load balancer gets the filtered list as is (empty -> it throws).
      return this.loadBalancer.getTargetName(this.group.name, enabled);
    }
    return this.chooseCheckedReplica(enabled, checks);
  }

  private async chooseCheckedReplica(
    enabled: readonly string[],
    checks: ReplicaChecks,
  ): Promise<string | undefined> {
    const statuses = await Promise.all(enabled.map((n) => this.statusOf(n)));
    const eligible = enabled.filter((_name, i) => {
      const s = statuses[i]!.status;
      if (s === 'unreachable') return false;
      if (checks.health && !(s.ioRunning && s.sqlRunning)) return false;
      if (checks.maxReplicationLagMs !== undefined) {
        if (s.secondsBehindMaster === null || s.secondsBehindMaster * 1000 > checks.maxReplicationLagMs)
          return false;
      }
      return true;
    });
    for (const name of enabled) {
      if (!eligible.includes(name)) this.trace('exclude', { dataSource: name });
    }
    if (eligible.length === 0) return undefined;
    return this.loadBalancer.getTargetName(this.group.name, eligible);
  }

  private statusOf(name: string): Promise<CachedStatus> {
    const ttl = this.options.replicaChecks?.statusTtlMs ?? DEFAULT_STATUS_TTL_MS;
    const now = this.options.clock.now();
    const cached = this.statuses.get(name);
    if (cached && now - cached.atMs < ttl) return Promise.resolve(cached);
    const inFlight = this.pending.get(name);
    if (inFlight) return inFlight;
    const fetch = this.probe(name)
      .status()
      .then(
        (status): CachedStatus => ({ atMs: now, status }),
        (): CachedStatus => ({ atMs: now, status: 'unreachable' }),
      )
      .then((entry) => {
        this.statuses.set(name, entry);
        this.pending.delete(name);
        return entry;
      });
    this.pending.set(name, fetch);
    return fetch;
  }
}

/**
 * One logical connection through the router (ShardingSphere's ConnectionContext): transaction state
 * from BEGIN / START TRANSACTION / SET autocommit=0 until COMMIT / ROLLBACK / SET autocommit=1, the
 * FIXED replica pin, the write-route-only hint and, for causal reads, the GTID of its last write.
 * Statements of one session should not overlap (await each one), as on a real connection.
 *
 * Backend connections: as ShardingSphere's DatabaseConnectionManager caches physical connections per
 * logical connection and data source, an opened session takes its own connection from each data
 * source it uses (`SqlPort.session()`, at its first statement there) and keeps it until
 * {@link close}. So one session's ROLLBACK cannot touch another session's statements. A data source
 * whose port has no `session()` is shared by every session, as before: transactions on it are
 * visible to, and undone with, other sessions' statements on it.
 */
export class RouterSession implements SqlSession {
  private transaction = false;
  private fixedReplica: string | undefined;
  private writeRouteOnly = false;
  private lastGtid: string | undefined;
  private last: RouteDecision | undefined;
  readonly #connections = new Map<string, SqlSession>();
  #closed = false;

  /** @internal use {@link ReadWriteRouter.openSession}. */
  constructor(
    private readonly router: ReadWriteRouter,
    /** Session id used in trace events (`s0`, `s1`, ...). */
    readonly id: string,
    /** True: own backend connections per data source; false (the default session): the ports themselves. */
    private readonly dedicated: boolean,
  ) {}

  /**
   * Releases this session's backend connections (a transaction still open on them is rolled back by
   * the port, or dropped with the simulated connection) and ends the session: later statements
   * reject. Idempotent. Closing the router's default session is not allowed.
   */
  async close(): Promise<void> {
    if (!this.dedicated)
      throw new Error(`RouterSession ${this.id}: the router's default session cannot be closed`);
    if (this.#closed) return;
    this.#closed = true;
    this.transaction = false;
    this.fixedReplica = undefined;
    const held = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(held.map((c) => c.release?.()));
  }

  /** {@link SqlSession.release}: the same as {@link close}. */
  release(): Promise<void> {
    return this.close();
  }

  /** The backend connection this session uses for a data source (opened on first use). */
  private connection(name: string): SqlPort {
    const port = this.router.port(name);
    if (!this.dedicated || port.session === undefined) return port;
    let conn = this.#connections.get(name);
    if (conn === undefined) {
      conn = port.session();
      this.#connections.set(name, conn);
    }
    return conn;
  }

  /** `HintManager.getInstance().setWriteRouteOnly()`: every statement goes to the write data source until {@link clearHint}. */
  setWriteRouteOnly(): void {
    this.writeRouteOnly = true;
  }

  /** `HintManager.close()`: drop the write-route-only hint. */
  clearHint(): void {
    this.writeRouteOnly = false;
  }

  /** True between BEGIN (or autocommit=0) and COMMIT/ROLLBACK. */
  get inTransaction(): boolean {
    return this.transaction;
  }

  /** Where the last statement was sent. */
  get lastRoute(): RouteDecision | undefined {
    return this.last;
  }

  /** GTID of the last write this session saw acknowledged (from `SqlResult.gtid`), if any. */
  get lastWriteGtid(): string | undefined {
    return this.lastGtid;
  }

  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<SqlResult<Row>> {
    if (this.#closed) throw new Error(`RouterSession ${this.id}: query after close()`);
    const routed = this.route(sql);
    const decision = routed instanceof Promise ? await routed : routed;
    this.last = decision;
    if (this.router.tracing) {
      this.router.trace('route', {
        session: this.id,
        dataSource: decision.dataSourceName,
        reason: decision.reason,
      });
    }
    const result = await this.connection(decision.dataSourceName).query<Row>(sql, params);
    if (decision.dataSourceName === this.router.group.writeDataSourceName && result.gtid !== undefined) {
      this.lastGtid = result.gtid;
    }
    return result;
  }

  // Synchronous unless a replica check or a causal wait has to ask a replica (keeps the common path cheap).
  private route(sql: string): RouteDecision | Promise<RouteDecision> {
    const write = this.router.group.writeDataSourceName;
    const { statement, hintWriteRouteOnly } = classifyStatement(sql);
    switch (statement.kind) {
      case 'begin':
        this.transaction = true;
        this.fixedReplica = undefined;
        return { dataSourceName: write, reason: 'transaction-control' };
      case 'commit':
      case 'rollback':
        this.transaction = false;
        this.fixedReplica = undefined;
        return { dataSourceName: write, reason: 'transaction-control' };
      case 'autocommit':
        this.transaction = !statement.on;
        this.fixedReplica = undefined;
        return { dataSourceName: write, reason: 'transaction-control' };
      case 'other':
        return { dataSourceName: write, reason: 'write-statement' };
      case 'select':
        break;
    }
    if (statement.lock) return { dataSourceName: write, reason: 'locking-read' };
    if (statement.lastInsertId) return { dataSourceName: write, reason: 'last-insert-id' };
    if (this.writeRouteOnly || hintWriteRouteOnly)
      return { dataSourceName: write, reason: 'hint-write-route-only' };
    if (this.transaction) {
      switch (this.router.group.transactionalReadQueryStrategy) {
        case 'PRIMARY':
          return { dataSourceName: write, reason: 'transaction-primary' };
        case 'FIXED':
          if (this.fixedReplica !== undefined) return this.causal(this.fixedReplica, 'transaction-fixed');
          return andThen(this.router.chooseReplica(), (replica) => {
            this.fixedReplica = replica;
            return this.causal(replica, 'transaction-fixed');
          });
        case 'DYNAMIC':
          return andThen(this.router.chooseReplica(), (replica) =>
            this.causal(replica, 'transaction-dynamic'),
          );
      }
    }
    return andThen(this.router.chooseReplica(), (replica) => this.causal(replica, 'load-balanced'));
  }

  private causal(replica: string | undefined, reason: RouteReason): RouteDecision | Promise<RouteDecision> {
    const write = this.router.group.writeDataSourceName;
    if (replica === undefined) return { dataSourceName: write, reason: 'no-eligible-replica' };
    const causal = this.router.options.causalReads;
    if (!causal || this.lastGtid === undefined) return { dataSourceName: replica, reason };
    return this.router
      .probe(replica)
      .waitForGtid(this.lastGtid, causal.timeoutMs)
      .catch(() => false)
      .then(
        (reached): RouteDecision =>
          reached ? { dataSourceName: replica, reason } : { dataSourceName: write, reason: 'causal-timeout' },
      );
  }
}

/** Applies `next` now when `value` is plain, after it settles when it is a promise. */
function andThen<T, U>(value: T | Promise<T>, next: (v: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
