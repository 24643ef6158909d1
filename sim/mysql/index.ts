// The simulated replicating MySQL/MariaDB: explicit named exports only.
export type { SimMysqlClusterOptions } from './cluster.ts';
export { SimMysqlCluster } from './cluster.ts';
export type { TableSpec } from './dialect.ts';
export type { ReplEvent, RowChange } from './engine.ts';
export type { Gtid, GtidPos } from './gtid.ts';
export { formatGtid, formatPos, parsePos } from './gtid.ts';
export type { LinkOptions } from './link.ts';
export { Link } from './link.ts';
export type {
  BinlogGroup,
  NodeStatus,
  PromoteOptions,
  RestartOptions,
  SemiSyncOptions,
  SemiSyncWaitPoint,
  SimMysqlNodeOptions,
  UseGtid,
} from './node.ts';
export { SimMysqlNode } from './node.ts';
