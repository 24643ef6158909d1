import { describe, expect, it } from 'vitest';
import { parseStatement, type TableSpec, type WriteStatement } from '#sim/mysql/dialect.ts';
import { imageOf, planImage } from '#sim/mysql/insert-image.ts';
import { bind, Database, engineRow } from '#sim/mysql/sqlite.ts';
import type { SqlValue } from '#src/ports/sql.ts';

const CREATE =
  'CREATE TABLE m (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, u VARCHAR(64), n BIGINT, t TEXT)';

function setup(): { db: InstanceType<typeof Database>; spec: TableSpec; declared: (c: string) => string } {
  const create = parseStatement(CREATE);
  if (create.kind !== 'createTable') throw new Error(create.kind);
  const db = new Database(':memory:');
  db.defaultSafeIntegers(true);
  for (const s of create.spec.sqlite) db.exec(s);
  const types = new Map(
    db
      .prepare('PRAGMA table_info("m")')
      .all()
      .map((c) => [String(c.name), String(c.type)]),
  );
  return { db, spec: create.spec, declared: (c) => types.get(c) ?? '' };
}

function write(sql: string): WriteStatement {
  const st = parseStatement(sql);
  if (st.kind !== 'write') throw new Error(st.kind);
  return st;
}

// Values SQLite stores as bound, and values its column affinity converts or its UTF-8 encoding alters.
const VALUES: SqlValue[] = [
  null,
  'a',
  '',
  'ü😀',
  'a\u0000b',
  '\uD800',
  'x\uDC00',
  '5',
  0,
  -0,
  7,
  -3,
  1.5,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  2n ** 62n,
  -(2n ** 63n),
  true,
  new Uint8Array([1, 2]),
];

describe('insert-image: a one-row INSERT image known without RETURNING', () => {
  it('plans only every-column-but-the-id inserts bound straight from placeholders', () => {
    const { spec, declared } = setup();
    expect(planImage(write('INSERT INTO m (u, n, t) VALUES (?, ?, ?)'), spec, declared)).toBeDefined();
    expect(planImage(write('INSERT INTO m (t, u, n) VALUES (?, ?, ?)'), spec, declared)).toBeDefined();
    expect(planImage(write('INSERT INTO m (u, n) VALUES (?, ?)'), spec, declared)).toBeUndefined();
    expect(
      planImage(write('INSERT INTO m (u, n, t) VALUES (?, ?, UPPER(?))'), spec, declared),
    ).toBeUndefined();
    expect(planImage(write('INSERT INTO m (u, n, t) VALUES (?, 1, ?)'), spec, declared)).toBeUndefined();
    expect(
      planImage(write('INSERT INTO m (u, n, t) VALUES (?, ?, ?), (?, ?, ?)'), spec, declared),
    ).toBeUndefined();
    expect(
      planImage(write('INSERT IGNORE INTO m (u, n, t) VALUES (?, ?, ?)'), spec, declared),
    ).toBeUndefined();
    expect(planImage(write('INSERT INTO m VALUES (?, ?, ?, ?)'), spec, declared)).toBeUndefined();
  });

  it('gives the image SQLite returns, for every value it accepts', () => {
    const { db, spec, declared } = setup();
    const st = write('INSERT INTO m (t, u, n) VALUES (?, ?, ?)');
    const plan = planImage(st, spec, declared);
    if (plan === undefined) throw new Error('no plan');
    let known = 0;
    for (const t of VALUES)
      for (const u of VALUES)
        for (const n of VALUES) {
          const params = [t, u, n];
          const image = imageOf(plan, params);
          let rows: Record<string, unknown>[];
          try {
            rows = db.prepare(st.returning ?? '').all(...bind(params));
          } catch {
            continue; // refused (a CHECK constraint): the engine falls back to the capturing path
          }
          if (image === undefined) continue;
          const stored = engineRow(rows[0] ?? {});
          image.id = stored.id ?? null;
          expect(image, JSON.stringify(params.map(String))).toStrictEqual(stored);
          expect(Object.keys(image)).toEqual(spec.columns);
          known++;
        }
    // Strings in the text columns, integers in the integer one, NULL anywhere.
    expect(known).toBeGreaterThan(100);
  });
});
