// The MySQL history checker's public names.
export type { MysqlHistoryPorts, MysqlHistoryReport, MysqlOp } from './mysql-history.ts';
export { checkMysqlHistory, checkMysqlHistoryTrace, MysqlHistory } from './mysql-history.ts';
