import { assert } from '../../src/assert.ts';
import type { SqliteDatabase, SqliteStatement } from './sqlite.ts';

/**
 * Writes between two commits of the outer transaction (see `Transactions`). Each commit costs in
 * proportion to the pages written since the last (each journalled once per transaction), so
 * fewer, larger batches cost less: in `node --cpu-prof` of gateway-300k, the commits were 576 ms
 * of a 32 s run at 256 and 101 ms of a 38 s run (a slower hour) at 4096, with the same peak RSS (the in-memory journal holds one
 * copy of each page a batch wrote: a few MB). 16,384 gained nothing more.
 */
export const OUTER_COMMIT_WRITES = 4096;

/**
 * The SQLite transactions of one engine. The database stays inside one outer SQLite transaction,
 * committed once OUTER_COMMIT_WRITES writes were made outside an engine transaction (`settle`,
 * called before each): SQLite's own work per transaction (opening and freeing the in-memory
 * rollback journal, copying each page written into it, sweeping the page cache at commit) is then
 * paid once per batch instead of once per autocommit statement. Timed alone, that was about a
 * fifth of the gateway's three statements per request (12.3-13.3 µs against 10.3-10.6 µs over
 * 300,000 requests). Nothing else opens the database, so where an outer commit falls cannot be
 * seen. A statement inside the outer transaction is still atomic on its own: a failing one is undone
 * by SQLite's statement journal (the ABORT conflict resolution, sqlite.org "The ON CONFLICT
 * Clause"), as in autocommit mode.
 *
 * An engine transaction (BEGIN … COMMIT or ROLLBACK: a multi-row statement, a group's apply, a
 * scratch state) is a savepoint of the outer one (sqlite.org "Savepoints": RELEASE keeps its
 * changes, ROLLBACK TO undoes them).
 */
export class Transactions {
  readonly #db: SqliteDatabase;
  readonly #prepare: (sql: string) => SqliteStatement;
  /** Engine transactions open. */
  #depth = 0;
  /** Writes since the outer transaction began. */
  #unsettled = 0;

  constructor(db: SqliteDatabase, prepare: (sql: string) => SqliteStatement) {
    this.#db = db;
    this.#prepare = prepare;
    prepare('BEGIN').run();
  }

  /** Whether an engine transaction is open. */
  get open(): boolean {
    return this.#depth > 0;
  }

  begin(): void {
    this.#prepare('SAVEPOINT hasim_txn').run();
    this.#depth++;
  }

  commit(): void {
    this.#end('COMMIT');
    this.#prepare('RELEASE hasim_txn').run();
    this.#depth--;
  }

  rollback(): void {
    this.#end('ROLLBACK');
    this.#prepare('ROLLBACK TO hasim_txn').run();
    this.#prepare('RELEASE hasim_txn').run();
    this.#depth--;
  }

  /** Counts a write about to be made outside an engine transaction, committing the outer one every OUTER_COMMIT_WRITES. */
  settle(): void {
    if (this.#depth > 0 || ++this.#unsettled < OUTER_COMMIT_WRITES) return;
    this.#intact();
    this.#prepare('COMMIT').run();
    this.#prepare('BEGIN').run();
    this.#unsettled = 0;
  }

  #end(verb: string): void {
    assert(this.#depth > 0, () => `engine: ${verb} outside a transaction`);
    this.#intact();
  }

  /**
   * SQLite rolls a whole transaction back by itself only on SQLITE_FULL, IOERR, BUSY or NOMEM (of
   * which an in-memory database that one connection opens can raise only NOMEM) or on a conflict
   * resolved by ROLLBACK (the dialect writes none). The writes since the last outer commit would
   * then be gone, so the run fails here instead of going on without them.
   */
  #intact(): void {
    assert(
      this.#db.inTransaction,
      'engine: SQLite rolled back the outer transaction (writes since its start lost)',
    );
  }
}
