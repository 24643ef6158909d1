// Seeded random gateway-shaped SQL for the MySQL differential suite
// (test/integration/mysql-seeded-differential.test.ts): the chat history's sharded
// `chat_message_0..3` tables exactly as src/gateway/chat-history.ts creates them, plus a quota
// table keyed by snowflake-style BIGINT user ids (beyond 2^53) updated with ON DUPLICATE KEY
// UPDATE, and a conversation table with an unnamed UNIQUE KEY and a nullable TEXT column that
// streamed chunks are CONCATenated onto. Statements come with `?` parameters or with their
// values inlined by mysql2's own `format()` (backslash escapes, as the driver sends them), in
// autocommit, BEGIN … COMMIT/ROLLBACK and `SET autocommit = 0` transactions, with the errors a
// gateway meets (1062, 1048, 1054, 1136, 1146, 1406, 1366) and unicode / CJK / emoji text up to
// and just past TEXT's 65,535 bytes.
import mysql from 'mysql2/promise';
import type { SqlValue } from '#src/ports/sql.ts';
import { Rng } from './redis-diff-commands.ts';

/** One statement of a workload. */
export interface SqlStep {
  readonly sql: string;
  readonly params?: readonly SqlValue[];
}

/** The chat tables, as the gateway shards them. */
export const CHAT_TABLES = ['chat_message_0', 'chat_message_1', 'chat_message_2', 'chat_message_3'];

/** Every table a workload creates, with the column its final dataset is ordered by. */
export const TABLES: readonly (readonly [table: string, orderBy: string])[] = [
  ...CHAT_TABLES.map((t) => [t, 'id'] as const),
  ['user_quota', 'user_id'],
  ['conversation', 'id'],
];

/** The DDL every workload starts with (the chat tables as src/gateway/chat-history.ts creates them). */
export const CREATE_TABLES: readonly string[] = [
  ...CHAT_TABLES.map(
    (t) =>
      `CREATE TABLE IF NOT EXISTS ${t} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, user_id VARCHAR(64) NOT NULL, prompt TEXT NOT NULL, answer TEXT NOT NULL, created_ms BIGINT NOT NULL, KEY idx_user (user_id))`,
  ),
  'CREATE TABLE user_quota (user_id BIGINT NOT NULL PRIMARY KEY, tokens BIGINT NOT NULL, updated_ms BIGINT NOT NULL)',
  'CREATE TABLE conversation (id BIGINT NOT NULL PRIMARY KEY, user_id BIGINT NOT NULL, title VARCHAR(32) NOT NULL, summary TEXT, UNIQUE KEY (user_id, title))',
];

/** The bytes a TEXT column holds (MariaDB KB "TEXT"). */
export const TEXT_BYTES_MAX = 65_535;

// Snowflake-style ids: around 2^53 and 2^62, where doubles lose digits, and small ones.
const SNOWFLAKES = [
  '9007199254740993',
  '9007199254740992',
  '9007199254740994',
  '1234567890123456789',
  '1234567890123456788',
  '4611686018427387905',
  '42',
  '7',
];

const WORDS = [
  'hello',
  "it's",
  'back\\slash',
  '"quoted"',
  'line\nbreak',
  'tab\there',
  '50%',
  'under_score',
  '你好世界',
  '日本語のテキスト',
  '한국어',
  'émoji 😀',
  "'); DROP TABLE user_quota; --",
  '\\0 not a nul',
  '',
];

/** Random text of about `words` words from WORDS. */
function text(rng: Rng, words: number): string {
  return Array.from({ length: words }, () => rng.pick(WORDS)).join(' ');
}

/**
 * A text near TEXT's byte limit: ASCII filler then a CJK (3-byte) or emoji (4-byte) tail, from
 * 8 bytes under the limit to 8 over, so that some fit, some are 1406 and some are cut inside a
 * character (1366).
 */
function largeText(rng: Rng): string {
  const tail = rng.pick(['字', '😀', 'é', 'x']);
  const tailBytes = Buffer.byteLength(tail);
  const target = TEXT_BYTES_MAX - 8 + rng.int(17);
  const count = 1 + rng.int(3);
  const filler = Math.max(0, target - count * tailBytes);
  return 'a'.repeat(filler) + tail.repeat(count);
}

const userName = (rng: Rng) => `u-${rng.int(6)}`;
const chatTable = (rng: Rng) => rng.pick(CHAT_TABLES);
const snowflake = (rng: Rng): SqlValue => {
  const id = rng.pick(SNOWFLAKES);
  // mysql2 sends a bigint parameter as digits and a string one quoted; both must find the row.
  return rng.chance(0.5) ? BigInt(id) : id;
};

/** `sql` with `params` bound by the driver (mysql2 `format()`, backslash escapes) half the time. */
function step(rng: Rng, sql: string, params: SqlValue[]): SqlStep {
  if (params.length > 0 && rng.chance(0.5)) return { sql: mysql.format(sql, params) };
  return { sql, params };
}

type Generator = (rng: Rng) => SqlStep;

/** The statement kinds and their weights. */
const KINDS: readonly (readonly [weight: number, make: Generator])[] = [
  // The gateway's append and read (src/gateway/chat-history.ts).
  [
    14,
    (rng) =>
      step(rng, `INSERT INTO ${chatTable(rng)} (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?)`, [
        userName(rng),
        text(rng, 1 + rng.int(4)),
        text(rng, rng.int(6)),
        1_700_000_000_000 + rng.int(1_000_000),
      ]),
  ],
  [
    8,
    (rng) =>
      step(
        rng,
        `SELECT id, user_id, prompt, answer FROM ${chatTable(rng)} WHERE user_id = ? ORDER BY id DESC LIMIT 10`,
        [userName(rng)],
      ),
  ],
  [
    5,
    (rng) => {
      const n = 2 + rng.int(3);
      const params: SqlValue[] = [];
      for (let i = 0; i < n; i++)
        params.push(userName(rng), text(rng, 2), text(rng, 3), 1_700_000_000_000 + i);
      // Now and then the last row is short: 1136 at that row.
      const tuples = Array.from({ length: n }, (_, i) =>
        i === n - 1 && rng.chance(0.1) ? '(?, ?, ?)' : '(?, ?, ?, ?)',
      );
      const used = tuples.at(-1) === '(?, ?, ?)' ? params.slice(0, -1) : params;
      return step(
        rng,
        `INSERT INTO ${chatTable(rng)} (user_id, prompt, answer, created_ms) VALUES ${tuples.join(', ')}`,
        used,
      );
    },
  ],
  [
    5,
    (rng) =>
      step(
        rng,
        `UPDATE ${chatTable(rng)} SET answer = CONCAT(answer, ?) WHERE user_id = ? ORDER BY id DESC LIMIT 1`,
        [text(rng, 1), userName(rng)],
      ),
  ],
  [
    3,
    (rng) =>
      step(rng, `DELETE FROM ${chatTable(rng)} WHERE user_id = ? AND id < ?`, [userName(rng), rng.int(20)]),
  ],
  [
    3,
    (rng) => step(rng, `SELECT COUNT(*), MAX(id) FROM ${chatTable(rng)} WHERE user_id = ?`, [userName(rng)]),
  ],
  [
    3,
    (rng) =>
      step(rng, `INSERT INTO ${chatTable(rng)} (user_id, prompt, answer, created_ms) VALUES (?, ?, ?, ?)`, [
        userName(rng),
        largeText(rng),
        rng.chance(0.5) ? '' : largeText(rng),
        1_700_000_000_000,
      ]),
  ],
  // Quotas by snowflake id: ON DUPLICATE KEY UPDATE finds the row by a BIGINT beyond 2^53.
  [
    10,
    (rng) =>
      step(
        rng,
        'INSERT INTO user_quota (user_id, tokens, updated_ms) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE tokens = tokens + VALUES(tokens), updated_ms = VALUES(updated_ms)',
        [snowflake(rng), 1 + rng.int(500), 1_700_000_000_000 + rng.int(1000)],
      ),
  ],
  [6, (rng) => step(rng, 'SELECT user_id, tokens FROM user_quota WHERE user_id = ?', [snowflake(rng)])],
  [2, () => ({ sql: 'SELECT user_id, tokens, updated_ms FROM user_quota ORDER BY user_id' })],
  [
    3,
    (rng) =>
      step(rng, 'UPDATE user_quota SET tokens = tokens - ? WHERE user_id = ?', [rng.int(50), snowflake(rng)]),
  ],
  // Conversations: 1062 on the unnamed unique key, CONCAT onto a NULL summary, REPLACE.
  [
    6,
    (rng) =>
      step(rng, 'INSERT INTO conversation (id, user_id, title, summary) VALUES (?, ?, ?, ?)', [
        rng.int(12),
        snowflake(rng),
        rng.pick(['hello', 'trip', '旅行', "it's"]),
        rng.chance(0.4) ? null : text(rng, 2),
      ]),
  ],
  [
    4,
    (rng) =>
      step(rng, 'UPDATE conversation SET summary = CONCAT(summary, ?) WHERE id = ?', [
        text(rng, 1),
        rng.int(12),
      ]),
  ],
  [
    2,
    (rng) =>
      step(rng, 'REPLACE INTO conversation (id, user_id, title) VALUES (?, ?, ?)', [
        rng.int(12),
        snowflake(rng),
        'r',
      ]),
  ],
  [3, () => ({ sql: 'SELECT id, user_id, title, summary FROM conversation ORDER BY id' })],
  [
    2,
    (rng) =>
      step(rng, 'INSERT IGNORE INTO conversation (id, user_id, title) VALUES (?, ?, ?), (?, ?, ?)', [
        rng.int(12),
        snowflake(rng),
        'x',
        rng.int(12),
        snowflake(rng),
        'y',
      ]),
  ],
  // Transactions, the way pools and JDBC open them.
  [4, (rng) => ({ sql: rng.pick(['BEGIN', 'START TRANSACTION', 'BEGIN ;']) })],
  [4, (rng) => ({ sql: rng.pick(['COMMIT', 'ROLLBACK']) })],
  [
    3,
    (rng) => ({
      sql: rng.pick([
        'SET autocommit = 0',
        'SET autocommit = 1',
        'SET @@autocommit = 0',
        'SET SESSION autocommit = 1',
      ]),
    }),
  ],
  [2, () => ({ sql: 'SELECT LAST_INSERT_ID()' })],
  // Errors.
  [
    2,
    (rng) =>
      rng.pick([
        { sql: 'SELECT * FROM chat_message_9 WHERE id = 1' },
        { sql: 'INSERT INTO user_quota (user_id, tokens, updated_ms) VALUES (1, NULL, 1)' },
        { sql: 'INSERT INTO user_quota (user_id, tokenz) VALUES (1, 2)' },
        { sql: `INSERT INTO ${CHAT_TABLES[0]} (user_id, prompt) VALUES ('u-1', 'p')` },
        {
          sql: "INSERT INTO conversation (id, user_id, title) VALUES (1, 1, 'a title longer than thirty-two characters')",
        },
      ]),
  ],
];

const TOTAL_WEIGHT = KINDS.reduce((n, [w]) => n + w, 0);

/**
 * The workload of `seed`: the CREATE TABLEs, then `statements` random statements, then a
 * ROLLBACK and `SET autocommit = 1` so that the final datasets are committed ones.
 */
export function sqlWorkload(seed: number, statements: number): SqlStep[] {
  const rng = new Rng(seed);
  const steps: SqlStep[] = CREATE_TABLES.map((sql) => ({ sql }));
  for (let i = 0; i < statements; i++) {
    let pick = rng.int(TOTAL_WEIGHT);
    for (const [weight, make] of KINDS) {
      if (pick < weight) {
        steps.push(make(rng));
        break;
      }
      pick -= weight;
    }
  }
  steps.push({ sql: 'ROLLBACK' }, { sql: 'SET autocommit = 1' });
  return steps;
}
