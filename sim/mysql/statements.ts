import { SqlError, type SqlResult, type SqlRow, type SqlValue } from '../../src/ports/sql.ts';
import type { ReplEvent, RowChange } from './binlog.ts';
import { parseStatement, type Statement } from './dialect.ts';
import type { Engine } from './engine.ts';
import type { SimMysqlNode } from './node.ts';
import { showStatusRows } from './status.ts';

/** One client connection's state on a node. */
export interface Session {
  txn: { changes: RowChange[]; timestampS: number | undefined } | null;
  /** The node's restart epoch when this connection last ran a statement. */
  epoch: number;
  lastInsertId: number;
  lastGtid: string;
  /**
   * `@@autocommit`. While false, every statement runs in a transaction that the first statement
   * opens and COMMIT / ROLLBACK end (MariaDB KB "autocommit"; "START TRANSACTION").
   */
  autocommit: boolean;
}

/** Opens the implicit transaction of a session with autocommit off (its first statement does). */
function implicitBegin(s: Session): void {
  if (s.txn === null && !s.autocommit) s.txn = { changes: [], timestampS: undefined };
}

/** How a statement's engine commit was already done: see `StatementHost.commitGroup`. */
export type EngineCommit = 'committed' | 'verified' | 'unverified';

/** What the statement handlers reach on their node. */
export interface StatementHost {
  readonly engine: Engine;
  nowMs(): number;
  /** Row changes of the prepared (AFTER_SYNC, not yet engine-committed) groups, in binlog order. */
  preparedChanges(): RowChange[];
  /** True when a commit's engine commit waits for the semi-sync ack (status ON, AFTER_SYNC). */
  defersEngineCommit(): boolean;
  /** Runs `fn` with `s` as the engine's current session (for LAST_INSERT_ID()). */
  withSession<T>(s: Session, fn: () => T): T;
  /** COMMIT of `s`'s open transaction: its GTID, or undefined when there was nothing to commit. */
  commitSession(s: Session): Promise<string | undefined>;
  /** The commit pipeline: binlogs `events` as one group and waits as semi-sync says. */
  commitGroup(events: ReplEvent[], timestampS: number, s: Session, engine?: EngineCommit): Promise<string>;
  variable(name: string, s: Session): SqlValue;
  showVariables(s: Session, like: string | undefined): SqlRow[];
  setGlobal(name: string, value: string): void;
  hasChannel(): boolean;
  /** The node, for what its public API does (status, GTID waits, slave threads, purging). */
  readonly node: SimMysqlNode;
}

type Handler<K extends Statement['kind']> = (
  host: StatementHost,
  s: Session,
  st: Extract<Statement, { kind: K }>,
  params: readonly SqlValue[],
) => Promise<SqlResult>;

const empty = (): SqlResult => ({ rows: [] as SqlRow[], affectedRows: 0 });

/**
 * Parsed statements by SQL text, shared by every node in the process (a parsed statement is
 * immutable, so sharing cannot leak state between simulations); cleared when it reaches
 * `PARSED_STATEMENTS_MAX` entries.
 */
const parsed = new Map<string, Statement>();
/** The limit of the parsed-statement cache, in entries. */
const PARSED_STATEMENTS_MAX = 1_024;

/** `sql` parsed, from the cache when it was parsed before. */
export function parseCached(sql: string): Statement {
  let st = parsed.get(sql);
  if (st === undefined) {
    st = parseStatement(sql);
    if (parsed.size >= PARSED_STATEMENTS_MAX) parsed.clear();
    parsed.set(sql, st);
  }
  return st;
}

const write: Handler<'write'> = async (host, s, st, params) => {
  implicitBegin(s);
  const startS = Math.floor(host.nowMs() / 1000);
  // A write sees committed data plus prepared (AFTER_SYNC) groups, as InnoDB's locking
  // reads would after waiting for their row locks; plus its own transaction's changes.
  const base = host.preparedChanges();
  if (s.txn !== null) base.push(...s.txn.changes);
  // Fast path: an autocommit write that becomes visible at once (async, AFTER_COMMIT, or
  // semi-sync OFF) with nothing prepared runs and commits in one SQLite transaction.
  const direct = s.txn === null && base.length === 0 && !host.defersEngineCommit();
  const { engine } = host;
  const res = host.withSession(s, () =>
    direct ? engine.writeCommitted(st, params) : engine.scratchWrite(base, st, params),
  );
  // LAST_INSERT_ID() changes only when the statement generated an id (explicit ids do not).
  if (res.generatedId !== undefined) s.lastInsertId = res.generatedId;
  const { affectedRows, insertId } = res;
  const out: SqlResult =
    insertId === undefined ? { rows: [], affectedRows } : { rows: [], affectedRows, insertId };
  if (s.txn !== null) {
    s.txn.changes.push(...res.changes);
    s.txn.timestampS ??= startS;
    return out;
  }
  if (res.changes.length === 0) return out; // an empty transaction is not binlogged
  const gtid = await host.commitGroup(
    res.changes.map((change) => ({ kind: 'rows', change })),
    startS,
    s,
    direct ? 'committed' : 'verified',
  );
  // Built whole, not spread from `out`: a spread copies property by property.
  return insertId === undefined
    ? { rows: [], affectedRows, gtid }
    : { rows: [], affectedRows, insertId, gtid };
};

// DDL commits an open transaction first (an implicit commit) and is binlogged as a Query event.
const ddl = async (
  host: StatementHost,
  s: Session,
  st: Extract<Statement, { kind: 'createTable' | 'dropTable' | 'truncate' }>,
): Promise<SqlResult> => {
  if (s.txn !== null) await host.commitSession(s);
  const sql =
    st.kind === 'createTable'
      ? `CREATE TABLE ${st.ifNotExists ? 'IF NOT EXISTS ' : ''}${st.table}`
      : st.kind === 'dropTable'
        ? `DROP TABLE ${st.ifExists ? 'IF EXISTS ' : ''}${st.table}`
        : `TRUNCATE TABLE ${st.table}`;
  const event: ReplEvent =
    st.kind === 'createTable'
      ? { kind: 'ddl', sql, table: st.table, spec: st.spec }
      : { kind: 'ddl', sql, table: st.table };
  const gtid = await host.commitGroup([event], Math.floor(host.nowMs() / 1000), s);
  return { ...empty(), gtid };
};

/** One handler per statement kind: what the statement does on a node. */
const STATEMENTS: { readonly [K in Statement['kind']]: Handler<K> } = {
  noop: async () => empty(),
  begin: async (host, s) => {
    // MySQL: BEGIN inside a transaction commits it first (implicit commit).
    if (s.txn !== null) await host.commitSession(s);
    s.txn = { changes: [], timestampS: undefined };
    return empty();
  },
  commit: async (host, s) => {
    const gtid = await host.commitSession(s);
    return gtid === undefined ? empty() : { ...empty(), gtid };
  },
  rollback: async (_host, s) => {
    s.txn = null;
    return empty();
  },
  select: async (host, s, st, params) => {
    implicitBegin(s);
    const { engine } = host;
    const rows = host.withSession(s, () =>
      s.txn === null
        ? engine.select(st.sql, params)
        : engine.scratch(s.txn.changes, () => engine.select(st.sql, params)),
    );
    return { rows, affectedRows: 0 };
  },
  write,
  createTable: ddl,
  dropTable: ddl,
  truncate: ddl,
  variables: async (host, s, st) => {
    const row: SqlRow = {};
    for (const name of st.names) {
      const bare = name.replace(/^@@(global\.|session\.)?/i, '').toLowerCase();
      row[name] = bare === 'autocommit' ? (s.autocommit ? 1 : 0) : host.variable(bare, s);
    }
    return { rows: [row], affectedRows: 0 };
  },
  gtidWait: async (host, _s, st, params) => {
    const target = String(params[0] ?? '');
    const timeout = st.timeoutArg ? Number(params[1]) : -1;
    const r = await host.node.masterGtidWait(target, timeout < 0 ? undefined : timeout * 1000);
    const name = st.timeoutArg
      ? `MASTER_GTID_WAIT('${target}', ${params[1]})`
      : `MASTER_GTID_WAIT('${target}')`;
    return { rows: [{ [name]: r }], affectedRows: 0 };
  },
  showSlaveStatus: async (host) => {
    if (!host.hasChannel()) return empty();
    return { rows: [{ ...host.node.status() } as unknown as SqlRow], affectedRows: 0 };
  },
  showStatus: async (host, _s, st) => ({
    rows: showStatusRows(host.node.status(), st.like),
    affectedRows: 0,
  }),
  showVariables: async (host, s, st) => ({ rows: host.showVariables(s, st.like), affectedRows: 0 }),
  slave: async (host, _s, st) => {
    if (st.action === 'stop') {
      if (st.thread !== 'sql') host.node.stopIoThread();
      if (st.thread !== 'io') host.node.stopSqlThread();
    } else {
      if (st.thread !== 'io') host.node.startSqlThread();
      if (st.thread !== 'sql') host.node.startIoThread();
    }
    return empty();
  },
  resetSlaveAll: async (host) => {
    host.node.resetSlaveAll();
    return empty();
  },
  purgeBinaryLogs: async (host) => {
    host.node.purgeBinaryLogs();
    return empty();
  },
  setGlobal: async (host, _s, st) => {
    host.setGlobal(st.name, st.value);
    return empty();
  },
  setSession: async (host, s, st) => {
    if (st.autocommit === undefined) return empty();
    // sys_vars.cc fix_autocommit: switching autocommit from 0 to 1 commits the open transaction;
    // switching it off, or setting it to what it is, commits nothing (observed on 10.11.19: a
    // BEGIN … INSERT; SET autocommit = 1; ROLLBACK undoes the insert).
    const commit = st.autocommit && !s.autocommit && s.txn !== null;
    s.autocommit = st.autocommit;
    if (!commit) return empty();
    const gtid = await host.commitSession(s);
    return gtid === undefined ? empty() : { ...empty(), gtid };
  },
};

/** Runs `st` on `host` for connection `s`. */
export function executeStatement(
  host: StatementHost,
  s: Session,
  st: Statement,
  params: readonly SqlValue[],
): Promise<SqlResult> {
  const handler = STATEMENTS[st.kind] as Handler<Statement['kind']>;
  return handler(host, s, st, params);
}

/** What the connections need from their node. */
export interface ConnectionPorts {
  /** The node's restart epoch. */
  epoch(): number;
  /** Throws 2003 while the node is down. */
  assertUp(): void;
  /** Virtual time each statement takes, ms. */
  statementCostMs(): number;
  /** Waits `ms` of virtual time; rejects with 2013 if the node crashes meanwhile. */
  sleep(ms: number): Promise<void>;
  /** Extra delay of every answer on its way to the client (the `slow` fault), ms; 0: none. */
  replyLatencyMs(): number;
}

/** The client connections of one node: the default one, the ones `session()` opens, and the running one. */
export class Connections {
  readonly #default: Session;
  #current: Session;
  readonly #host: StatementHost;
  readonly #ports: ConnectionPorts;

  constructor(host: Omit<StatementHost, 'withSession'>, ports: ConnectionPorts) {
    this.#ports = ports;
    this.#host = { ...host, withSession: (s, fn) => this.#withSession(s, fn) };
    this.#default = this.open();
    this.#current = this.#default;
  }

  /** The node's default connection (the node's own `query`). */
  get default(): Session {
    return this.#default;
  }

  /** The connection whose statement runs in the engine now (the default one between statements). */
  get current(): Session {
    return this.#current;
  }

  /** A new connection. */
  open(): Session {
    return { txn: null, epoch: this.#ports.epoch(), lastInsertId: 0, lastGtid: '', autocommit: true };
  }

  /** Runs one statement on connection `s`. */
  async query(s: Session, sql: string, params: readonly SqlValue[]): Promise<SqlResult> {
    const ports = this.#ports;
    ports.assertUp();
    if (s.epoch !== ports.epoch()) {
      // The server restarted under this connection. Like a pool, the client reconnects; a
      // transaction that was open is gone, and that is an error the client must see. The new
      // connection has the server's defaults (autocommit on).
      s.epoch = ports.epoch();
      s.autocommit = true;
      if (s.txn !== null) {
        s.txn = null;
        throw new SqlError(2006, 'HY000', 'MySQL server has gone away');
      }
    }
    const st = parseCached(sql);
    if (ports.statementCostMs() > 0 && st.kind !== 'noop') {
      await ports.sleep(ports.statementCostMs());
    }
    const replyMs = ports.replyLatencyMs();
    if (replyMs === 0) return await executeStatement(this.#host, s, st, params);
    // A slowed link to the client (the `slow` fault): the answer, or the error, arrives later.
    try {
      const result = await executeStatement(this.#host, s, st, params);
      await ports.sleep(replyMs);
      return result;
    } catch (error) {
      await ports.sleep(replyMs);
      throw error;
    }
  }

  #withSession<T>(s: Session, fn: () => T): T {
    this.#current = s;
    try {
      return fn();
    } finally {
      this.#current = this.#default;
    }
  }
}
