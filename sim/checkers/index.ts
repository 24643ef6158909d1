// The checkers' public names (they judge a finished history or trace).
export type { MysqlHistoryPorts, MysqlHistoryReport, MysqlOp } from './mysql-history.ts';
export { checkMysqlHistory, checkMysqlHistoryTrace, MysqlHistory } from './mysql-history.ts';
