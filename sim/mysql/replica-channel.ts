import { assert, maybe } from '../../src/assert.ts';
import type { Clock, TimerHandle } from '../../src/ports/clock.ts';
import { SqlError } from '../../src/ports/sql.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import type { NetLink } from '../net/network.ts';
import { type BinlogGroup, type ReplEvent, rowChanges, rowCount } from './binlog.ts';
import type { DumpConnection, DumpReceiver } from './binlog-dump.ts';

import { LOST_CONNECTION_TEXT, slaveMustStop } from './errors.ts';
import { formatGtid, type Gtid } from './gtid.ts';
import type { SimMysqlNode } from './node.ts';
import type { NodeSettings } from './options.ts';

/** `CHANGE MASTER TO ... MASTER_USE_GTID=`. */
export type UseGtid = 'slave_pos' | 'current_pos';

/** The replica's IO thread: stopped, waiting to reconnect, or reading from a dump connection. */
export type IoThread =
  | { readonly state: 'stopped' }
  | { readonly state: 'connecting'; readonly timer: TimerHandle }
  | { readonly state: 'running'; readonly conn: DumpConnection };

/** The replica's SQL thread: stopped, or running (and maybe applying one group). */
export type SqlThread =
  | { readonly state: 'stopped' }
  | { readonly state: 'running'; applying: { group: BinlogGroup; timer: TimerHandle } | null };

/** What a replica channel needs from its node. */
export interface ReplicaHost {
  readonly name: string;
  readonly clock: Clock;
  readonly trace: TraceSink;
  /** The node's settings (read live: `applyCostMs` can change). */
  readonly settings: Readonly<NodeSettings>;
  /** `gtid_slave_pos`, per domain. */
  readonly slavePos: ReadonlyMap<number, Gtid>;
  /** `gtid_binlog_pos`, per domain. */
  readonly binlogPos: ReadonlyMap<number, Gtid>;
  /** `gtid_current_pos`. */
  currentPos(): Map<number, Gtid>;
  /** The replication link from `master` to this node. */
  link(master: SimMysqlNode): NetLink;
  /** Throws 2003 while the node is down. */
  assertUp(): void;
  /** True while the node runs. */
  isUp(): boolean;
  /** Commits a group's events in the engine (throws the engine's error). */
  commit(events: readonly ReplEvent[]): void;
  /** The SQL thread applied `group`: record it in the GTID state and the binlog. */
  applied(group: BinlogGroup): void;
}

/**
 * One replication channel (`CHANGE MASTER TO`): the IO thread reading the master's binlog into
 * the relay log, and the SQL thread applying the relay log (MariaDB slave.cc). Its fields are
 * written only by the channel; the node reads them for its status.
 */
export class ReplicaChannel implements DumpReceiver {
  readonly master: SimMysqlNode;
  readonly useGtid: UseGtid;
  io: IoThread = { state: 'stopped' };
  sql: SqlThread = { state: 'stopped' };
  /** Received, not yet applied, in order. */
  relayLog: BinlogGroup[] = [];
  gtidIoPos: Map<number, Gtid>;
  /** Set by a restart without relay_log_recovery: keep the relay log on the next start. */
  keepRelayOnStart = false;
  lastIoErrno = 0;
  lastIoError = '';
  lastSqlErrno = 0;
  lastSqlError = '';
  /** `rli->last_master_timestamp`, s; null = no event read yet (the server's 0: virtual time starts at 0). */
  lastMasterTimestampS: number | null = null;
  /** `rli->sql_thread_caught_up`: the SQL thread waits at the end of the relay log. */
  sqlCaughtUp = true;
  readonly #host: ReplicaHost;

  constructor(master: SimMysqlNode, useGtid: UseGtid, host: ReplicaHost) {
    this.master = master;
    this.useGtid = useGtid;
    this.#host = host;
    this.gtidIoPos = new Map(host.slavePos);
  }

  /** The replica's name (the receiving end of its dump connection). */
  get name(): string {
    return this.#host.name;
  }

  /** `STOP SLAVE IO_THREAD`. */
  stopIo(): void {
    if (this.io.state === 'stopped') return;
    if (this.io.state === 'connecting') this.io.timer.cancel();
    else this.io.conn.source.close(this.io.conn);
    this.io = { state: 'stopped' };
    this.#host.trace.emit('mysql', 'io-thread', { node: this.name, state: 'stopped' });
  }

  /** `START SLAVE IO_THREAD`: connects (retrying every MASTER_CONNECT_RETRY) and streams events. */
  startIo(): void {
    if (this.io.state !== 'stopped') return;
    this.lastIoErrno = 0;
    this.lastIoError = '';
    if (this.sql.state === 'stopped') this.#startFromGtidState();
    this.#host.trace.emit('mysql', 'io-thread', { node: this.name, state: 'connecting' });
    this.#tryConnect();
  }

  #tryConnect(): void {
    const { master } = this;
    const host = this.#host;
    const link = host.link(master);
    const retryMs = host.settings.masterConnectRetryMs;
    if (!master.up || link.partitioned) {
      const why = !master.up ? '111 "Connection refused"' : '110 "Connection timed out"';
      this.lastIoErrno = 2003;
      this.lastIoError = `error reconnecting to master 'repl@${master.name}:3306' - retry-time: ${Math.round(retryMs / 1000)}  maximum-retries: 100000  message: Can't connect to MySQL server on '${master.name}' (${why})`;
      this.io = { state: 'connecting', timer: host.clock.schedule(retryMs, () => this.#tryConnect()) };
      return;
    }
    const conn = master.acceptDump(this, link, this.gtidIoPos);
    if (conn instanceof SqlError) {
      // The master's fatal 1236 tells the IO thread not to reconnect: it stops.
      this.io = { state: 'stopped' };
      this.lastIoErrno = conn.errno;
      this.lastIoError = conn.message;
      host.trace.emit('mysql', 'io-error', { node: this.name, errno: conn.errno, master: master.name });
      return;
    }
    this.io = { state: 'running', conn };
    host.trace.emit('mysql', 'io-thread', { node: this.name, state: 'running', master: master.name });
    this.#watchLink(conn);
    conn.source.pump(conn);
  }

  #reading(conn: DumpConnection): boolean {
    return conn.alive && this.io.state === 'running' && this.io.conn === conn;
  }

  // While the link is partitioned nothing (not even heartbeats) arrives; after slave_net_timeout
  // the IO thread gives up on the connection and reconnects (slave.cc, "reconnecting to retry").
  #watchLink(conn: DumpConnection): void {
    const check = () => {
      if (!this.#reading(conn) || !conn.link.partitioned) return;
      const epoch = conn.link.partitionEpoch;
      this.#host.clock.schedule(this.#host.settings.slaveNetTimeoutMs, () => {
        if (!this.#reading(conn)) return;
        if (conn.link.partitioned && conn.link.partitionEpoch === epoch) this.#reconnect(conn);
      });
    };
    conn.onLinkCut = check;
    check();
  }

  /** A link was cut: starts the net-timeout watch if the IO thread reads over it. */
  linkCut(link: NetLink): void {
    if (this.io.state === 'running' && this.io.conn.link === link) this.io.conn.onLinkCut?.();
  }

  masterGone(conn: DumpConnection): void {
    if (this.io.state !== 'running' || this.io.conn !== conn) return;
    this.#reconnect(conn);
  }

  /**
   * The connection is dead (the master's process died, or the link stayed silent for
   * slave_net_timeout): the IO thread reconnects. slave.cc try_to_reconnect → connect_to_master:
   * the first attempt is immediate, then one every MASTER_CONNECT_RETRY.
   */
  #reconnect(conn: DumpConnection): void {
    if (conn.alive) conn.source.close(conn);
    this.#host.trace.emit('mysql', 'io-thread', { node: this.name, state: 'reconnecting' });
    this.io = { state: 'stopped' };
    this.lastIoErrno = 2013;
    this.lastIoError = LOST_CONNECTION_TEXT;
    this.#tryConnect();
  }

  receive(conn: DumpConnection, index: number, group: BinlogGroup): void {
    const host = this.#host;
    if (!host.isUp() || !this.#reading(conn)) return;
    if (this.relayLog.length >= host.settings.relayLogGroupsMax) {
      throw new Error(
        `${this.name}: relay log reached relayLogGroupsMax=${host.settings.relayLogGroupsMax} groups`,
      );
    }
    this.relayLog.push(group);
    this.gtidIoPos.set(group.gtid.domain, group.gtid);
    assert(this.relayLog.length <= host.settings.relayLogGroupsMax, `${this.name}: relay log past its limit`);
    host.trace.emit('mysql', 'relay', { node: this.name, gtid: formatGtid(group.gtid) });
    // The semi-sync slave acks once the group is written (and flushed) to the relay log:
    // received, not applied (semisync_slave.cc slave_reply).
    if (conn.source.semiSyncEnabled) {
      conn.link.send(host.name, { bytes: 16, arrive: () => conn.source.ack(conn, index, group) });
    }
    this.#sqlKick();
  }

  /** `STOP SLAVE SQL_THREAD`: stops at a group boundary (a group being applied is rolled back). */
  stopSql(): void {
    if (this.sql.state === 'stopped') return;
    if (this.sql.applying !== null) this.sql.applying.timer.cancel();
    this.sql = { state: 'stopped' };
    this.#host.trace.emit('mysql', 'sql-thread', { node: this.name, state: 'stopped' });
  }

  /** `START SLAVE SQL_THREAD`: clears the last SQL error and applies the relay log. */
  startSql(): void {
    if (this.sql.state === 'running') return;
    if (this.io.state === 'stopped') this.#startFromGtidState();
    this.lastSqlErrno = 0;
    this.lastSqlError = '';
    this.sql = { state: 'running', applying: null };
    this.sqlCaughtUp = true;
    this.#host.trace.emit('mysql', 'sql-thread', { node: this.name, state: 'running' });
    this.#sqlKick();
  }

  // MariaDB slave.cc start_slave_threads: "If we are using GTID and both SQL and IO threads are
  // stopped, then get rid of all relay logs" — the IO thread then fetches from the GTID state.
  // While either thread runs, the relay log is in use and kept (the IO thread resumes from
  // Gtid_IO_Pos).
  #startFromGtidState(): void {
    if (this.keepRelayOnStart) {
      this.keepRelayOnStart = false;
      return;
    }
    this.discardRelay('start with both threads stopped (GTID mode)');
    this.gtidIoPos = new Map(this.useGtid === 'slave_pos' ? this.#host.slavePos : this.#host.currentPos());
  }

  /** `SET GLOBAL sql_slave_skip_counter=1`: drops the next relay-log group (SQL thread stopped). */
  skipNextGroup(): void {
    if (this.sql.state === 'running') throw slaveMustStop();
    const g = this.relayLog.shift();
    if (g !== undefined)
      this.#host.trace.emit('mysql', 'skip', { node: this.name, gtid: formatGtid(g.gtid) });
  }

  /** Deletes the relay log, applied or not (RESET SLAVE, relay_log_recovery). */
  discardRelay(why: string): void {
    const n = this.relayLog.length;
    this.relayLog = [];
    if (n > 0) this.#host.trace.emit('mysql', 'relay-discarded', { node: this.name, groups: n, why });
  }

  /** `RESET SLAVE ALL`: needs both threads stopped; the relay log goes. */
  reset(): void {
    if (this.io.state !== 'stopped' || this.sql.state !== 'stopped') throw slaveMustStop();
    this.discardRelay('reset slave all');
  }

  /** The node crashed: both threads die where they are (the relay log is on disk and stays). */
  crash(): void {
    if (this.io.state === 'running') this.io.conn.source.close(this.io.conn);
    if (this.io.state === 'connecting') this.io.timer.cancel();
    if (this.sql.state === 'running' && this.sql.applying !== null) this.sql.applying.timer.cancel();
    this.io = { state: 'stopped' };
    this.sql = { state: 'stopped' };
  }

  /**
   * The node restarted: the slave threads start again (no --skip-slave-start). relay_log_recovery=ON
   * discards the relay log (MariaDB in GTID mode would do so anyway on the start below); OFF keeps
   * it, as file/position replication does.
   */
  restart(): void {
    if (this.#host.settings.relayLogRecovery) this.discardRelay('relay_log_recovery');
    else this.keepRelayOnStart = true;
    this.lastMasterTimestampS = null;
  }

  #sqlKick(): void {
    if (this.sql.state !== 'running' || this.sql.applying !== null) return;
    const group = this.relayLog[0];
    if (group === undefined) {
      this.sqlCaughtUp = true;
      return;
    }
    this.sqlCaughtUp = false;
    // slave.cc: last_master_timestamp = the event's header `when` once the SQL thread reads it.
    this.lastMasterTimestampS = group.timestampS;
    const { applyCostMs, applyCostPerRowMs } = this.#host.settings;
    const cost = applyCostMs + rowCount(group.events) * applyCostPerRowMs;
    const sql = this.sql;
    sql.applying = { group, timer: this.#host.clock.schedule(cost, () => this.#applyGroup(sql, group)) };
  }

  #applyGroup(sql: Extract<SqlThread, { state: 'running' }>, group: BinlogGroup): void {
    if (this.sql !== sql) return;
    sql.applying = null;
    try {
      const have = this.#host.binlogPos.get(group.gtid.domain);
      if (this.#host.settings.gtidStrictMode && have !== undefined && group.gtid.seq <= have.seq) {
        throw new SqlError(
          1950,
          'HY000',
          `An attempt was made to binlog GTID ${formatGtid(group.gtid)} which would create an out-of-order sequence number with existing GTID ${formatGtid(have)}, and gtid strict mode is enabled`,
        );
      }
      this.#host.commit(group.events);
    } catch (error) {
      this.#stopOnError(error, group);
      return;
    }
    this.relayLog.shift();
    this.#host.applied(group);
    this.#assertAppliedWithinReceived(group);
    this.#sqlKick();
  }

  // gtid_slave_pos never passes Gtid_IO_Pos in the applied group's domain: the SQL thread applies
  // only what the IO thread received. Sequence numbers order a domain only under gtid_strict_mode:
  // without it a master's binlog can hold a domain out of order (an errant transaction on a
  // replica that is later promoted), so there both orders are legal.
  #assertAppliedWithinReceived(group: BinlogGroup): void {
    const { domain } = group.gtid;
    const applied = this.#host.slavePos.get(domain);
    const received = this.gtidIoPos.get(domain);
    assert(applied !== undefined && received !== undefined, `${this.name}: applied a group never received`);
    if (this.#host.settings.gtidStrictMode) {
      assert(
        applied.seq <= received.seq,
        () => `${this.name}: gtid_slave_pos ${applied.seq} > Gtid_IO_Pos ${received.seq}`,
      );
    } else maybe(applied.seq <= received.seq);
  }

  // slave.cc: the SQL thread stops on an error, with Last_SQL_Error naming the event.
  #stopOnError(error: unknown, group: BinlogGroup): void {
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
    this.lastSqlErrno = e.errno;
    this.lastSqlError =
      e.errno === 1950
        ? e.message
        : `Could not execute ${eventName} event on table ${this.#host.settings.database}.${change?.table ?? ''}; ${e.message}, Error_code: ${e.errno}; the event's master log mysql-bin.000001, Gtid ${formatGtid(group.gtid)}, Internal MariaDB error code: ${e.errno}`;
    this.sql = { state: 'stopped' };
    this.#host.trace.emit('mysql', 'sql-error', {
      node: this.name,
      errno: e.errno,
      gtid: formatGtid(group.gtid),
    });
  }
}
