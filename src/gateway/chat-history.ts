import type { Clock } from '../ports/clock.ts';
import { SqlError, type SqlPort } from '../ports/sql.ts';
import type { TraceSink } from '../ports/trace.ts';
import { seedShardIndex, shardIndex } from '../router/sharding.ts';

/** Options of `ChatHistory`. */
export interface ChatHistoryOptions {
  /** Number of `chat_message_N` tables. @defaultValue 4 (the article's section 3.3) */
  readonly shardCount?: number;
  /**
   * `'article'`: `Math.abs(userId.hashCode()) % n` as the article writes it (negative for the
   * users whose hash is Integer.MIN_VALUE when n is not a power of two); `'corrected'`: never
   * negative. @defaultValue 'corrected'
   */
  readonly sharding?: 'article' | 'corrected';
  /** Messages read back as the conversation's context. @defaultValue 10 */
  readonly contextMessages?: number;
  /** Table name prefix (a live run adds its run prefix). @defaultValue 'chat_message_' */
  readonly tablePrefix?: string;
  /**
   * Where history reads go: `'replica'` (the router's read/write split, as the article configures
   * it: a lagging replica can miss the user's last message) or `'primary'` (ShardingSphere's
   * `WRITE_ROUTE_ONLY` hint on the read: read-your-writes at the primary's cost). @defaultValue 'replica'
   */
  readonly readFrom?: 'replica' | 'primary';
  /**
   * Group commit in the client: at most this many exchanges per INSERT. With 1, every exchange is
   * its own INSERT (and its own commit), as the article writes it. Above 1, the exchanges of one
   * table that arrive while an INSERT to that table is in flight wait for it and then go together,
   * as one multi-row INSERT of up to this many rows: nothing waits when the table is idle, and under
   * load one commit (one binlog group, one semi-sync acknowledgement) carries many exchanges. Each
   * exchange is answered only when its row is committed. @defaultValue 1
   */
  readonly batchRows?: number;
}

/**
 * The statements of one history table: its DDL, the history read (the newest `limit` ids of a
 * user, after `hint`, a routing hint comment or '') and the one-row INSERT of an exchange.
 */
export function historySql(table: string, limit: number, hint = '') {
  return {
    create: `CREATE TABLE IF NOT EXISTS ${table} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id VARCHAR(64) NOT NULL, prompt TEXT NOT NULL, answer TEXT NOT NULL, created_ms BIGINT NOT NULL, KEY idx_user (user_id))`,
    select: `${hint}SELECT id FROM ${table} WHERE user_id = ? ORDER BY id DESC LIMIT ${limit}`,
    insert: `INSERT INTO ${table} (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?)`,
  } as const;
}

/** The largest `batchRows`: 1,000 rows of four parameters stay far below mysql2's 65,535 placeholders. */
export const HISTORY_BATCH_ROWS_MAX = 1000;

interface PendingWrite {
  readonly params: readonly [string, string, string, number];
  readonly resolve: (result: WriteResult) => void;
}

/** What a write is known to have done. */
export type WriteResult =
  | { readonly kind: 'acked'; readonly table: string; readonly seq: number }
  /** The server said no: nothing was written. */
  | { readonly kind: 'failed'; readonly table: string; readonly error: string }
  /** The connection broke before the answer: the row may or may not be there (Jepsen's `:info`). */
  | { readonly kind: 'indeterminate'; readonly table: string; readonly error: string };

// MySQL client errors that mean "the answer was lost", not "the statement was refused":
// CR_SERVER_GONE_ERROR 2006, CR_SERVER_LOST 2013 (MariaDB Connector/C errmsg.h), and a
// connection reset while waiting.
const LOST_ANSWER = new Set([2006, 2013]);

/**
 * The chat history of the article's gateway, sharded by user id over `chat_message_N` tables and
 * written through the read/write router: writes go to the primary, reads to a replica (so a read
 * right after a write can miss it while the replica lags). Each row's AUTO_INCREMENT id is its
 * sequence number within its table, so "the newest message a read saw" is one integer.
 */
export class ChatHistory {
  readonly #sql: SqlPort;
  readonly #shardCount: number;
  readonly #article: boolean;
  readonly #limit: number;
  readonly #prefix: string;
  readonly #hint: string;
  /**
   * Each shard's table name and statements, built once: the same string objects every call, so
   * the router's, the driver's and the server's caches keyed by SQL text find them without
   * hashing a new string per statement.
   */
  readonly #shards: readonly ({ readonly table: string } & ReturnType<typeof historySql>)[];
  readonly #batchRows: number;
  /** Per shard: the exchanges waiting for the INSERT in flight, or undefined when none is. */
  readonly #waiting: (PendingWrite[] | undefined)[];
  /** Per shard, the multi-row INSERT text by row count, built on first use. */
  readonly #multiInserts: Map<number, string>[];

  constructor(
    options: ChatHistoryOptions,
    ports: { readonly sql: SqlPort; readonly clock: Clock; readonly trace?: TraceSink },
  ) {
    this.#sql = ports.sql;
    this.#shardCount = options.shardCount ?? 4;
    this.#article = (options.sharding ?? 'corrected') === 'article';
    this.#limit = options.contextMessages ?? 10;
    this.#prefix = options.tablePrefix ?? 'chat_message_';
    // ShardingSphere's SQL hint comment (SQLHintUtils): the router sends this read to the primary.
    this.#hint = options.readFrom === 'primary' ? '/* SHARDINGSPHERE_HINT: WRITE_ROUTE_ONLY=true */ ' : '';
    if (!Number.isSafeInteger(this.#shardCount) || this.#shardCount < 1) {
      throw new RangeError(`ChatHistory: shardCount must be a positive integer, got ${this.#shardCount}`);
    }
    if (!Number.isSafeInteger(this.#limit) || this.#limit < 1) {
      throw new RangeError(`ChatHistory: contextMessages must be a positive integer, got ${this.#limit}`);
    }
    this.#batchRows = options.batchRows ?? 1;
    if (
      !Number.isSafeInteger(this.#batchRows) ||
      this.#batchRows < 1 ||
      this.#batchRows > HISTORY_BATCH_ROWS_MAX
    ) {
      throw new RangeError(
        `ChatHistory: batchRows must be an integer in [1, ${HISTORY_BATCH_ROWS_MAX}], got ${this.#batchRows}`,
      );
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(this.#prefix)) {
      throw new RangeError(
        `ChatHistory: tablePrefix must be a SQL identifier prefix, got ${JSON.stringify(this.#prefix)}`,
      );
    }
    this.#shards = this.tables.map((table) => ({ table, ...historySql(table, this.#limit, this.#hint) }));
    this.#waiting = this.#shards.map(() => undefined);
    this.#multiInserts = this.#shards.map(() => new Map());
  }

  /** Every table, in shard order. */
  get tables(): readonly string[] {
    return Array.from({ length: this.#shardCount }, (_, i) => `${this.#prefix}${i}`);
  }

  /** The table of `userId`. */
  tableOf(userId: string): string {
    return `${this.#prefix}${this.#shardIndex(userId)}`;
  }

  // The shard of `userId`: negative for some users with the article's sharding (see `sharding`).
  #shardIndex(userId: string): number {
    return this.#article ? seedShardIndex(userId, this.#shardCount) : shardIndex(userId, this.#shardCount);
  }

  // The built statements of `userId`'s shard, or undefined for a shard index outside 0..n-1.
  #shardOf(userId: string) {
    return this.#shards[this.#shardIndex(userId)];
  }

  /** Creates the tables (on the primary: a DDL statement routes there). */
  async createTables(): Promise<void> {
    for (const shard of this.#shards) await this.#sql.query(shard.create);
  }

  /** The newest sequence number of `userId`'s messages that the read saw (0: none), and the count. */
  async recent(
    userId: string,
  ): Promise<{ readonly table: string; readonly seq: number; readonly rows: number }> {
    const shard = this.#shardOf(userId);
    const table = shard?.table ?? this.tableOf(userId);
    const result = await this.#sql.query<{ id: number | string | bigint }>(
      (shard ?? historySql(table, this.#limit, this.#hint)).select,
      [userId],
    );
    const first = result.rows[0];
    return { table, seq: first === undefined ? 0 : Number(first.id), rows: result.rows.length };
  }

  /** Appends one exchange. Never throws for a database error: the result says what is known. */
  async append(userId: string, prompt: string, answer: string, atMs: number): Promise<WriteResult> {
    const index = this.#shardIndex(userId);
    const shard = this.#shards[index];
    const table = shard?.table ?? this.tableOf(userId);
    if (this.#batchRows === 1 || shard === undefined) {
      try {
        const result = await this.#sql.query((shard ?? historySql(table, this.#limit)).insert, [
          userId,
          prompt,
          answer,
          atMs,
        ]);
        return { kind: 'acked', table, seq: Number(result.insertId ?? 0) };
      } catch (error) {
        return writeError(table, error);
      }
    }
    return new Promise<WriteResult>((resolve) => {
      const write: PendingWrite = { params: [userId, prompt, answer, atMs], resolve };
      const waiting = this.#waiting[index];
      if (waiting !== undefined) waiting.push(write);
      else {
        this.#waiting[index] = [];
        void this.#insert(index, [write]);
      }
    });
  }

  /**
   * One INSERT of `batch` into shard `index`'s table; when it is answered, the exchanges that
   * waited meanwhile go next (up to `batchRows` at a time), until none wait.
   */
  async #insert(index: number, batch: readonly PendingWrite[]): Promise<void> {
    const shard = this.#shards[index]!;
    const params: (string | number)[] = [];
    for (const write of batch) params.push(...write.params);
    try {
      const result = await this.#sql.query(this.#insertText(index, batch.length), params);
      // A multi-row INSERT reports the AUTO_INCREMENT id of its first row, and InnoDB gives the
      // rows of one such "simple insert" consecutive ids (innodb_autoinc_lock_mode 1, MariaDB's
      // default; auto_increment_increment 1): MariaDB KB, "AUTO_INCREMENT Handling in InnoDB" and
      // "LAST_INSERT_ID".
      const first = Number(result.insertId ?? 0);
      for (let i = 0; i < batch.length; i++)
        batch[i]!.resolve({ kind: 'acked', table: shard.table, seq: first + i });
    } catch (error) {
      // One statement: an error refuses (or leaves unknown) every exchange of the batch.
      const result = writeError(shard.table, error);
      for (const write of batch) write.resolve(result);
    }
    const waiting = this.#waiting[index] ?? [];
    if (waiting.length === 0) {
      this.#waiting[index] = undefined;
      return;
    }
    const next = waiting.splice(0, this.#batchRows);
    return this.#insert(index, next);
  }

  // The INSERT of `rows` exchanges into shard `index`'s table (built once per row count).
  #insertText(index: number, rows: number): string {
    const shard = this.#shards[index]!;
    if (rows === 1) return shard.insert;
    const known = this.#multiInserts[index]!.get(rows);
    if (known !== undefined) return known;
    const text = `INSERT INTO ${shard.table} (user_id, prompt, answer, created_ms) VALUES ${Array(rows).fill('(?, ?, ?, ?)').join(', ')}`;
    this.#multiInserts[index]!.set(rows, text);
    return text;
  }

  /** Every id in `table` (read on the primary at the end of a run), as sorted `[first, last]` runs. */
  async idRanges(table: string, primary: SqlPort): Promise<readonly (readonly [number, number])[]> {
    const result = await primary.query<{ id: number | string | bigint }>(
      `SELECT id FROM ${table} ORDER BY id`,
    );
    const ranges: [number, number][] = [];
    for (const row of result.rows) {
      const id = Number(row.id);
      const last = ranges[ranges.length - 1];
      if (last !== undefined && last[1] + 1 === id) last[1] = id;
      else ranges.push([id, id]);
    }
    return ranges;
  }
}

/** What a failed INSERT is known to have done: refused (`failed`) or the answer lost (`indeterminate`). */
function writeError(table: string, error: unknown): WriteResult {
  const message = error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
  const lost = error instanceof SqlError ? LOST_ANSWER.has(error.errno) : true;
  return lost ? { kind: 'indeterminate', table, error: message } : { kind: 'failed', table, error: message };
}
