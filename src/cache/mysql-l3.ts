// L3: the store of record on MySQL, reached through any SqlPort (the read/write-splitting router,
// the simulated replicating cluster, or a real pool).
//
// The article names MySQL as L3 ("持久化存储——MySQL，存储最终数据") without a schema; ours is the
// smallest table that holds what L2 holds:
//   llm_cache(prompt_hash VARCHAR(64) PRIMARY KEY, response MEDIUMTEXT NOT NULL, updated_at BIGINT NOT NULL)
// `prompt_hash` fits both hash schemes (16 Base64 or 64 hex characters); `updated_at` is the
// injected clock's milliseconds. Writes are one `INSERT ... ON DUPLICATE KEY UPDATE` (an upsert in
// place; `REPLACE INTO` would delete and re-insert the row, which MySQL documents as a delete plus
// an insert for triggers, foreign keys and the binlog).
import type { Clock } from '../ports/clock.ts';
import type { SqlPort } from '../ports/sql.ts';
import { jsonSerializer, type Serializer } from './serializer.ts';

/** The default L3 table name. */
export const DEFAULT_L3_TABLE = 'llm_cache';

/** Options of {@link MysqlL3}. */
export interface MysqlL3Options<V> {
  /** Table name; letters, digits and `_` only. @defaultValue `'llm_cache'` */
  readonly table?: string;
  /** Value codec. @defaultValue JSON */
  readonly serializer?: Serializer<V>;
}

/** Ports of {@link MysqlL3}. */
export interface MysqlL3Ports {
  /** Where statements go: the router (writes to the primary, reads per its rules), a pool, the simulated cluster. */
  readonly sql: SqlPort;
  /** Supplies `updated_at` (milliseconds). */
  readonly clock: Clock;
}

/** One row written by {@link MysqlL3.putMany}. */
export interface L3Row<V> {
  readonly hash: string;
  readonly value: V;
}

/** The L3 layer: one row per prompt hash, misses as `undefined`. */
export class MysqlL3<V> {
  /** The table in use. */
  readonly table: string;
  readonly #sql: SqlPort;
  readonly #clock: Clock;
  readonly #serializer: Serializer<V>;

  constructor(options: MysqlL3Options<V>, ports: MysqlL3Ports) {
    this.table = options.table ?? DEFAULT_L3_TABLE;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(this.table)) {
      throw new RangeError(
        `MysqlL3: table must be an identifier of letters, digits and _, got '${this.table}'`,
      );
    }
    if (typeof ports?.sql?.query !== 'function') throw new TypeError('MysqlL3: ports.sql is required');
    if (typeof ports.clock?.now !== 'function') throw new TypeError('MysqlL3: ports.clock is required');
    this.#sql = ports.sql;
    this.#clock = ports.clock;
    this.#serializer = options.serializer ?? jsonSerializer<V>();
  }

  /** The CREATE TABLE statement (IF NOT EXISTS), for setup scripts and tests. */
  createTableSql(): string {
    return (
      `CREATE TABLE IF NOT EXISTS ${this.table} (` +
      'prompt_hash VARCHAR(64) NOT NULL PRIMARY KEY, response MEDIUMTEXT NOT NULL, updated_at BIGINT NOT NULL)'
    );
  }

  /** Creates the table if it does not exist. */
  async createTable(): Promise<void> {
    await this.#sql.query(this.createTableSql());
  }

  /** Reads the response stored for a hash; `undefined` when there is no row. */
  async get(hash: string): Promise<V | undefined> {
    const { rows } = await this.#sql.query<{ response: string }>(
      `SELECT response FROM ${this.table} WHERE prompt_hash = ?`,
      [hash],
    );
    const row = rows[0];
    return row === undefined ? undefined : this.#serializer.deserialize(String(row.response));
  }

  /** Inserts or updates one row; `updated_at` is the clock's now. */
  async put(hash: string, value: V): Promise<void> {
    await this.putMany([{ hash, value }]);
  }

  /** Inserts or updates several rows in one statement (the write-behind flush). No-op when empty. */
  async putMany(rows: readonly L3Row<V>[]): Promise<void> {
    if (rows.length === 0) return;
    const now = this.#clock.now();
    const params: (string | number)[] = [];
    for (const row of rows) params.push(row.hash, this.#serializer.serialize(row.value), now);
    const values = rows.map(() => '(?, ?, ?)').join(', ');
    await this.#sql.query(
      `INSERT INTO ${this.table} (prompt_hash, response, updated_at) VALUES ${values} ` +
        'ON DUPLICATE KEY UPDATE response = VALUES(response), updated_at = VALUES(updated_at)',
      params,
    );
  }

  /** Deletes a row; true when one existed. */
  async delete(hash: string): Promise<boolean> {
    const { affectedRows } = await this.#sql.query(`DELETE FROM ${this.table} WHERE prompt_hash = ?`, [hash]);
    return affectedRows > 0;
  }
}
