import { assert } from '../../src/assert.ts';
import { SqlError } from '../../src/ports/sql.ts';
import type { NetLink } from '../net/network.ts';
import type { Binlog, BinlogGroup } from './binlog.ts';
import { formatGtid, type Gtid, type GtidPos } from './gtid.ts';
import type { SemiSyncMaster } from './semi-sync-master.ts';

/** The replica end of a dump connection: its IO thread. */
export interface DumpReceiver {
  /** The replica's name. */
  readonly name: string;
  /** A group arrived over the link (`index` in the master's binlog). */
  receive(conn: DumpConnection, index: number, group: BinlogGroup): void;
  /** The master's process died: its socket is reset at once. */
  masterGone(conn: DumpConnection): void;
}

/**
 * The delivery of `group` to `conn`'s replica. Made here, not as `arrive: () => …` in the object
 * literal: under tsx (esbuild keepNames) that arrow is named `arrive`, a property definition per
 * group sent.
 */
function arrival(conn: DumpConnection, index: number, group: BinlogGroup): () => void {
  return () => conn.replica.receive(conn, index, group);
}

/** sql_repl.cc: the start position lies in binlog files that were purged. */
const purged = () =>
  new SqlError(
    1236,
    'HY000',
    "Got fatal error 1236 from master when reading data from binary log: 'Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged.'",
  );

/** A binlog dump thread on the primary feeding one replica's IO thread. */
export class DumpConnection {
  alive = true;
  /** Set by the replica: starts its slave_net_timeout watch when the link is cut. */
  onLinkCut: (() => void) | null = null;
  /** Index in the master's binlog of the next group to send. */
  nextIndex: number;
  constructor(
    readonly source: BinlogDump,
    readonly replica: DumpReceiver,
    readonly link: NetLink,
    startIndex: number,
  ) {
    this.nextIndex = startIndex;
  }
}

/** What the dump threads read on their node. */
export interface BinlogDumpPorts {
  /** The node's name: its host on the network, the sending end of its dump connections. */
  readonly name: string;
  /** The node's binlog (appended to by the node). */
  readonly binlog: Binlog;
  /** `gtid_binlog_pos`, per domain. */
  readonly binlogPos: ReadonlyMap<number, Gtid>;
  /** Groups at the front of the binlog whose files were purged. */
  purgedGroups(): number;
  /** True while the node runs. */
  up(): boolean;
  /** The node's semi-sync master: told when a replica leaves and when one acknowledges. */
  readonly semiSync: SemiSyncMaster;
}

/** The binlog dump threads of one node as a primary (MariaDB sql_repl.cc mysql_binlog_send). */
export class BinlogDump {
  readonly #dumps = new Set<DumpConnection>();
  readonly #ports: BinlogDumpPorts;

  constructor(ports: BinlogDumpPorts) {
    this.#ports = ports;
  }

  /** Connected dump threads. */
  get count(): number {
    return this.#dumps.size;
  }

  /** Whether a replica acknowledges what it receives (the master's semi-sync is enabled). */
  get semiSyncEnabled(): boolean {
    return this.#ports.semiSync.enabled;
  }

  /** Called by a replica's IO thread; validates its start position like sql_repl.cc does. */
  accept(replica: DumpReceiver, link: NetLink, start: GtidPos): DumpConnection | SqlError {
    const { binlog, binlogPos } = this.#ports;
    let startIndex = 0;
    for (const g of start.values()) {
      const at = binlog.findIndex(
        (b) => b.gtid.domain === g.domain && b.gtid.seq === g.seq && b.gtid.server === g.server,
      );
      if (at >= 0) {
        startIndex = Math.max(startIndex, at + 1);
        continue;
      }
      // Dropped by the automatic purge: the oldest file's Gtid_list names the last dropped GTID,
      // from which a replica may still start; anything older is in purged files.
      const dropped = binlog.droppedPos.get(g.domain);
      if (dropped !== undefined && dropped.seq === g.seq && dropped.server === g.server) {
        startIndex = Math.max(startIndex, binlog.first);
        continue;
      }
      if (dropped !== undefined && g.seq < dropped.seq) return purged();
      const mine = binlogPos.get(g.domain);
      if (mine === undefined && binlog.length === 0) continue;
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
    if (startIndex < this.#ports.purgedGroups()) return purged();
    const conn = new DumpConnection(this, replica, link, startIndex);
    this.#dumps.add(conn);
    return conn;
  }

  /** The lowest binlog index a connected dump thread has yet to send (`end` when none waits). */
  oldestUnsent(end: number): number {
    let at = end;
    for (const conn of this.#dumps) if (conn.alive && conn.nextIndex < at) at = conn.nextIndex;
    return at;
  }

  /** Sends every connection what the binlog holds past its position. */
  pumpAll(): void {
    for (const conn of this.#dumps) this.pump(conn);
  }

  /** Sends `conn` what the binlog holds past its position. */
  pump(conn: DumpConnection): void {
    const binlog = this.#ports.binlog;
    while (conn.alive && conn.nextIndex < binlog.length) {
      const index = conn.nextIndex++;
      const group = binlog.at(index);
      if (group === undefined) throw new Error(`binlog dump: no group at ${index}`);
      conn.link.send(this.#ports.name, {
        bytes: group.sizeBytes,
        arrive: arrival(conn, index, group),
      });
    }
    assert(
      !conn.alive || conn.nextIndex === binlog.length,
      'binlog dump: a live connection left groups unsent',
    );
  }

  /** Ends a dump thread (the replica stopped, or the link was declared dead). */
  close(conn: DumpConnection): void {
    conn.alive = false;
    this.#dumps.delete(conn);
    this.#ports.semiSync.replicaLeft(this.#dumps.size);
  }

  /**
   * A replica's semi-sync reply for binlog group `index` (`sent`, the group it received), arriving
   * over `conn`. A group purged since it was sent is named by what was sent.
   */
  ack(conn: DumpConnection, index: number, sent: BinlogGroup): void {
    if (!conn.alive || !this.#ports.up() || !this.#dumps.has(conn)) return;
    const { binlog } = this.#ports;
    const group = index < binlog.first ? sent : binlog.at(index);
    if (group === undefined) throw new Error(`semi-sync reply for a group not in the binlog: ${index}`);
    this.#ports.semiSync.reply(index, binlog.length, conn.replica.name, formatGtid(group.gtid));
  }

  /** The node crashed: every dump thread dies and its replica sees the socket reset. */
  crash(): void {
    for (const conn of [...this.#dumps]) {
      this.close(conn);
      conn.replica.masterGone(conn);
    }
  }
}
