import type { Clock, TimerHandle } from '../../src/ports/clock.ts';
import { SqlError, type SqlPort, type SqlResult, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import { parseStatement, type Statement } from './dialect.ts';
import { Engine, type ReplEvent, type RowChange } from './engine.ts';
import { formatGtid, formatPos, type Gtid, type GtidPos, parsePos, reached } from './gtid.ts';
import type { Link } from './link.ts';

/** `rpl_semi_sync_master_wait_point`. */
export type SemiSyncWaitPoint = 'AFTER_SYNC' | 'AFTER_COMMIT';

/** Semi-synchronous replication settings of a primary (MariaDB semisync_master.cc). */
export interface SemiSyncOptions {
  /** `rpl_semi_sync_master_enabled` (and the replicas' `rpl_semi_sync_slave_enabled`). @defaultValue false */
  readonly enabled?: boolean;
  /** `rpl_semi_sync_master_wait_point`. @defaultValue 'AFTER_COMMIT' (MariaDB 10.11's default) */
  readonly waitPoint?: SemiSyncWaitPoint;
  /** `rpl_semi_sync_master_timeout`, ms. @defaultValue 10000 */
  readonly timeoutMs?: number;
  /**
   * `rpl_semi_sync_master_wait_no_slave`: ON keeps semi-sync ON with no replica connected until a
   * commit times out; OFF switches to async as soon as the last semi-sync replica disconnects.
   * @defaultValue true
   */
  readonly waitNoSlave?: boolean;
}

/** Options of one simulated MariaDB server. */
export interface SimMysqlNodeOptions {
  /** Name in traces and error messages, e.g. 'ds-master'. */
  readonly name: string;
  /** `server_id`, the middle part of the GTIDs this node originates. */
  readonly serverId: number;
  /** Database name used in error messages. @defaultValue 'hasim' */
  readonly database?: string;
  /** Virtual time each client statement takes on this node, ms. @defaultValue 0 */
  readonly statementCostMs?: number;
  /** Virtual time the SQL thread takes to apply one event group, ms. @defaultValue 1 */
  readonly applyCostMs?: number;
  /** Extra apply time per row change, ms. @defaultValue 0 */
  readonly applyCostPerRowMs?: number;
  /** Semi-sync settings used while this node is a primary. */
  readonly semiSync?: SemiSyncOptions;
  /** `slave_net_timeout`: a silent link is declared dead after this, ms. @defaultValue 60000 */
  readonly slaveNetTimeoutMs?: number;
  /** `MASTER_CONNECT_RETRY`: the IO thread's reconnect interval, ms. @defaultValue 60000 */
  readonly masterConnectRetryMs?: number;
  /** `relay_log_recovery`: on restart, discard the relay log and re-fetch. @defaultValue false */
  readonly relayLogRecovery?: boolean;
  /** `gtid_strict_mode`. @defaultValue false */
  readonly gtidStrictMode?: boolean;
  /** Relay log limit in event groups; reaching it throws (a named limit). @defaultValue 1_000_000 */
  readonly relayLogGroupsMax?: number;
}

/** One transaction in a binlog or relay log. */
export interface BinlogGroup {
  readonly gtid: Gtid;
  /** Header timestamp (`when`) of the group's first event: statement start on the origin, s. */
  readonly timestampS: number;
  /** Virtual ms at which the origin wrote it to its binlog (for the true lag). */
  readonly originCommitMs: number;
  readonly events: readonly ReplEvent[];
  /** Approximate size on the wire, bytes. */
  readonly sizeBytes: number;
}

/** Where the network lets a node reach another. Provided by the cluster. */
export interface Network {
  link(a: SimMysqlNode, b: SimMysqlNode): Link;
  /** Told when a node has been promoted, so the topology can follow (re-point the others). */
  promoted(node: SimMysqlNode): void;
}

/** Options of `restart()`. */
export interface RestartOptions {
  /**
   * Restart as a semi-sync slave (`--rpl-semi-sync-slave-enabled`, MariaDB 10.6.2+, MDEV-21117):
   * crash recovery truncates the binlog tail of transactions that were never committed in the
   * engine (AFTER_SYNC commits still waiting for their ack) instead of committing them.
   * @defaultValue false (they are committed: possible errant transactions)
   */
  readonly semiSyncSlaveRecovery?: boolean;
}

/** Options of `promote()`. */
export interface PromoteOptions {
  /**
   * Wait for the SQL thread to apply the relay log first (MaxScale's behaviour). False models a
   * tool that runs `STOP SLAVE; RESET SLAVE ALL` at once and discards what was received.
   * @defaultValue true
   */
  readonly applyRelayLog?: boolean;
  /** Semi-sync master settings the new primary gets. @defaultValue the node's own */
  readonly semiSync?: SemiSyncOptions;
}

type IoThread =
  | { readonly state: 'stopped' }
  | { readonly state: 'connecting'; readonly timer: TimerHandle }
  | { readonly state: 'running'; readonly conn: DumpConnection };

type SqlThread =
  | { readonly state: 'stopped' }
  | { readonly state: 'running'; applying: { group: BinlogGroup; timer: TimerHandle } | null };

/** `CHANGE MASTER TO ... MASTER_USE_GTID=`. */
export type UseGtid = 'slave_pos' | 'current_pos';

interface ReplicaChannel {
  master: SimMysqlNode;
  useGtid: UseGtid;
  io: IoThread;
  sql: SqlThread;
  /** Received, not yet applied, in order. */
  relayLog: BinlogGroup[];
  gtidIoPos: Map<number, Gtid>;
  /** Set by a restart without relay_log_recovery: keep the relay log on the next start. */
  keepRelayOnStart: boolean;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  /** `rli->last_master_timestamp`, s; null = no event read yet (the server's 0: virtual time starts at 0). */
  lastMasterTimestampS: number | null;
  /** `rli->sql_thread_caught_up`: the SQL thread waits at the end of the relay log. */
  sqlCaughtUp: boolean;
}

/** A binlog dump thread on the primary feeding one replica's IO thread. */
class DumpConnection {
  alive = true;
  /** Set by the replica: starts its slave_net_timeout watch when the link is cut. */
  onLinkCut: (() => void) | null = null;
  /** Index in the master's binlog of the next group to send. */
  nextIndex: number;
  constructor(
    readonly master: SimMysqlNode,
    readonly replica: SimMysqlNode,
    readonly link: Link,
    startIndex: number,
  ) {
    this.nextIndex = startIndex;
  }
}

interface AckWaiter {
  readonly index: number;
  readonly resolve: (acked: boolean) => void;
}

interface Session {
  txn: { changes: RowChange[]; timestampS: number | undefined } | null;
  epoch: number;
  lastInsertId: number;
  lastGtid: string;
}

/** A flat `SHOW SLAVE STATUS` + semi-sync status + GTID variables view of a node. */
export interface NodeStatus {
  readonly name: string;
  readonly serverId: number;
  /** False while crashed. */
  readonly up: boolean;
  /** 'replica' when a master is configured, else 'primary'. */
  readonly role: 'primary' | 'replica';
  readonly readOnly: boolean;
  readonly Slave_IO_Running: 'Yes' | 'No' | 'Connecting';
  readonly Slave_SQL_Running: 'Yes' | 'No';
  readonly Master_Server_Id: number | null;
  readonly Gtid_IO_Pos: string;
  readonly gtid_slave_pos: string;
  readonly gtid_binlog_pos: string;
  readonly gtid_current_pos: string;
  readonly Last_IO_Errno: number;
  readonly Last_IO_Error: string;
  readonly Last_SQL_Errno: number;
  readonly Last_SQL_Error: string;
  /** As the server computes it (slave.cc show_master_info): null, 0 while caught up, or now − event time. */
  readonly Seconds_Behind_Master: number | null;
  /** Event groups received but not applied. */
  readonly Relay_Log_Groups: number;
  /** True lag: ms since the oldest master commit this node has not applied; 0 when none. */
  readonly trueLagMs: number;
  /** `Rpl_semi_sync_master_status` of this node as a primary. */
  readonly semiSyncStatus: 'ON' | 'OFF';
  readonly Rpl_semi_sync_master_yes_tx: number;
  readonly Rpl_semi_sync_master_no_tx: number;
  readonly Rpl_semi_sync_master_clients: number;
  /** Binlog length in event groups. */
  readonly binlogGroups: number;
}

// Parsed statements by SQL text (statements are immutable), bounded.
const parsed = new Map<string, Statement>();
const lost = () => new SqlError(2013, 'HY000', 'Lost connection to MySQL server during query');
const TRACE = 'mysql';

/**
 * One simulated MariaDB server: real data in SQLite, a binlog of event groups with GTIDs, the
 * semi-sync master plug-in, and a replica channel (IO thread → relay log → SQL thread). It is a
 * `SqlPort` (one default connection); `session()` opens more connections.
 */
export class SimMysqlNode implements SqlPort {
  /** Node name, e.g. `ds-master`. */
  readonly name: string;
  /** `server_id`: the middle part of the GTIDs this node originates. */
  readonly serverId: number;
  /** Everything this node ever wrote to its binlog (survives crashes: the binlog is on disk). */
  readonly binlog: BinlogGroup[] = [];
  readonly #engine: Engine;
  readonly #clock: Clock;
  readonly #trace: TraceSink;
  readonly #network: Network;
  readonly #opts: {
    -readonly [K in keyof Required<
      Omit<SimMysqlNodeOptions, 'semiSync' | 'database'>
    >]: Required<SimMysqlNodeOptions>[K];
  } & {
    database: string;
  };
  #semiEnabled: boolean;
  #waitPoint: SemiSyncWaitPoint;
  #semiTimeoutMs: number;
  #waitNoSlave: boolean;
  #semiOn: boolean;
  #yesTx = 0;
  #noTx = 0;
  #up = true;
  #epoch = 0;
  #readOnly = false;
  #binlogPos = new Map<number, Gtid>();
  #slavePos = new Map<number, Gtid>();
  /** AFTER_SYNC groups in the binlog awaiting their engine commit, in binlog order. */
  #prepared: BinlogGroup[] = [];
  #ackedIndex = -1;
  #ackWaiters: AckWaiter[] = [];
  #crashWaiters = new Set<(e: SqlError) => void>();
  #gtidWaiters = new Set<{ target: GtidPos; resolve: () => void }>();
  readonly #dumps = new Set<DumpConnection>();
  #channel: ReplicaChannel | null = null;
  readonly #default: Session;
  #current: Session;
  /** Groups at the front of the binlog whose files were purged (kept in `binlog` for inspection). */
  #purgedGroups = 0;

  constructor(clock: Clock, trace: TraceSink, network: Network, options: SimMysqlNodeOptions) {
    this.name = options.name;
    this.serverId = options.serverId;
    this.#clock = clock;
    this.#trace = trace;
    this.#network = network;
    this.#opts = {
      name: options.name,
      serverId: options.serverId,
      database: options.database ?? 'hasim',
      statementCostMs: nonNegative('statementCostMs', options.statementCostMs ?? 0),
      applyCostMs: nonNegative('applyCostMs', options.applyCostMs ?? 1),
      applyCostPerRowMs: nonNegative('applyCostPerRowMs', options.applyCostPerRowMs ?? 0),
      slaveNetTimeoutMs: nonNegative('slaveNetTimeoutMs', options.slaveNetTimeoutMs ?? 60_000),
      masterConnectRetryMs: nonNegative('masterConnectRetryMs', options.masterConnectRetryMs ?? 60_000),
      relayLogRecovery: options.relayLogRecovery ?? false,
      gtidStrictMode: options.gtidStrictMode ?? false,
      relayLogGroupsMax: options.relayLogGroupsMax ?? 1_000_000,
    };
    const semi = options.semiSync ?? {};
    this.#semiEnabled = semi.enabled ?? false;
    this.#waitPoint = semi.waitPoint ?? 'AFTER_COMMIT';
    if (this.#waitPoint !== 'AFTER_SYNC' && this.#waitPoint !== 'AFTER_COMMIT') {
      throw new RangeError(
        `semiSync.waitPoint: expected 'AFTER_SYNC' or 'AFTER_COMMIT', got '${this.#waitPoint}'`,
      );
    }
    this.#semiTimeoutMs = nonNegative('semiSync.timeoutMs', semi.timeoutMs ?? 10_000);
    this.#waitNoSlave = semi.waitNoSlave ?? true;
    this.#semiOn = this.#semiEnabled;
    this.#default = this.#newSession();
    this.#current = this.#default;
    this.#engine = new Engine(this.#opts.database, {
      nowMs: () => clock.now(),
      lastInsertId: () => this.#current.lastInsertId,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Client side

  /** Runs one statement on this node's default connection. */
  query<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Promise<SqlResult<Row>> {
    return this.#query(this.#default, sql, params) as Promise<SqlResult<Row>>;
  }

  /** Opens another connection (its own transaction and LAST_INSERT_ID). */
  session(): SqlPort {
    const s = this.#newSession();
    return {
      query: <Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []) =>
        this.#query(s, sql, params) as Promise<SqlResult<Row>>,
    };
  }

  #newSession(): Session {
    return { txn: null, epoch: this.#epoch, lastInsertId: 0, lastGtid: '' };
  }

  async #query(s: Session, sql: string, params: readonly SqlValue[]): Promise<SqlResult> {
    this.#assertUp();
    if (s.epoch !== this.#epoch) {
      // The server restarted under this connection. Like a pool, the client reconnects; a
      // transaction that was open is gone, and that is an error the client must see.
      s.epoch = this.#epoch;
      if (s.txn !== null) {
        s.txn = null;
        throw new SqlError(2006, 'HY000', 'MySQL server has gone away');
      }
    }
    let st = parsed.get(sql);
    if (st === undefined) {
      st = parseStatement(sql);
      if (parsed.size >= 1_024) parsed.clear();
      parsed.set(sql, st);
    }
    if (this.#opts.statementCostMs > 0 && st.kind !== 'noop') {
      await this.#sleep(this.#opts.statementCostMs);
    }
    return this.#execute(s, st, params);
  }

  async #execute(s: Session, st: Statement, params: readonly SqlValue[]): Promise<SqlResult> {
    const empty = { rows: [] as SqlRow[], affectedRows: 0 };
    switch (st.kind) {
      case 'noop':
        return empty;
      case 'begin': {
        // MySQL: BEGIN inside a transaction commits it first (implicit commit).
        if (s.txn !== null) await this.#commitSession(s);
        s.txn = { changes: [], timestampS: undefined };
        return empty;
      }
      case 'commit': {
        const gtid = await this.#commitSession(s);
        return gtid === undefined ? empty : { ...empty, gtid };
      }
      case 'rollback':
        s.txn = null;
        return empty;
      case 'select': {
        const rows = this.#withSession(s, () =>
          s.txn === null
            ? this.#engine.select(st.sql, params)
            : this.#engine.scratch(s.txn.changes, () => this.#engine.select(st.sql, params)),
        );
        return { rows, affectedRows: 0 };
      }
      case 'write': {
        const startS = Math.floor(this.#clock.now() / 1000);
        // A write sees committed data plus prepared (AFTER_SYNC) groups, as InnoDB's locking
        // reads would after waiting for their row locks; plus its own transaction's changes.
        const base = this.#prepared.flatMap((g) => rowChanges(g.events));
        if (s.txn !== null) base.push(...s.txn.changes);
        // Fast path: an autocommit write that becomes visible at once (async, AFTER_COMMIT, or
        // semi-sync OFF) with nothing prepared runs and commits in one SQLite transaction.
        const deferred = this.#semiEnabled && this.#semiOn && this.#waitPoint === 'AFTER_SYNC';
        const direct = s.txn === null && base.length === 0 && !deferred;
        const res = this.#withSession(s, () =>
          direct
            ? this.#engine.writeCommitted(st, params)
            : this.#engine.scratch(base, () => this.#engine.write(st, params)),
        );
        // LAST_INSERT_ID() changes only when the statement generated an id (explicit ids do not).
        if (res.generatedId !== undefined) s.lastInsertId = res.generatedId;
        const out = {
          rows: [],
          affectedRows: res.affectedRows,
          ...(res.insertId !== undefined ? { insertId: res.insertId } : {}),
        };
        if (s.txn !== null) {
          s.txn.changes.push(...res.changes);
          s.txn.timestampS ??= startS;
          return out;
        }
        if (res.changes.length === 0) return out; // an empty transaction is not binlogged
        const gtid = await this.#commitGroup(
          res.changes.map((change) => ({ kind: 'rows', change })),
          startS,
          s,
          direct ? 'committed' : 'verified',
        );
        return { ...out, gtid };
      }
      case 'createTable':
      case 'dropTable':
      case 'truncate': {
        if (s.txn !== null) await this.#commitSession(s);
        const sql =
          st.kind === 'createTable'
            ? `CREATE TABLE ${st.ifNotExists ? 'IF NOT EXISTS ' : ''}${st.table}`
            : st.kind === 'dropTable'
              ? `DROP TABLE ${st.ifExists ? 'IF EXISTS ' : ''}${st.table}`
              : `TRUNCATE TABLE ${st.table}`;
        const ddl: ReplEvent =
          st.kind === 'createTable'
            ? { kind: 'ddl', sql, table: st.table, spec: st.spec }
            : { kind: 'ddl', sql, table: st.table };
        const gtid = await this.#commitGroup([ddl], Math.floor(this.#clock.now() / 1000), s);
        return { ...empty, gtid };
      }
      case 'variables': {
        const row: SqlRow = {};
        for (const name of st.names)
          row[name] = this.#variable(name.replace(/^@@(global\.|session\.)?/i, '').toLowerCase(), s);
        return { rows: [row], affectedRows: 0 };
      }
      case 'gtidWait': {
        const target = String(params[0] ?? '');
        const timeout = st.timeoutArg ? Number(params[1]) : -1;
        const r = await this.masterGtidWait(target, timeout < 0 ? undefined : timeout * 1000);
        const name = st.timeoutArg
          ? `MASTER_GTID_WAIT('${target}', ${params[1]})`
          : `MASTER_GTID_WAIT('${target}')`;
        return { rows: [{ [name]: r }], affectedRows: 0 };
      }
      case 'showSlaveStatus': {
        if (this.#channel === null) return empty;
        return { rows: [{ ...this.status() } as unknown as SqlRow], affectedRows: 0 };
      }
      case 'showStatus': {
        const st2 = this.status();
        const all: Array<[string, SqlValue]> = [
          ['Rpl_semi_sync_master_clients', st2.Rpl_semi_sync_master_clients],
          ['Rpl_semi_sync_master_no_tx', st2.Rpl_semi_sync_master_no_tx],
          ['Rpl_semi_sync_master_status', st2.semiSyncStatus],
          ['Rpl_semi_sync_master_yes_tx', st2.Rpl_semi_sync_master_yes_tx],
        ];
        return { rows: likeRows(all, st.like), affectedRows: 0 };
      }
      case 'showVariables': {
        const names = [
          'gtid_binlog_pos',
          'gtid_current_pos',
          'gtid_slave_pos',
          'gtid_strict_mode',
          'read_only',
          'rpl_semi_sync_master_enabled',
          'rpl_semi_sync_master_timeout',
          'rpl_semi_sync_master_wait_point',
          'server_id',
        ];
        return {
          rows: likeRows(
            names.map((n) => [n, this.#variable(n, s)]),
            st.like,
          ),
          affectedRows: 0,
        };
      }
      case 'slave': {
        if (st.action === 'stop') {
          if (st.thread !== 'sql') this.stopIoThread();
          if (st.thread !== 'io') this.stopSqlThread();
        } else {
          if (st.thread !== 'io') this.startSqlThread();
          if (st.thread !== 'sql') this.startIoThread();
        }
        return empty;
      }
      case 'resetSlaveAll':
        this.resetSlaveAll();
        return empty;
      case 'purgeBinaryLogs':
        this.purgeBinaryLogs();
        return empty;
      case 'setGlobal':
        this.#setGlobal(st.name, st.value);
        return empty;
    }
  }

  #withSession<T>(s: Session, fn: () => T): T {
    this.#current = s;
    try {
      return fn();
    } finally {
      this.#current = this.#default;
    }
  }

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
   * OK with no error or warning (semisync_master.cc commit_trx).
   */
  async #commitGroup(
    events: ReplEvent[],
    timestampS: number,
    s: Session,
    engine: 'committed' | 'verified' | 'unverified' = 'unverified',
  ): Promise<string> {
    const gtid: Gtid = { domain: 0, server: this.serverId, seq: this.#nextSeq(0) };
    const group: BinlogGroup = {
      gtid,
      timestampS,
      originCommitMs: this.#clock.now(),
      events,
      sizeBytes: groupSize(events),
    };
    const willWait = this.#semiEnabled && this.#semiOn;
    if (willWait && this.#waitPoint === 'AFTER_SYNC' && rowChanges(events).length === events.length) {
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
      wait: willWait ? this.#waitPoint : 'none',
    });
    this.#pumpAll();
    if (this.#semiEnabled) {
      const index = this.binlog.length - 1;
      if (this.#semiOn) {
        const acked = await this.#waitAck(index);
        if (acked) this.#yesTx++;
        else this.#noTx++;
      } else {
        this.#noTx++;
      }
      this.#commitPreparedThrough(group);
    }
    return text;
  }

  #commitPreparedThrough(group: BinlogGroup): void {
    const at = this.#prepared.indexOf(group);
    if (at < 0) return;
    for (const g of this.#prepared.splice(0, at + 1)) {
      this.#engine.commit(g.events);
      this.#trace.emit(TRACE, 'engine_commit', { node: this.name, gtid: formatGtid(g.gtid) });
    }
  }

  #waitAck(index: number): Promise<boolean> {
    if (this.#ackedIndex >= index) return Promise.resolve(true);
    return new Promise<boolean>((resolve, reject) => {
      const epoch = this.#epoch;
      let timer: TimerHandle | undefined;
      const waiter: AckWaiter = {
        index,
        resolve: (acked) => {
          timer?.cancel();
          this.#crashWaiters.delete(onCrash);
          resolve(acked);
        },
      };
      const onCrash = (e: SqlError) => {
        timer?.cancel();
        reject(e);
      };
      this.#crashWaiters.add(onCrash);
      this.#ackWaiters.push(waiter);
      timer = this.#clock.schedule(this.#semiTimeoutMs, () => {
        if (epoch !== this.#epoch) return;
        // semisync_master.cc: "Timeout waiting for reply of binlog ..., semi-sync up to file ...";
        // switch_off() wakes every waiter; they all return OK, counted in no_tx.
        this.#switchSemiSync(false, 'timeout');
        const waiters = this.#ackWaiters.splice(0);
        for (const w of waiters) w.resolve(false);
      });
    });
  }

  #switchSemiSync(on: boolean, why: string): void {
    if (this.#semiOn === on) return;
    this.#semiOn = on;
    this.#trace.emit(TRACE, 'semisync_status', { node: this.name, status: on ? 'ON' : 'OFF', why });
  }

  #onAck(conn: DumpConnection, index: number): void {
    if (!conn.alive || !this.#up || !this.#dumps.has(conn)) return;
    if (index > this.#ackedIndex) this.#ackedIndex = index;
    // semisync_master.cc report_reply_binlog → try_switch_on: a reply for a position at or past
    // the latest commit means the replica has caught up, so semi-sync goes back ON.
    if (this.#semiEnabled && !this.#semiOn && index >= this.binlog.length - 1) {
      this.#switchSemiSync(true, `${conn.replica.name} caught up`);
    }
    this.#trace.emit(TRACE, 'ack', {
      node: this.name,
      from: conn.replica.name,
      gtid: formatGtid(this.binlog[index]!.gtid),
    });
    const ready = this.#ackWaiters.filter((w) => w.index <= this.#ackedIndex);
    if (ready.length === 0) return;
    this.#ackWaiters = this.#ackWaiters.filter((w) => w.index > this.#ackedIndex);
    for (const w of ready) w.resolve(true);
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
    return new Promise<number>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const entry = {
        target,
        resolve: () => {
          timer?.cancel();
          this.#crashWaiters.delete(onCrash);
          resolve(0);
        },
      };
      const onCrash = (e: SqlError) => {
        timer?.cancel();
        this.#gtidWaiters.delete(entry);
        reject(e);
      };
      this.#crashWaiters.add(onCrash);
      this.#gtidWaiters.add(entry);
      if (timeoutMs !== undefined) {
        timer = this.#clock.schedule(timeoutMs, () => {
          this.#gtidWaiters.delete(entry);
          this.#crashWaiters.delete(onCrash);
          resolve(-1);
        });
      }
    });
  }

  #notifyGtidWaiters(): void {
    for (const w of [...this.#gtidWaiters]) {
      if (reached(this.#slavePos, w.target)) {
        this.#gtidWaiters.delete(w);
        w.resolve();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Primary side: binlog dump threads

  /** Called by a replica's IO thread; validates its start position like sql_repl.cc does. */
  acceptDump(replica: SimMysqlNode, link: Link, start: GtidPos): DumpConnection | SqlError {
    let startIndex = 0;
    for (const g of start.values()) {
      const at = this.binlog.findIndex(
        (b) => b.gtid.domain === g.domain && b.gtid.seq === g.seq && b.gtid.server === g.server,
      );
      if (at >= 0) {
        startIndex = Math.max(startIndex, at + 1);
        continue;
      }
      const mine = this.#binlogPos.get(g.domain);
      if (mine === undefined && this.binlog.length === 0) continue;
      // sql_repl.cc: ER_GTID_POSITION_NOT_FOUND_IN_BINLOG2 when the master has seen this sequence
      // number (the slave executed extra transactions), else ER_GTID_POSITION_NOT_FOUND_IN_BINLOG.
      const diverged = mine !== undefined && g.seq <= mine.seq;
      const text = diverged
        ? `Error: connecting slave requested to start from GTID ${formatGtid(g)}, which is not in the master's binlog. Since the master's binlog contains GTIDs with higher sequence numbers, it probably means that the slave has diverged due to executing extra erroneous transactions`
        : `Error: connecting slave requested to start from GTID ${formatGtid(g)}, which is not in the master's binlog`;
      return new SqlError(
        1236,
        'HY000',
        `Got fatal error 1236 from master when reading data from binary log: '${text}'`,
      );
    }
    // sql_repl.cc gtid_find_binlog_file: the start position must lie in a binlog file still on
    // disk (at or after the GTID state at the start of the oldest file).
    if (startIndex < this.#purgedGroups) {
      return new SqlError(
        1236,
        'HY000',
        "Got fatal error 1236 from master when reading data from binary log: 'Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.'",
      );
    }
    const conn = new DumpConnection(this, replica, link, startIndex);
    this.#dumps.add(conn);
    return conn;
  }

  #pumpAll(): void {
    for (const conn of this.#dumps) this.#pump(conn);
  }

  #pump(conn: DumpConnection): void {
    while (conn.alive && conn.nextIndex < this.binlog.length) {
      const index = conn.nextIndex++;
      const group = this.binlog[index]!;
      conn.link.send(0, group.sizeBytes, () => conn.replica.#receive(conn, index, group));
    }
  }

  #closeDump(conn: DumpConnection): void {
    conn.alive = false;
    this.#dumps.delete(conn);
    // semisync_master.cc remove_slave: with wait_no_slave OFF the last replica leaving switches
    // semi-sync off at once (with ON, the default, only a timed-out commit does).
    if (this.#semiEnabled && this.#semiOn && !this.#waitNoSlave && this.#dumps.size === 0) {
      this.#switchSemiSync(false, 'no semi-sync replica connected (wait_no_slave=OFF)');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Replica side: IO thread, relay log, SQL thread

  /** `CHANGE MASTER TO` `master` and `START SLAVE` (both threads). */
  replicateFrom(master: SimMysqlNode, useGtid: UseGtid = 'slave_pos'): void {
    this.#assertUp();
    if (this.#channel !== null) {
      this.stopIoThread();
      this.stopSqlThread();
    }
    this.#channel = {
      master,
      useGtid,
      io: { state: 'stopped' },
      sql: { state: 'stopped' },
      relayLog: [],
      gtidIoPos: new Map(this.#slavePos),
      keepRelayOnStart: false,
      lastIoErrno: 0,
      lastIoError: '',
      lastSqlErrno: 0,
      lastSqlError: '',
      lastMasterTimestampS: null,
      sqlCaughtUp: true,
    };
    this.#readOnly = true;
    this.startSqlThread();
    this.startIoThread();
  }

  /** `STOP SLAVE IO_THREAD`. */
  stopIoThread(): void {
    const ch = this.#channel;
    if (ch === null || ch.io.state === 'stopped') return;
    if (ch.io.state === 'connecting') ch.io.timer.cancel();
    else ch.master.#closeDump(ch.io.conn);
    ch.io = { state: 'stopped' };
    this.#trace.emit(TRACE, 'io_thread', { node: this.name, state: 'stopped' });
  }

  /** `START SLAVE IO_THREAD`: connects (retrying every MASTER_CONNECT_RETRY) and streams events. */
  startIoThread(): void {
    this.#assertUp();
    const ch = this.#requireChannel();
    if (ch.io.state !== 'stopped') return;
    ch.lastIoErrno = 0;
    ch.lastIoError = '';
    if (ch.sql.state === 'stopped') this.#startFromGtidState(ch);
    this.#trace.emit(TRACE, 'io_thread', { node: this.name, state: 'connecting' });
    this.#tryConnect(ch);
  }

  #tryConnect(ch: ReplicaChannel): void {
    const master = ch.master;
    const link = this.#network.link(master, this);
    const retry = (errno: number, error: string) => {
      ch.lastIoErrno = errno;
      ch.lastIoError = error;
      ch.io = {
        state: 'connecting',
        timer: this.#clock.schedule(this.#opts.masterConnectRetryMs, () => this.#tryConnect(ch)),
      };
    };
    if (!master.#up || link.partitioned) {
      const why = !master.#up ? '111 "Connection refused"' : '110 "Connection timed out"';
      retry(
        2003,
        `error reconnecting to master 'repl@${master.name}:3306' - retry-time: ${Math.round(this.#opts.masterConnectRetryMs / 1000)}  maximum-retries: 100000  message: Can't connect to MySQL server on '${master.name}' (${why})`,
      );
      return;
    }
    const conn = master.acceptDump(this, link, ch.gtidIoPos);
    if (conn instanceof SqlError) {
      // The master's fatal 1236 tells the IO thread not to reconnect: it stops.
      ch.io = { state: 'stopped' };
      ch.lastIoErrno = conn.errno;
      ch.lastIoError = conn.message;
      this.#trace.emit(TRACE, 'io_error', { node: this.name, errno: conn.errno, master: master.name });
      return;
    }
    ch.io = { state: 'running', conn };
    this.#trace.emit(TRACE, 'io_thread', { node: this.name, state: 'running', master: master.name });
    this.#watchLink(ch, conn);
    master.#pump(conn);
  }

  // While the link is partitioned nothing (not even heartbeats) arrives; after slave_net_timeout
  // the IO thread gives up on the connection and reconnects (slave.cc, "reconnecting to retry").
  #watchLink(ch: ReplicaChannel, conn: DumpConnection): void {
    const check = () => {
      if (!conn.alive || ch.io.state !== 'running' || ch.io.conn !== conn) return;
      if (!conn.link.partitioned) return;
      const epoch = conn.link.partitionEpoch;
      this.#clock.schedule(this.#opts.slaveNetTimeoutMs, () => {
        if (!conn.alive || ch.io.state !== 'running' || ch.io.conn !== conn) return;
        if (conn.link.partitioned && conn.link.partitionEpoch === epoch) this.#connectionLost(ch, conn);
      });
    };
    conn.onLinkCut = check;
    check();
  }

  /** Called by the cluster when a link is cut: starts the net-timeout watch of connections over it. */
  linkCut(link: Link): void {
    const ch = this.#channel;
    if (ch !== null && ch.io.state === 'running' && ch.io.conn.link === link) {
      ch.io.conn.onLinkCut?.();
    }
  }

  #connectionLost(ch: ReplicaChannel, conn: DumpConnection): void {
    conn.master.#closeDump(conn);
    this.#trace.emit(TRACE, 'io_thread', { node: this.name, state: 'reconnecting' });
    ch.io = { state: 'stopped' };
    ch.lastIoErrno = 2013;
    ch.lastIoError = 'Lost connection to MySQL server during query';
    // slave.cc try_to_reconnect → connect_to_master: the first attempt is immediate, then one
    // every MASTER_CONNECT_RETRY.
    this.#tryConnect(ch);
  }

  #receive(conn: DumpConnection, index: number, group: BinlogGroup): void {
    const ch = this.#channel;
    if (!this.#up || !conn.alive || ch === null || ch.io.state !== 'running' || ch.io.conn !== conn) return;
    if (ch.relayLog.length >= this.#opts.relayLogGroupsMax) {
      throw new Error(
        `${this.name}: relay log reached relayLogGroupsMax=${this.#opts.relayLogGroupsMax} groups`,
      );
    }
    ch.relayLog.push(group);
    ch.gtidIoPos.set(group.gtid.domain, group.gtid);
    this.#trace.emit(TRACE, 'relay', { node: this.name, gtid: formatGtid(group.gtid) });
    // The semi-sync slave acks once the group is written (and flushed) to the relay log:
    // received, not applied (semisync_slave.cc slave_reply).
    if (conn.master.#semiEnabled) conn.link.send(1, 16, () => conn.master.#onAck(conn, index));
    this.#sqlKick(ch);
  }

  /** `STOP SLAVE SQL_THREAD`: stops at a group boundary (a group being applied is rolled back). */
  stopSqlThread(): void {
    const ch = this.#channel;
    if (ch === null || ch.sql.state === 'stopped') return;
    if (ch.sql.applying !== null) ch.sql.applying.timer.cancel();
    ch.sql = { state: 'stopped' };
    this.#trace.emit(TRACE, 'sql_thread', { node: this.name, state: 'stopped' });
  }

  /** `START SLAVE SQL_THREAD`: clears the last SQL error and applies the relay log. */
  startSqlThread(): void {
    this.#assertUp();
    const ch = this.#requireChannel();
    if (ch.sql.state === 'running') return;
    if (ch.io.state === 'stopped') this.#startFromGtidState(ch);
    ch.lastSqlErrno = 0;
    ch.lastSqlError = '';
    ch.sql = { state: 'running', applying: null };
    ch.sqlCaughtUp = true;
    this.#trace.emit(TRACE, 'sql_thread', { node: this.name, state: 'running' });
    this.#sqlKick(ch);
  }

  // MariaDB slave.cc start_slave_threads: "If we are using GTID and both SQL and IO threads are
  // stopped, then get rid of all relay logs" — the IO thread then fetches from the GTID state.
  // While either thread runs, the relay log is in use and kept (the IO thread resumes from
  // Gtid_IO_Pos).
  #startFromGtidState(ch: ReplicaChannel): void {
    if (ch.keepRelayOnStart) {
      ch.keepRelayOnStart = false;
      return;
    }
    this.#discardRelay(ch, 'start with both threads stopped (GTID mode)');
    ch.gtidIoPos = new Map(ch.useGtid === 'slave_pos' ? this.#slavePos : this.#currentPos());
  }

  /** `SET GLOBAL sql_slave_skip_counter=1`: drops the next relay-log group (SQL thread stopped). */
  skipNextGroup(): void {
    const ch = this.#requireChannel();
    if (ch.sql.state === 'running')
      throw new SqlError(
        1198,
        'HY000',
        'This operation cannot be performed as you have a running slave; run STOP SLAVE first',
      );
    const g = ch.relayLog.shift();
    if (g !== undefined) this.#trace.emit(TRACE, 'skip', { node: this.name, gtid: formatGtid(g.gtid) });
  }

  #sqlKick(ch: ReplicaChannel): void {
    if (ch.sql.state !== 'running' || ch.sql.applying !== null) return;
    const group = ch.relayLog[0];
    if (group === undefined) {
      ch.sqlCaughtUp = true;
      return;
    }
    ch.sqlCaughtUp = false;
    // slave.cc: last_master_timestamp = the event's header `when` once the SQL thread reads it.
    ch.lastMasterTimestampS = group.timestampS;
    const rows = rowChanges(group.events).length;
    const cost = this.#opts.applyCostMs + rows * this.#opts.applyCostPerRowMs;
    const sql = ch.sql;
    sql.applying = { group, timer: this.#clock.schedule(cost, () => this.#applyGroup(ch, sql, group)) };
  }

  #applyGroup(ch: ReplicaChannel, sql: Extract<SqlThread, { state: 'running' }>, group: BinlogGroup): void {
    if (ch.sql !== sql) return;
    sql.applying = null;
    try {
      const have = this.#binlogPos.get(group.gtid.domain);
      if (this.#opts.gtidStrictMode && have !== undefined && group.gtid.seq <= have.seq) {
        throw new SqlError(
          1950,
          'HY000',
          `An attempt was made to binlog GTID ${formatGtid(group.gtid)} which would create an out-of-order sequence number with existing GTID ${formatGtid(have)}, and gtid strict mode is enabled`,
        );
      }
      this.#engine.commit(group.events);
    } catch (error) {
      const e = error instanceof SqlError ? error : new SqlError(1105, 'HY000', String(error));
      const change = rowChanges(group.events)[0];
      const eventName =
        change === undefined
          ? 'Query'
          : change.op === 'write'
            ? 'Write_rows_v1'
            : change.op === 'update'
              ? 'Update_rows_v1'
              : 'Delete_rows_v1';
      ch.lastSqlErrno = e.errno;
      ch.lastSqlError =
        e.errno === 1950
          ? e.message
          : `Could not execute ${eventName} event on table ${this.#opts.database}.${change?.table ?? ''}; ${e.message}, Error_code: ${e.errno}; the event's master log mysql-bin.000001, Gtid ${formatGtid(group.gtid)}, Internal MariaDB error code: ${e.errno}`;
      ch.sql = { state: 'stopped' };
      this.#trace.emit(TRACE, 'sql_error', { node: this.name, errno: e.errno, gtid: formatGtid(group.gtid) });
      return;
    }
    ch.relayLog.shift();
    // gtid_slave_pos is committed with the data (mysql.gtid_slave_pos, crash-safe), and with
    // log_slave_updates the group enters this node's binlog under its original GTID.
    this.#slavePos.set(group.gtid.domain, group.gtid);
    this.#appendBinlog(group);
    this.#trace.emit(TRACE, 'apply', { node: this.name, gtid: formatGtid(group.gtid) });
    this.#notifyGtidWaiters();
    this.#pumpAll();
    this.#sqlKick(ch);
  }

  #discardRelay(ch: ReplicaChannel, why: string): void {
    const n = ch.relayLog.length;
    ch.relayLog = [];
    if (n > 0) this.#trace.emit(TRACE, 'relay_discarded', { node: this.name, groups: n, why });
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
      const g = ch.relayLog[0]!;
      await this.masterGtidWait(formatGtid(g.gtid));
    }
  }

  /** `STOP SLAVE; RESET SLAVE ALL`: forgets the master and deletes the relay log, applied or not. */
  resetSlaveAll(): void {
    const ch = this.#channel;
    if (ch === null) return;
    if (ch.io.state !== 'stopped' || ch.sql.state !== 'stopped') {
      throw new SqlError(
        1198,
        'HY000',
        'This operation cannot be performed as you have a running slave; run STOP SLAVE first',
      );
    }
    this.#discardRelay(ch, 'reset slave all');
    this.#channel = null;
  }

  /**
   * Failover onto this replica: optionally drain the relay log, then `STOP SLAVE; RESET SLAVE
   * ALL; SET GLOBAL read_only=OFF` (48 ms on MariaDB 10.11 here, research digest §2.2), and tell
   * the topology. The old primary is not fenced: if it is alive, clients can still write to it.
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
    this.#trace.emit(TRACE, 'promote', { node: this.name, gtid_current_pos: formatPos(this.#currentPos()) });
    this.#network.promoted(this);
  }

  /** Sets the semi-sync master variables (`SET GLOBAL rpl_semi_sync_master_*`). */
  configureSemiSync(options: SemiSyncOptions): void {
    this.#semiEnabled = options.enabled ?? this.#semiEnabled;
    this.#waitPoint = options.waitPoint ?? this.#waitPoint;
    this.#semiTimeoutMs = nonNegative('semiSync.timeoutMs', options.timeoutMs ?? this.#semiTimeoutMs);
    this.#waitNoSlave = options.waitNoSlave ?? this.#waitNoSlave;
    this.#semiOn = this.#semiEnabled;
  }

  /**
   * Slow-apply fault: sets the SQL thread's cost per event group from the next group on (a busy
   * disk, `LOCK TABLES` on the replica, a cold buffer pool), ms.
   */
  setApplyCostMs(ms: number): void {
    this.#opts.applyCostMs = nonNegative('applyCostMs', ms);
    this.#trace.emit(TRACE, 'apply_cost', { node: this.name, ms });
  }

  /**
   * `FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW()`: every group written so far leaves the
   * disk (the GTID state survives in the new file's Gtid_list). A replica that still needs them
   * can no longer connect (1236) and must be rebuilt.
   */
  purgeBinaryLogs(): void {
    this.#purgedGroups = this.binlog.length;
    this.#trace.emit(TRACE, 'binlog_purged', { node: this.name, groups: this.#purgedGroups });
  }

  /** Makes this node writable: `SET GLOBAL read_only=OFF`. */
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
    for (const conn of [...this.#dumps]) {
      this.#closeDump(conn);
      conn.replica.#masterGone(conn);
    }
    const ch = this.#channel;
    if (ch !== null) {
      if (ch.io.state === 'running') ch.master.#closeDump(ch.io.conn);
      if (ch.io.state === 'connecting') ch.io.timer.cancel();
      if (ch.sql.state === 'running' && ch.sql.applying !== null) ch.sql.applying.timer.cancel();
      ch.io = { state: 'stopped' };
      ch.sql = { state: 'stopped' };
    }
    this.#ackWaiters = [];
    this.#gtidWaiters.clear();
    const waiters = [...this.#crashWaiters];
    this.#crashWaiters.clear();
    for (const w of waiters) w(lost());
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
      for (const g of this.binlog.splice(first)) {
        this.#trace.emit(TRACE, 'crash_recovery_truncate', { node: this.name, gtid: formatGtid(g.gtid) });
      }
      this.#prepared = [];
      this.#binlogPos = new Map();
      for (const g of this.binlog) this.#binlogPos.set(g.gtid.domain, g.gtid);
    }
    for (const g of this.#prepared.splice(0)) {
      this.#engine.commit(g.events);
      this.#trace.emit(TRACE, 'crash_recovery_commit', { node: this.name, gtid: formatGtid(g.gtid) });
    }
    this.#semiOn = this.#semiEnabled;
    this.#yesTx = 0;
    this.#noTx = 0;
    this.#ackedIndex = this.binlog.length - 1;
    this.#trace.emit(TRACE, 'restart', { node: this.name });
    const ch = this.#channel;
    if (ch !== null) {
      // relay_log_recovery=ON discards the relay log (MariaDB in GTID mode would do so anyway on
      // the start below); OFF keeps it, as file/position replication does.
      if (this.#opts.relayLogRecovery) this.#discardRelay(ch, 'relay_log_recovery');
      else ch.keepRelayOnStart = true;
      ch.lastMasterTimestampS = null;
      this.startSqlThread();
      this.startIoThread();
    }
  }

  #masterGone(conn: DumpConnection): void {
    const ch = this.#channel;
    if (ch === null || ch.io.state !== 'running' || ch.io.conn !== conn) return;
    // The master's process died: the socket is reset at once and the IO thread reconnects.
    ch.io = { state: 'stopped' };
    ch.lastIoErrno = 2013;
    ch.lastIoError = 'Lost connection to MySQL server during query';
    this.#trace.emit(TRACE, 'io_thread', { node: this.name, state: 'reconnecting' });
    this.#tryConnect(ch);
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  /** A snapshot of replication and semi-sync state (SHOW SLAVE STATUS + SHOW STATUS + GTID variables). */
  status(): NodeStatus {
    const ch = this.#channel;
    const ioRunning =
      ch === null
        ? 'No'
        : ch.io.state === 'running'
          ? 'Yes'
          : ch.io.state === 'connecting'
            ? 'Connecting'
            : 'No';
    const sqlRunning = ch !== null && ch.sql.state === 'running' ? 'Yes' : 'No';
    let sbm: number | null = null;
    // slave.cc show_master_info: only while the IO thread is connected and reading and the SQL
    // thread runs; 0 while the SQL thread waits at the end of the relay log (or has applied
    // nothing yet); else now - last_master_timestamp - clock_diff_with_master, floored at 0.
    if (ch !== null && ioRunning === 'Yes' && sqlRunning === 'Yes') {
      const stamp = ch.lastMasterTimestampS;
      sbm = stamp === null || ch.sqlCaughtUp ? 0 : Math.max(0, Math.floor(this.#clock.now() / 1000) - stamp);
    }
    return {
      name: this.name,
      serverId: this.serverId,
      up: this.#up,
      role: ch === null ? 'primary' : 'replica',
      readOnly: this.#readOnly,
      Slave_IO_Running: ioRunning,
      Slave_SQL_Running: sqlRunning,
      Master_Server_Id: ch === null ? null : ch.master.serverId,
      Gtid_IO_Pos: ch === null ? '' : formatPos(ch.gtidIoPos),
      gtid_slave_pos: formatPos(this.#slavePos),
      gtid_binlog_pos: formatPos(this.#binlogPos),
      gtid_current_pos: formatPos(this.#currentPos()),
      Last_IO_Errno: ch?.lastIoErrno ?? 0,
      Last_IO_Error: ch?.lastIoError ?? '',
      Last_SQL_Errno: ch?.lastSqlErrno ?? 0,
      Last_SQL_Error: ch?.lastSqlError ?? '',
      Seconds_Behind_Master: sbm,
      Relay_Log_Groups: ch?.relayLog.length ?? 0,
      trueLagMs: ch === null ? 0 : this.#trueLagMs(ch.master),
      semiSyncStatus: this.#semiOn ? 'ON' : 'OFF',
      Rpl_semi_sync_master_yes_tx: this.#yesTx,
      Rpl_semi_sync_master_no_tx: this.#noTx,
      Rpl_semi_sync_master_clients: this.#semiEnabled ? this.#dumps.size : 0,
      binlogGroups: this.binlog.length,
    };
  }

  #trueLagMs(master: SimMysqlNode): number {
    const applied = this.#slavePos.get(0)?.seq ?? 0;
    const first = master.binlog.find((g) => g.gtid.domain === 0 && g.gtid.seq > applied);
    return first === undefined ? 0 : this.#clock.now() - first.originCommitMs;
  }

  #currentPos(): Map<number, Gtid> {
    // gtid_current_pos: per domain, the binlog's GTID when it is newer than the slave position.
    const pos = new Map(this.#slavePos);
    for (const [d, g] of this.#binlogPos) {
      const s = pos.get(d);
      if (s === undefined || g.seq > s.seq) pos.set(d, g);
    }
    return pos;
  }

  /** True while the node runs. */
  get up(): boolean {
    return this.#up;
  }

  /** The master this node replicates from, if any. */
  get master(): SimMysqlNode | null {
    return this.#channel?.master ?? null;
  }

  #variable(name: string, s: Session): SqlValue {
    switch (name) {
      case 'server_id':
        return this.serverId;
      case 'gtid_binlog_pos':
        return formatPos(this.#binlogPos);
      case 'gtid_slave_pos':
        return formatPos(this.#slavePos);
      case 'gtid_current_pos':
        return formatPos(this.#currentPos());
      case 'last_gtid':
        return s.lastGtid;
      case 'read_only':
        return this.#readOnly ? 1 : 0;
      case 'gtid_strict_mode':
        return this.#opts.gtidStrictMode ? 1 : 0;
      case 'rpl_semi_sync_master_enabled':
        return this.#semiEnabled ? 1 : 0;
      case 'rpl_semi_sync_master_timeout':
        return this.#semiTimeoutMs;
      case 'rpl_semi_sync_master_wait_point':
        return this.#waitPoint;
      case 'rpl_semi_sync_master_wait_no_slave':
        return this.#waitNoSlave ? 1 : 0;
      default:
        throw new SqlError(1193, 'HY000', `Unknown system variable '${name}'`);
    }
  }

  #setGlobal(name: string, value: string): void {
    const on = /^(1|ON|TRUE)$/i.test(value);
    switch (name) {
      case 'read_only':
        this.#readOnly = on;
        return;
      case 'rpl_semi_sync_master_enabled':
        this.#semiEnabled = on;
        this.#semiOn = on;
        return;
      case 'rpl_semi_sync_master_timeout':
        this.#semiTimeoutMs = nonNegative('rpl_semi_sync_master_timeout', Number(value));
        return;
      case 'rpl_semi_sync_master_wait_point':
        if (value.toUpperCase() !== 'AFTER_SYNC' && value.toUpperCase() !== 'AFTER_COMMIT') break;
        this.#waitPoint = value.toUpperCase() as SemiSyncWaitPoint;
        return;
      case 'sql_slave_skip_counter':
        for (let i = 0; i < Number(value); i++) this.skipNextGroup();
        return;
    }
    throw new SqlError(
      1193,
      'HY000',
      `Unknown system variable '${name}' (hasim: not settable in the simulation)`,
    );
  }

  #requireChannel(): ReplicaChannel {
    if (this.#channel === null) {
      throw new SqlError(
        1200,
        'HY000',
        'Misconfigured slave: MASTER_HOST was not set; Fix in config file or with CHANGE MASTER TO',
      );
    }
    return this.#channel;
  }

  #assertUp(): void {
    if (!this.#up)
      throw new SqlError(
        2003,
        'HY000',
        `Can't connect to MySQL server on '${this.name}' (111 "Connection refused")`,
      );
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
        if (epoch !== this.#epoch) reject(lost());
        else resolve();
      });
      this.#crashWaiters.add(onCrash);
    });
  }
}

function rowChanges(events: readonly ReplEvent[]): RowChange[] {
  const out: RowChange[] = [];
  for (const e of events) if (e.kind === 'rows') out.push(e.change);
  return out;
}

// Rough wire size: GTID + Table_map + row images + Xid, enough for bandwidth modelling.
function groupSize(events: readonly ReplEvent[]): number {
  let n = 42 + 31;
  for (const e of events) {
    if (e.kind === 'ddl') n += 60 + e.sql.length;
    else {
      n += 46 + 40;
      const c = e.change;
      if (c.op !== 'write') for (const v of Object.values(c.before)) n += valueSize(v);
      if (c.op !== 'delete') for (const v of Object.values(c.after)) n += valueSize(v);
    }
  }
  return n;
}

const valueSize = (v: SqlValue): number => (typeof v === 'string' ? v.length + 2 : v === null ? 0 : 8);

function likeRows(all: ReadonlyArray<readonly [string, SqlValue]>, like: string | undefined): SqlRow[] {
  const re =
    like === undefined
      ? null
      : new RegExp(
          `^${like
            .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
            .replace(/%/g, '.*')
            .replace(/_/g, '.')}$`,
          'i',
        );
  return all
    .filter(([n]) => re === null || re.test(n))
    .map(([n, v]) => ({ Variable_name: n, Value: String(v) }));
}

function nonNegative(field: string, v: number): number {
  if (!(v >= 0) || !Number.isFinite(v))
    throw new RangeError(`${field}: expected a finite number >= 0, got ${v}`);
  return v;
}
