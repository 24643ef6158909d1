import { describe, expect, it } from 'vitest';
import { classifyStatement } from '#src/router/index.ts';

// Rows cite the ShardingSphere source or test that fixes the behaviour:
//   QR = features/readwrite-splitting/core/.../route/qualified/type/QualifiedReadwriteSplittingPrimaryDataSourceRouter.java
//        (and its test QualifiedReadwriteSplittingPrimaryDataSourceRouterTest: assertIsQualifiedWithSelect (lock),
//        ...WithSelectAndContainsLastInsertIdProjection, ...WithUpdate)
//   PC = infra/binder/.../segment/select/projection/ProjectionsContext.isContainsLastInsertIdProjection:
//        the projection's expression, whitespace removed, equalsIgnoreCase "LAST_INSERT_ID()"
//   HM = HintValueContext.isWriteRouteOnly from the SQL comment hint (SQLHintUtils)
const PRIMARY = 'primary';
const READ = 'read';
const rows: [string, typeof PRIMARY | typeof READ, string][] = [
  ['SELECT * FROM chat_history WHERE user_id = ?', READ, 'QR: a plain SELECT is a read'],
  ['  select id from t', READ, 'QR: case and leading blanks do not matter'],
  ['(SELECT 1) UNION (SELECT 2)', READ, 'QR: a parenthesised union is a SelectStatement'],
  ['WITH x AS (SELECT 1 AS a) SELECT a FROM x', READ, 'QR: a CTE ending in SELECT is a SelectStatement'],
  ['WITH x AS (SELECT 1) UPDATE t SET a = 1', PRIMARY, 'QR: a CTE ending in UPDATE is not a SELECT'],
  ['SELECT * FROM t WHERE id = 1 FOR UPDATE', PRIMARY, 'QR: lock segment FOR UPDATE'],
  ['SELECT * FROM t WHERE id = 1 FOR SHARE', PRIMARY, 'QR: lock segment FOR SHARE'],
  ['SELECT * FROM t WHERE id = 1 LOCK IN SHARE MODE', PRIMARY, 'QR: lock segment LOCK IN SHARE MODE'],
  ["SELECT 'FOR UPDATE' FROM t", READ, 'QR: text inside a string literal is not a lock'],
  ['SELECT * FROM (SELECT * FROM t FOR UPDATE) x', READ, 'QR: only the outer statement lock segment counts'],
  ['SELECT LAST_INSERT_ID()', PRIMARY, 'PC: exactly LAST_INSERT_ID()'],
  ['select last_insert_id ( ) as id', PRIMARY, 'PC: case-insensitive, whitespace removed, alias dropped'],
  ['SELECT id, LAST_INSERT_ID() FROM t', PRIMARY, 'PC: any projection of the list'],
  ['SELECT LAST_INSERT_ID() + 1', READ, 'PC: an expression around it is not equal to LAST_INSERT_ID()'],
  ['SELECT @@port', READ, 'QR: a SELECT of a variable is a read'],
  ['INSERT INTO t VALUES (1)', PRIMARY, 'QR: not a SelectStatement'],
  ['UPDATE t SET v = 1', PRIMARY, 'QR: not a SelectStatement'],
  ['DELETE FROM t', PRIMARY, 'QR: not a SelectStatement'],
  ['SHOW TABLES', PRIMARY, 'QR: SHOW is not a SelectStatement'],
  ['CREATE TABLE t (id INT)', PRIMARY, 'QR: DDL is not a SelectStatement'],
  ['/* SHARDINGSPHERE_HINT: WRITE_ROUTE_ONLY=true */ SELECT 1', PRIMARY, 'HM: the SQL comment hint'],
  ['/* just a comment */ SELECT 1', READ, 'HM: any other comment is ignored'],
];

describe('classifyStatement: ShardingSphere 5.x primary-route rules', () => {
  it.each(rows)('%s -> %s (%s)', (sql, expected) => {
    const { statement, hintWriteRouteOnly } = classifyStatement(sql);
    const primary =
      statement.kind !== 'select' || statement.lock || statement.lastInsertId || hintWriteRouteOnly;
    expect(primary ? PRIMARY : READ).toBe(expected);
  });

  it.each([
    ['BEGIN', 'begin'],
    ['START TRANSACTION', 'begin'],
    ['start transaction read only', 'begin'],
    ['COMMIT', 'commit'],
    ['ROLLBACK', 'rollback'],
    ['ROLLBACK TO SAVEPOINT a', 'other'],
  ])('transaction control: %s is %s', (sql, kind) => {
    expect(classifyStatement(sql).statement.kind).toBe(kind);
  });

  it('reads SET autocommit values', () => {
    expect(classifyStatement('SET autocommit = 0').statement).toEqual({ kind: 'autocommit', on: false });
    expect(classifyStatement('SET @@autocommit=1').statement).toEqual({ kind: 'autocommit', on: true });
  });
});
