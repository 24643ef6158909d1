// Small in-memory stand-ins for the router's unit tests: a data source that answers with its own
// name and hands out GTIDs for writes, a scripted replica probe and a scripted Random.
import type { Random } from '#src/ports/random.ts';
import type { SqlPort, SqlResult, SqlRow, SqlValue } from '#src/ports/sql.ts';
import type { ReplicaProbe, ReplicaStatus } from '#src/router/index.ts';

/** A data source that records every statement and answers `[{ ds: name }]` to SELECTs. */
export class NamedPort implements SqlPort {
  readonly statements: string[] = [];
  private seq = 0;
  constructor(
    readonly name: string,
    private readonly serverId = 1,
  ) {}

  async query<Row extends SqlRow = SqlRow>(
    sql: string,
    _params?: readonly SqlValue[],
  ): Promise<SqlResult<Row>> {
    this.statements.push(sql);
    if (/^\s*(\/\*.*?\*\/\s*)?(SELECT|\(|WITH)/is.test(sql)) {
      return { rows: [{ ds: this.name } as unknown as Row], affectedRows: 0 };
    }
    if (/^\s*(BEGIN|START|COMMIT|ROLLBACK|SET)/i.test(sql)) return { rows: [], affectedRows: 0 };
    this.seq++;
    return { rows: [], affectedRows: 1, gtid: `0-${this.serverId}-${this.seq}` };
  }
}

/** A probe whose answers the test sets. */
export class ScriptedProbe implements ReplicaProbe {
  statusCalls = 0;
  waits: [string, number][] = [];
  current: ReplicaStatus | 'unreachable' = { ioRunning: true, sqlRunning: true, secondsBehindMaster: 0 };
  reached = true;

  async status(): Promise<ReplicaStatus> {
    this.statusCalls++;
    if (this.current === 'unreachable') throw new Error('connect ECONNREFUSED');
    return this.current;
  }

  async waitForGtid(gtid: string, timeoutMs: number): Promise<boolean> {
    this.waits.push([gtid, timeoutMs]);
    return this.reached;
  }
}

/** A Random that returns the given draws in order, then throws. */
export function scriptedRandom(draws: number[]): Random {
  const queue = [...draws];
  const r: Random = {
    next() {
      const v = queue.shift();
      if (v === undefined) throw new Error('scriptedRandom: out of draws');
      return v;
    },
    fork: () => r,
    seedPath: 'scripted',
  };
  return r;
}
