// The simulated replicating MySQL/MariaDB: explicit named exports only.

export type { BinlogGroup, ReplEvent, RowChange } from './binlog.ts';
export type { SimMysqlClusterOptions, SimMysqlClusterPorts } from './cluster.ts';
export { SimMysqlCluster } from './cluster.ts';
export type { TableSpec } from './dialect.ts';
export type { Gtid, GtidPos } from './gtid.ts';
export { formatGtid, formatPos, parsePos } from './gtid.ts';
export { SimMysqlNode } from './node.ts';
export type {
  MysqlNetwork,
  PromoteOptions,
  RestartOptions,
  SimMysqlNodeOptions,
  SimMysqlNodePorts,
} from './options.ts';
export type { UseGtid } from './replica-channel.ts';
export type { SemiSyncOptions, SemiSyncWaitPoint } from './semi-sync-master.ts';
export type { NodeStatus } from './status.ts';
