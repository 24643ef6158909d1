import type { Clock } from '../../src/ports/clock.ts';
import type { TraceSink } from '../../src/ports/trace.ts';
import type { NetLink } from '../net/network.ts';
import type { BigNumbers } from './engine.ts';
import type { SimMysqlNode } from './node.ts';
import type { SemiSyncOptions } from './semi-sync-master.ts';

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
  /**
   * Binlog groups kept after the automatic purge (the twin's `binlog_expire_logs_seconds`, in
   * groups rather than seconds): older groups that every dump thread has sent are dropped, and a
   * replica that asks for one later gets error 1236. @defaultValue 20_000
   */
  readonly binlogRetainGroups?: number;
  /**
   * Answer a BIGINT beyond 2^53 as a string instead of a rounded number, as mysql2's
   * `supportBigNumbers` does (Mysql2SqlPort.create sets it). @defaultValue true
   */
  readonly supportBigNumbers?: boolean;
  /**
   * With `supportBigNumbers`, answer every BIGINT column and integer expression as a string, as
   * mysql2's `bigNumberStrings` does. @defaultValue false
   */
  readonly bigNumberStrings?: boolean;
}

/** The client-side options of big integers, as the cluster passes them to its nodes. */
export type BigNumberOptions = Pick<SimMysqlNodeOptions, 'supportBigNumbers' | 'bigNumberStrings'>;

/** Where the network lets a node reach another. Provided by the cluster. */
export interface MysqlNetwork {
  link(a: SimMysqlNode, b: SimMysqlNode): NetLink;
  /** Told when a node has been promoted, so the topology can follow (re-point the others). */
  promoted(node: SimMysqlNode): void;
}

/** What a node touches: the clock, the trace, and the network to the other nodes. */
export interface SimMysqlNodePorts {
  readonly clock: Clock;
  readonly trace: TraceSink;
  readonly network: MysqlNetwork;
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

/** A node's settings with their defaults applied (`applyCostMs` changes with `setApplyCostMs`). */
export type NodeSettings = {
  -readonly [K in keyof Required<Omit<SimMysqlNodeOptions, 'semiSync'>>]: Required<SimMysqlNodeOptions>[K];
};

/** How a node's reads answer integers (engine.ts BigNumbers). */
export function bigNumbersOf(s: NodeSettings): BigNumbers {
  if (!s.supportBigNumbers) return 'numbers';
  return s.bigNumberStrings ? 'strings' : 'unsafe-as-strings';
}

/** Applies the defaults and checks the ranges of `options` (a `RangeError` names the field). */
export function nodeSettings(options: SimMysqlNodeOptions): NodeSettings {
  return {
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
    binlogRetainGroups: nonNegative('binlogRetainGroups', options.binlogRetainGroups ?? 20_000),
    supportBigNumbers: options.supportBigNumbers ?? true,
    bigNumberStrings: options.bigNumberStrings ?? false,
  };
}

/** Throws a `RangeError` unless `v` is a finite number >= 0; returns it. */
export function nonNegative(field: string, v: number): number {
  if (!(v >= 0) || !Number.isFinite(v))
    throw new RangeError(`${field}: expected a finite number >= 0, got ${v}`);
  return v;
}
