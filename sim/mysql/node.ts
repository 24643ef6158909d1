import { assert } from '../../src/assert.ts';
import type { Clock } from '../../src/ports/clock.ts';
import { SqlError, type SqlPort, type SqlResult, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import type { NetLink } from '../net/network.ts';
import { Binlog, type BinlogGroup, groupSize, type ReplEvent, rowChanges, rowCount } from './binlog.ts';
import { BinlogDump, type DumpConnection, type DumpReceiver } from './binlog-dump.ts';
import { Engine } from './engine.ts';
import { badSlave, connectionRefused, lostConnection } from './errors.ts';
import { formatGtid, formatPos, type Gtid, type GtidPos, parsePos, reached } from './gtid.ts';
import { GtidWaits } from './gtid-waits.ts';
import {
  bigNumbersOf,
  type MysqlNetwork,
  type NodeSettings,
  nodeSettings,
  nonNegative,
  type PromoteOptions,
  type RestartOptions,
  type SimMysqlNodeOptions,
  type SimMysqlNodePorts,
} from './options.ts';
import { ReplicaChannel, type ReplicaHost, type UseGtid } from './replica-channel.ts';
import { SemiSyncMaster, type SemiSyncOptions } from './semi-sync-master.ts';
import { Connections, type EngineCommit, type Session, type StatementHost } from './statements.ts';
import {
  currentPos,
  type NodeStatus,
  nodeStatus,
  readVariable,
  type StatusSource,
  setGlobal,
  showVariablesRows,
} from './status.ts';

const TRACE = 'mysql';
/** The automatic binlog purge runs once this many groups past `binlogRetainGroups` are held. */
const BINLOG_PURGE_BATCH_GROUPS = 2_048;

/**
 * One simulated MariaDB server: real data in SQLite, a binlog of event groups with GTIDs, the
 * semi-sync master plug-in (`SemiSyncMaster`), binlog dump threads (`BinlogDump`), and a replica
 * channel (`ReplicaChannel`: IO thread → relay log → SQL thread). It is a `SqlPort` (one default
 * connection); `session()` opens more connections. The node itself runs the commit pipeline, the
 * GTID waits and the faults (crash, restart, promote).
 */
export class SimMysqlNode implements SqlPort {
  /** Node name, e.g. `ds-master`. */
  readonly name: string;
  /** `server_id`: the middle part of the GTIDs this node originates. */
  readonly serverId: number;
  /**
   * What this node wrote to its binlog (survives crashes: the binlog is on disk). Absolute
   * indices; the groups older than the last `binlogRetainGroups` that every dump thread has sent
   * are dropped (see `#purgeExpired`).
   */
  readonly binlog = new Binlog();
  readonly #engine: Engine;
  readonly #clock: Clock;
  readonly #trace: TraceSink;
  readonly #network: MysqlNetwork;
  readonly #settings: NodeSettings;
  /** Extra delay of every answer to a client (setReplyLatencyMs), ms. */
  #replyLatencyMs = 0;
  readonly #semi: SemiSyncMaster;
  readonly #dumps: BinlogDump;
  #up = true;
  #epoch = 0;
  #readOnly = false;
  readonly #binlogPos = new Map<number, Gtid>();
  readonly #slavePos = new Map<number, Gtid>();
  /** AFTER_SYNC groups in the binlog awaiting their engine commit, in binlog order. */
  #prepared: BinlogGroup[] = [];
  readonly #crashWaiters = new Set<(e: SqlError) => void>();
  readonly #gtidWaits: GtidWaits;
  #channel: ReplicaChannel | null = null;
  /** Groups at the front of the binlog whose files were purged (kept in `binlog` for inspection). */
  #purgedGroups = 0;
  readonly #connections: Connections;
  readonly #replicaHost: ReplicaHost;

  constructor(options: SimMysqlNodeOptions, ports: SimMysqlNodePorts) {
    const { clock, trace, network } = ports;
    this.name = options.name;
    this.serverId = options.serverId;
    this.#clock = clock;
    this.#trace = trace;
    this.#network = network;
    this.#settings = nodeSettings(options);
    this.#semi = new SemiSyncMaster(options.semiSync ?? {}, {
      clock,
      trace,
      name: this.name,
      epoch: () => this.#epoch,
      crashWaiters: this.#crashWaiters,
    });
    this.#dumps = new BinlogDump({
      name: this.name,
      binlog: this.binlog,
      binlogPos: this.#binlogPos,
      purgedGroups: () => this.#purgedGroups,
      up: () => this.#up,
      semiSync: this.#semi,
    });
    this.#gtidWaits = new GtidWaits({ clock, slavePos: this.#slavePos, crashWaiters: this.#crashWaiters });
    this.#engine = new Engine(
      this.#settings.database,
      {
        nowMs: () => clock.now(),
        lastInsertId: () => this.#connections.current.lastInsertId,
      },
      bigNumbersOf(this.#settings),
    );
    this.#connections = new Connections(this.#statementHost(), {
      epoch: () => this.#epoch,
      assertUp: () => this.#assertUp(),
      statementCostMs: () => this.#settings.statementCostMs,
      sleep: (ms) => this.#sleep(ms),
      replyLatencyMs: () => this.#replyLatencyMs,
    });
    this.#replicaHost = this.#channelHost();
  }

  // ---------------------------------------------------------------------------------------------
  // Client side

  /** Runs one statement on this node's default connection. */
  query<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult<Row>> {
    return this.#connections.query(this.#connections.default, sql, params) as Promise<SqlResult<Row>>;
  }

  /** Opens another connection (its own transaction and LAST_INSERT_ID). */
  session(): SqlPort {
    const s = this.#connections.open();
    return {
      query: <Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
        this.#connections.query(s, sql, params) as Promise<SqlResult<Row>>,
    };
  }

  #statementHost(): Omit<StatementHost, 'withSession'> {
    return {
      engine: this.#engine,
      nowMs: () => this.#clock.now(),
      preparedChanges: () => this.#prepared.flatMap((g) => rowChanges(g.events)),
      defersEngineCommit: () => this.#semi.defersEngineCommit,
      commitSession: (s) => this.#commitSession(s),
      commitGroup: (events, timestampS, s, engine) => this.#commitGroup(events, timestampS, s, engine),
      variable: (name, s) => readVariable(this.#statusSource(), name, s.lastGtid),
      showVariables: (s, like) => showVariablesRows(this.#statusSource(), s.lastGtid, like),
      setGlobal: (name, value) =>
        setGlobal(
          {
            semiSync: this.#semi,
            setReadOnly: (on) => this.setReadOnly(on),
            skipNextGroup: () => this.skipNextGroup(),
          },
          name,
          value,
        ),
      hasChannel: () => this.#channel !== null,
      node: this,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The commit pipeline

  async #commitSession(s: Session): Promise<string | undefined> {
    const txn = s.txn;
    s.txn = null;
    if (txn === null || txn.changes.length === 0) return undefined;
    // Another connection may have committed a conflicting row since these statements ran (InnoDB
    // would have made one of them wait for the row lock); the loser gets the error at COMMIT,
    // from the engine commit or from the check before an AFTER_SYNC binlog write.
    const events: ReplEvent[] = txn.changes.map((change) => ({ kind: 'rows', change }));
    return this.#commitGroup(events, txn.timestampS ?? Math.floor(this.#clock.now() / 1000), s);
  }

  /**
   * The commit path (MariaDB: binlog group commit, then the semi-sync hook). Writes the group to
   * the binlog, then either commits in the engine and waits for the ack (AFTER_COMMIT) or waits
   * for the ack and then commits (AFTER_SYNC). A timed-out wait switches semi-sync OFF and returns
   * OK with no error or warning (semisync_master.cc commit_trx). `engine` says what the statement
   * already did: `committed` (the fast path), `verified` (ran on exactly the prepared base) or
   * `unverified` (to be checked before an AFTER_SYNC binlog write).
   */
  async #commitGroup(
    events: ReplEvent[],
    timestampS: number,
    s: Session,
    engine: EngineCommit = 'unverified',
  ): Promise<string> {
    const gtid: Gtid = { domain: 0, server: this.serverId, seq: this.#nextSeq(0) };
    // A new GTID is newer than everything this node has binlogged or applied in its domain.
    assert(
      gtid.seq > (this.#binlogPos.get(0)?.seq ?? 0) && gtid.seq > (this.#slavePos.get(0)?.seq ?? 0),
      () => `${this.name}: GTID ${formatGtid(gtid)} is not new`,
    );
    const group: BinlogGroup = {
      gtid,
      timestampS,
      originCommitMs: this.#clock.now(),
      events,
      sizeBytes: groupSize(events),
    };
    const semi = this.#semi;
    const willWait = semi.on;
    if (willWait && semi.waitPoint === 'AFTER_SYNC' && rowCount(events) === events.length) {
      // Engine commit deferred: the group is in the binlog (and sent) but invisible until the ack.
      // An autocommit write already ran on exactly this base ('verified'); anything else is
      // checked first, so that a group that cannot commit never reaches the binlog.
      if (engine === 'unverified')
        this.#engine.check(
          this.#prepared.flatMap((g) => rowChanges(g.events)),
          events,
        );
      this.#appendBinlog(group);
      this.#prepared.push(group);
    } else {
      if (engine !== 'committed') this.#engine.commit(events);
      this.#appendBinlog(group);
    }
    const text = formatGtid(gtid);
    s.lastGtid = text;
    this.#trace.emit(TRACE, 'commit', {
      node: this.name,
      gtid: text,
      wait: willWait ? semi.waitPoint : 'none',
    });
    this.#dumps.pumpAll();
    if (semi.enabled) {
      const index = this.binlog.length - 1;
      if (semi.on) semi.count(await semi.waitAck(index));
      else semi.count(false);
      this.#commitPreparedThrough(group);
    }
    return text;
  }

  #commitPreparedThrough(group: BinlogGroup): void {
    const at = this.#prepared.indexOf(group);
    if (at < 0) return;
    for (const g of this.#prepared.splice(0, at + 1)) {
      this.#engine.commit(g.events);
      this.#trace.emit(TRACE, 'engine-commit', { node: this.name, gtid: formatGtid(g.gtid) });
    }
  }

  #nextSeq(domain: number): number {
    // MariaDB rpl_binlog_state: a new GTID takes the highest seq_no seen in the domain, plus one.
    const a = this.#binlogPos.get(domain)?.seq ?? 0;
    const b = this.#slavePos.get(domain)?.seq ?? 0;
    return Math.max(a, b) + 1;
  }

  #appendBinlog(group: BinlogGroup): void {
    this.binlog.push(group);
    this.#binlogPos.set(group.gtid.domain, group.gtid);
    // The prepared (AFTER_SYNC) groups are binlogged groups.
    assert(this.#prepared.length <= this.binlog.length, `${this.name}: more prepared groups than binlogged`);
    this.#purgeExpired();
  }

  /**
   * The automatic purge (MariaDB `binlog_expire_logs_seconds` / `max_binlog_total_size`, KB
   * "PURGE BINARY LOGS"): drops the groups older than the last `binlogRetainGroups`, except what a
   * binlog dump thread has not sent yet and the prepared (AFTER_SYNC) groups, which a file in use
   * keeps ("If a replica is currently reading one of the logs ... nothing will happen"). Dropped
   * groups count as purged: a replica asking for them gets error 1236. Runs in batches of
   * `BINLOG_PURGE_BATCH_GROUPS`, so the memory a long run holds is bounded.
   */
  #purgeExpired(): void {
    const binlog = this.binlog;
    const held = binlog.length - binlog.first;
    const retain = this.#settings.binlogRetainGroups;
    if (held < retain + BINLOG_PURGE_BATCH_GROUPS) return;
    let until = Math.min(binlog.length - retain, this.#dumps.oldestUnsent(binlog.length));
    const prepared = this.#prepared[0];
    if (prepared !== undefined) until = Math.min(until, binlog.indexOf(prepared));
    if (until <= binlog.first) return;
    binlog.purgeBefore(until);
    if (this.#purgedGroups < until) this.#purgedGroups = until;
  }

  // ---------------------------------------------------------------------------------------------
  // Waiting for GTIDs (MASTER_GTID_WAIT)

  /**
   * `MASTER_GTID_WAIT(pos, timeout)`: resolves 0 once `gtid_slave_pos` reaches `pos`, or -1
   * after `timeoutMs` (waits forever when undefined).
   */
  masterGtidWait(pos: string, timeoutMs?: number): Promise<number> {
    this.#assertUp();
    const target = parsePos(pos);
    if (reached(this.#slavePos, target)) return Promise.resolve(0);
    return this.#gtidWaits.wait(target, timeoutMs);
  }

  // ---------------------------------------------------------------------------------------------
  // Primary side: binlog dump threads (BinlogDump)

  /** Called by a replica's IO thread; validates its start position like sql_repl.cc does. */
  acceptDump(replica: DumpReceiver, link: NetLink, start: GtidPos): DumpConnection | SqlError {
    return this.#dumps.accept(replica, link, start);
  }

  // ---------------------------------------------------------------------------------------------
  // Replica side (ReplicaChannel)

  #channelHost(): ReplicaHost {
    return {
      name: this.name,
      clock: this.#clock,
      trace: this.#trace,
      settings: this.#settings,
      slavePos: this.#slavePos,
      binlogPos: this.#binlogPos,
      currentPos: () => currentPos(this.#slavePos, this.#binlogPos),
      link: (master) => this.#network.link(master, this),
      assertUp: () => this.#assertUp(),
      isUp: () => this.#up,
      commit: (events) => this.#engine.commit(events),
      applied: (group) => {
        // gtid_slave_pos is committed with the data (mysql.gtid_slave_pos, crash-safe), and with
        // log_slave_updates the group enters this node's binlog under its original GTID.
        this.#slavePos.set(group.gtid.domain, group.gtid);
        this.#appendBinlog(group);
        this.#trace.emit(TRACE, 'apply', { node: this.name, gtid: formatGtid(group.gtid) });
        this.#gtidWaits.notify();
        this.#dumps.pumpAll();
      },
    };
  }

  /** `CHANGE MASTER TO` `master` and `START SLAVE` (both threads). */
  replicateFrom(master: SimMysqlNode, useGtid: UseGtid = 'slave_pos'): void {
    this.#assertUp();
    if (this.#channel !== null) {
      this.stopIoThread();
      this.stopSqlThread();
    }
    this.#channel = new ReplicaChannel(master, useGtid, this.#replicaHost);
    this.#readOnly = true;
    this.startSqlThread();
    this.startIoThread();
  }

  /** `STOP SLAVE IO_THREAD`. */
  stopIoThread(): void {
    this.#channel?.stopIo();
  }

  /** `START SLAVE IO_THREAD`: connects (retrying every MASTER_CONNECT_RETRY) and streams events. */
  startIoThread(): void {
    this.#assertUp();
    this.#requireChannel().startIo();
  }

  /** Called by the cluster when a link is cut: starts the net-timeout watch of connections over it. */
  linkCut(link: NetLink): void {
    this.#channel?.linkCut(link);
  }

  /** `STOP SLAVE SQL_THREAD`: stops at a group boundary (a group being applied is rolled back). */
  stopSqlThread(): void {
    this.#channel?.stopSql();
  }

  /** `START SLAVE SQL_THREAD`: clears the last SQL error and applies the relay log. */
  startSqlThread(): void {
    this.#assertUp();
    this.#requireChannel().startSql();
  }

  /** `SET GLOBAL sql_slave_skip_counter=1`: drops the next relay-log group (SQL thread stopped). */
  skipNextGroup(): void {
    this.#requireChannel().skipNextGroup();
  }

  /** Waits until the SQL thread has applied everything in the relay log. */
  async drainRelayLog(): Promise<void> {
    const ch = this.#requireChannel();
    while (ch.relayLog.length > 0) {
      if (ch.sql.state !== 'running') {
        throw new SqlError(
          1105,
          'HY000',
          `${this.name}: relay log not applied (SQL thread stopped: ${ch.lastSqlErrno} ${ch.lastSqlError})`,
        );
      }
      const g = ch.relayLog[0];
      if (g === undefined) break;
      await this.masterGtidWait(formatGtid(g.gtid));
    }
  }

  /** `STOP SLAVE; RESET SLAVE ALL`: forgets the master and deletes the relay log, applied or not. */
  resetSlaveAll(): void {
    const ch = this.#channel;
    if (ch === null) return;
    ch.reset();
    this.#channel = null;
  }

  /**
   * Failover onto this replica: optionally drain the relay log, then `STOP SLAVE; RESET SLAVE
   * ALL; SET GLOBAL read_only=OFF` (MariaDB KB "RESET SLAVE"; 48 ms on the MariaDB 10.11.19 pair
   * at 127.0.0.1:3307/3308), and tell the topology. The old primary is not fenced: if it is
   * alive, clients can still write to it.
   */
  async promote(options: PromoteOptions = {}): Promise<void> {
    this.#assertUp();
    if (this.#channel !== null) {
      if (options.applyRelayLog ?? true) await this.drainRelayLog();
      this.stopIoThread();
      this.stopSqlThread();
      this.resetSlaveAll();
    }
    this.#readOnly = false;
    if (options.semiSync !== undefined) this.configureSemiSync(options.semiSync);
    this.#trace.emit(TRACE, 'promote', {
      node: this.name,
      gtid_current_pos: formatPos(currentPos(this.#slavePos, this.#binlogPos)),
    });
    this.#network.promoted(this);
  }

  /** Sets the semi-sync master variables (`SET GLOBAL rpl_semi_sync_master_*`). */
  configureSemiSync(options: SemiSyncOptions): void {
    this.#semi.configure(options);
  }

  /** Extra delay of every answer to a client now (the `slow` fault), ms. */
  get replyLatencyMs(): number {
    return this.#replyLatencyMs;
  }

  /** Slow-link fault: each answer to a client arrives `ms` later (the live proxy's latency toxic). */
  setReplyLatencyMs(ms: number): void {
    this.#replyLatencyMs = nonNegative('replyLatencyMs', ms);
    this.#trace.emit(TRACE, 'reply-latency', { node: this.name, ms });
  }

  /** The SQL thread's cost per event group now, ms. */
  get applyCostMs(): number {
    return this.#settings.applyCostMs;
  }

  /**
   * Slow-apply fault: sets the SQL thread's cost per event group from the next group on (a busy
   * disk, `LOCK TABLES` on the replica, a cold buffer pool), ms.
   */
  setApplyCostMs(ms: number): void {
    this.#settings.applyCostMs = nonNegative('applyCostMs', ms);
    this.#trace.emit(TRACE, 'apply-cost', { node: this.name, ms });
  }

  /**
   * `FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW()`: every group written so far leaves the
   * disk (the GTID state survives in the new file's Gtid_list). A replica that still needs them
   * can no longer connect (1236) and must be rebuilt.
   */
  purgeBinaryLogs(): void {
    this.#purgedGroups = this.binlog.length;
    this.#trace.emit(TRACE, 'binlog-purged', { node: this.name, groups: this.#purgedGroups });
  }

  /**
   * `SET GLOBAL read_only=ON` (`true`) or `OFF` (`false`). The twin reports the flag
   * (`@@read_only`, `status().readOnly`) but does not refuse client writes while it is ON.
   */
  setReadOnly(on: boolean): void {
    this.#readOnly = on;
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  /** `kill -9`: connections drop, in-flight statements fail with 2013; disk state survives. */
  crash(): void {
    if (!this.#up) return;
    this.#up = false;
    this.#epoch++;
    this.#trace.emit(TRACE, 'crash', { node: this.name });
    this.#dumps.crash();
    this.#channel?.crash();
    this.#semi.crash();
    this.#gtidWaits.crash();
    const waiters = [...this.#crashWaiters];
    this.#crashWaiters.clear();
    for (const w of waiters) w(lostConnection());
  }

  /**
   * Starts the server again. InnoDB/binlog crash recovery commits groups that reached the binlog
   * (AFTER_SYNC groups still waiting for their ack): they are in the binlog, so they count as
   * committed. A replica restarts its slave threads (no --skip-slave-start); with
   * `relayLogRecovery` its relay log is discarded and re-fetched from `gtid_slave_pos`.
   */
  restart(options: RestartOptions = {}): void {
    if (this.#up) return;
    this.#up = true;
    this.#epoch++;
    const first = this.#prepared[0] === undefined ? -1 : this.binlog.indexOf(this.#prepared[0]);
    const tailPrepared = first >= 0 && this.binlog.length - first === this.#prepared.length;
    if (options.semiSyncSlaveRecovery === true && tailPrepared) {
      // MDEV-21117 (MariaDB 10.6.2+, server restarted with semi-sync slave enabled): the binlog tail
      // of transactions prepared but not committed in the engine is truncated, so an old primary
      // does not come back with transactions nobody acknowledged.
      for (const g of this.binlog.truncate(first)) {
        this.#trace.emit(TRACE, 'crash-recovery-truncate', { node: this.name, gtid: formatGtid(g.gtid) });
      }
      this.#prepared = [];
      this.#binlogPos.clear();
      for (const [d, g] of this.binlog.droppedPos) this.#binlogPos.set(d, g);
      for (const g of this.binlog) this.#binlogPos.set(g.gtid.domain, g.gtid);
    }
    for (const g of this.#prepared.splice(0)) {
      this.#engine.commit(g.events);
      this.#trace.emit(TRACE, 'crash-recovery-commit', { node: this.name, gtid: formatGtid(g.gtid) });
    }
    // Crash recovery leaves no transaction between the binlog and the engine.
    assert(this.#prepared.length === 0, `${this.name}: prepared groups survive crash recovery`);
    this.#semi.restart(this.binlog.length);
    this.#trace.emit(TRACE, 'restart', { node: this.name });
    const ch = this.#channel;
    if (ch !== null) {
      ch.restart();
      this.startSqlThread();
      this.startIoThread();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  /** A snapshot of replication and semi-sync state (SHOW SLAVE STATUS + SHOW STATUS + GTID variables). */
  status(): NodeStatus {
    return nodeStatus(this.#statusSource());
  }

  #statusSource(): StatusSource {
    const node = this;
    return {
      name: this.name,
      serverId: this.serverId,
      up: this.#up,
      readOnly: this.#readOnly,
      nowMs: this.#clock.now(),
      channel: this.#channel,
      binlog: this.binlog,
      slavePos: this.#slavePos,
      binlogPos: this.#binlogPos,
      get currentPos() {
        return currentPos(node.#slavePos, node.#binlogPos);
      },
      semiSync: this.#semi,
      dumps: this.#dumps.count,
      gtidStrictMode: this.#settings.gtidStrictMode,
    };
  }

  /** True while the node runs. */
  get up(): boolean {
    return this.#up;
  }

  /** The master this node replicates from, if any. */
  get master(): SimMysqlNode | null {
    return this.#channel?.master ?? null;
  }

  #requireChannel(): ReplicaChannel {
    if (this.#channel === null) throw badSlave();
    return this.#channel;
  }

  #assertUp(): void {
    if (!this.#up) throw connectionRefused(this.name);
  }

  #sleep(ms: number): Promise<void> {
    const epoch = this.#epoch;
    return new Promise<void>((resolve, reject) => {
      const onCrash = (e: SqlError) => {
        timer.cancel();
        reject(e);
      };
      const timer = this.#clock.schedule(ms, () => {
        this.#crashWaiters.delete(onCrash);
        if (epoch !== this.#epoch) reject(lostConnection());
        else resolve();
      });
      this.#crashWaiters.add(onCrash);
    });
  }
}
