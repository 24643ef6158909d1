// The MySQL history checker's public names.
export type { MysqlHistoryReport, MysqlOp } from './mysql-history.ts';
export { checkMysqlHistory, MysqlHistory } from './mysql-history.ts';
