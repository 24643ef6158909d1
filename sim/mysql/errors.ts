import { SqlError } from '../../src/ports/sql.ts';

// The MariaDB errors the twin raises in more than one place, with the server's own texts.

/** CR_SERVER_LOST (2013): the server went away during a statement or a replication read. */
export const LOST_CONNECTION_TEXT = 'Lost connection to MySQL server during query';

/** CR_SERVER_LOST (2013) as a client sees it. */
export const lostConnection = (): SqlError => new SqlError(2013, 'HY000', LOST_CONNECTION_TEXT);

/** ER_SLAVE_MUST_STOP (1198): the operation needs both slave threads stopped. */
export const slaveMustStop = (): SqlError =>
  new SqlError(
    1198,
    'HY000',
    'This operation cannot be performed as you have a running slave; run STOP SLAVE first',
  );

/** ER_BAD_SLAVE (1200): no master is configured. */
export const badSlave = (): SqlError =>
  new SqlError(
    1200,
    'HY000',
    'Misconfigured slave: MASTER_HOST was not set; Fix in config file or with CHANGE MASTER TO',
  );

/** CR_CONN_HOST_ERROR (2003) for a client connecting to a server that is down. */
export const connectionRefused = (name: string): SqlError =>
  new SqlError(2003, 'HY000', `Can't connect to MySQL server on '${name}' (111 "Connection refused")`);

/** MySQL syntax error 1064, worded as the server words it, plus what the simulator lacks. */
export function syntaxError(near: string, why = ''): SqlError {
  return new SqlError(
    1064,
    '42000',
    `You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near '${near.slice(0, 80)}' at line 1${why ? ` (hasim: ${why})` : ''}`,
  );
}
