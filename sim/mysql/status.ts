import { SqlError, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import type { Binlog, BinlogGroup } from './binlog.ts';
import { formatPos, type Gtid } from './gtid.ts';
import { nonNegative } from './options.ts';
import type { ReplicaChannel } from './replica-channel.ts';
import type { SemiSyncMaster, SemiSyncWaitPoint } from './semi-sync-master.ts';

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

/** What the status view and the variables read on a node. */
export interface StatusSource {
  readonly name: string;
  readonly serverId: number;
  readonly up: boolean;
  readonly readOnly: boolean;
  readonly nowMs: number;
  readonly channel: ReplicaChannel | null;
  readonly binlog: Binlog;
  readonly slavePos: ReadonlyMap<number, Gtid>;
  readonly binlogPos: ReadonlyMap<number, Gtid>;
  readonly currentPos: ReadonlyMap<number, Gtid>;
  readonly semiSync: SemiSyncMaster;
  /** Connected binlog dump threads. */
  readonly dumps: number;
  readonly gtidStrictMode: boolean;
}

/** The status view of a node (SHOW SLAVE STATUS + SHOW STATUS + GTID variables). */
export function nodeStatus(n: StatusSource): NodeStatus {
  const ch = n.channel;
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
    sbm = stamp === null || ch.sqlCaughtUp ? 0 : Math.max(0, Math.floor(n.nowMs / 1000) - stamp);
  }
  return {
    name: n.name,
    serverId: n.serverId,
    up: n.up,
    role: ch === null ? 'primary' : 'replica',
    readOnly: n.readOnly,
    Slave_IO_Running: ioRunning,
    Slave_SQL_Running: sqlRunning,
    Master_Server_Id: ch === null ? null : ch.master.serverId,
    Gtid_IO_Pos: ch === null ? '' : formatPos(ch.gtidIoPos),
    gtid_slave_pos: formatPos(n.slavePos),
    gtid_binlog_pos: formatPos(n.binlogPos),
    gtid_current_pos: formatPos(n.currentPos),
    Last_IO_Errno: ch?.lastIoErrno ?? 0,
    Last_IO_Error: ch?.lastIoError ?? '',
    Last_SQL_Errno: ch?.lastSqlErrno ?? 0,
    Last_SQL_Error: ch?.lastSqlError ?? '',
    Seconds_Behind_Master: sbm,
    Relay_Log_Groups: ch?.relayLog.length ?? 0,
    trueLagMs: ch === null ? 0 : trueLagMs(n, ch.master.binlog, ch.relayLog),
    semiSyncStatus: n.semiSync.on ? 'ON' : 'OFF',
    Rpl_semi_sync_master_yes_tx: n.semiSync.yesTx,
    Rpl_semi_sync_master_no_tx: n.semiSync.noTx,
    Rpl_semi_sync_master_clients: n.semiSync.enabled ? n.dumps : 0,
    binlogGroups: n.binlog.length,
  };
}

// The age of the oldest group the replica has not applied. Once the master's binlog has purged
// groups, that group may be gone from it but still waiting in the relay log, which is older.
function trueLagMs(n: StatusSource, masterBinlog: Binlog, relayLog: readonly BinlogGroup[]): number {
  const applied = n.slavePos.get(0)?.seq ?? 0;
  const unapplied = (g: BinlogGroup) => g.gtid.domain === 0 && g.gtid.seq > applied;
  const first =
    (masterBinlog.first > 0 ? relayLog.find(unapplied) : undefined) ?? masterBinlog.find(unapplied);
  return first === undefined ? 0 : n.nowMs - first.originCommitMs;
}

/** `gtid_current_pos`: per domain, the binlog's GTID when it is newer than the slave position. */
export function currentPos(
  slavePos: ReadonlyMap<number, Gtid>,
  binlogPos: ReadonlyMap<number, Gtid>,
): Map<number, Gtid> {
  const pos = new Map(slavePos);
  for (const [d, g] of binlogPos) {
    const s = pos.get(d);
    if (s === undefined || g.seq > s.seq) pos.set(d, g);
  }
  return pos;
}

/** `SHOW STATUS [LIKE ...]`: the semi-sync master's status variables. */
export function showStatusRows(st: NodeStatus, like: string | undefined): SqlRow[] {
  const all: Array<[string, SqlValue]> = [
    ['Rpl_semi_sync_master_clients', st.Rpl_semi_sync_master_clients],
    ['Rpl_semi_sync_master_no_tx', st.Rpl_semi_sync_master_no_tx],
    ['Rpl_semi_sync_master_status', st.semiSyncStatus],
    ['Rpl_semi_sync_master_yes_tx', st.Rpl_semi_sync_master_yes_tx],
  ];
  return likeRows(all, like);
}

/** The variables `SHOW VARIABLES` lists, in the server's (alphabetical) order. */
const SHOWN_VARIABLES = [
  'gtid_binlog_pos',
  'gtid_current_pos',
  'gtid_slave_pos',
  'gtid_strict_mode',
  'read_only',
  'rpl_semi_sync_master_enabled',
  'rpl_semi_sync_master_timeout',
  'rpl_semi_sync_master_wait_point',
  'server_id',
] as const;

/** `SHOW VARIABLES [LIKE ...]`. */
export function showVariablesRows(n: StatusSource, lastGtid: string, like: string | undefined): SqlRow[] {
  return likeRows(
    SHOWN_VARIABLES.map((name) => [name, readVariable(n, name, lastGtid)]),
    like,
  );
}

/** `@@name` on a connection whose `last_gtid` is `lastGtid`. */
export function readVariable(n: StatusSource, name: string, lastGtid: string): SqlValue {
  switch (name) {
    case 'server_id':
      return n.serverId;
    case 'gtid_binlog_pos':
      return formatPos(n.binlogPos);
    case 'gtid_slave_pos':
      return formatPos(n.slavePos);
    case 'gtid_current_pos':
      return formatPos(n.currentPos);
    case 'last_gtid':
      return lastGtid;
    case 'read_only':
      return n.readOnly ? 1 : 0;
    case 'gtid_strict_mode':
      return n.gtidStrictMode ? 1 : 0;
    case 'rpl_semi_sync_master_enabled':
      return n.semiSync.enabled ? 1 : 0;
    case 'rpl_semi_sync_master_timeout':
      return n.semiSync.timeoutMs;
    case 'rpl_semi_sync_master_wait_point':
      return n.semiSync.waitPoint;
    case 'rpl_semi_sync_master_wait_no_slave':
      return n.semiSync.waitNoSlave ? 1 : 0;
    default:
      throw new SqlError(1193, 'HY000', `Unknown system variable '${name}'`);
  }
}

/** What `SET GLOBAL` can change on a node. */
export interface GlobalTarget {
  readonly semiSync: SemiSyncMaster;
  setReadOnly(on: boolean): void;
  skipNextGroup(): void;
}

/** `SET GLOBAL name = value` for the variables the simulation models. */
export function setGlobal(n: GlobalTarget, name: string, value: string): void {
  const on = /^(1|ON|TRUE)$/i.test(value);
  switch (name) {
    case 'read_only':
      n.setReadOnly(on);
      return;
    case 'rpl_semi_sync_master_enabled':
      n.semiSync.setEnabled(on);
      return;
    case 'rpl_semi_sync_master_timeout':
      n.semiSync.setTimeoutMs(nonNegative('rpl_semi_sync_master_timeout', Number(value)));
      return;
    case 'rpl_semi_sync_master_wait_point':
      if (value.toUpperCase() !== 'AFTER_SYNC' && value.toUpperCase() !== 'AFTER_COMMIT') break;
      n.semiSync.setWaitPoint(value.toUpperCase() as SemiSyncWaitPoint);
      return;
    case 'sql_slave_skip_counter':
      for (let i = 0; i < Number(value); i++) n.skipNextGroup();
      return;
  }
  throw new SqlError(
    1193,
    'HY000',
    `Unknown system variable '${name}' (hasim: not settable in the simulation)`,
  );
}

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
