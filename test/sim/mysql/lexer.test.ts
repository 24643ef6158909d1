import { describe, expect, it } from 'vitest';
import { lex, sqliteLiteral, toSource, toSqlite } from '#sim/mysql/lexer.ts';
import { SqlError } from '#src/ports/sql.ts';

// MariaDB KB "String Literals" (https://mariadb.com/kb/en/string-literals/), default sql_mode, and
// "Comment Syntax". Values observed on 10.11.19 where the KB is silent (adjacent literals, \q).
describe('lexer: string literals as MariaDB reads them', () => {
  it.each([
    ["'it\\'s'", "it's"],
    ["'it''s'", "it's"],
    ['"say ""hi"""', 'say "hi"'],
    ["'a\\\\b\\nc'", 'a\\b\nc'],
    ["'\\0\\b\\r\\t\\Z'", '\0\b\r\t\x1a'],
    ["'\\\"'", '"'],
    ["'50\\% \\_'", '50\\% \\_'],
    ["'\\q\\y'", 'qy'],
    ["'a' 'b' \"c\"", 'abc'],
    ["N'x'", 'x'],
    ["_utf8mb4'y'", 'y'],
    ["'字 😀'", '字 😀'],
  ])('%s is %j', (source, value) => {
    const lexed = lex(`SELECT ${source}`);
    expect(lexed.literals).toEqual([value]);
    expect(toSource(lexed.masked, lexed)).toBe(`SELECT ${source}`);
  });

  it('masks literals, so nothing inside one reads as syntax', () => {
    const lexed = lex("INSERT INTO t VALUES ('); DROP TABLE t; --', '?', 'NOW()')");
    expect(lexed.masked).toBe("INSERT INTO t VALUES ('\uE0000', '\uE0001', '\uE0002')");
    expect(toSqlite(lexed.masked, lexed)).toBe("INSERT INTO t VALUES ('); DROP TABLE t; --', '?', 'NOW()')");
  });

  it('spells values for SQLite: quotes doubled, NUL as char(0)', () => {
    expect(sqliteLiteral("it's")).toBe("'it''s'");
    expect(sqliteLiteral('a\0b')).toBe("('a' || char(0) || 'b')");
  });

  it('drops comments and a trailing semicolon; a second statement or an open literal is 1064', () => {
    expect(lex('BEGIN ;').masked).toBe('BEGIN');
    expect(lex('SELECT 1 /* c */ + 1 -- done').masked).toBe('SELECT 1   + 1');
    expect(lex('SELECT 1 # done\n').masked).toBe('SELECT 1');
    expect(lex('SELECT 1--1').masked).toBe('SELECT 1--1'); // `--` needs a space to start a comment
    expect(lex('SELECT 1; -- nothing after').masked).toBe('SELECT 1');
    for (const sql of ['SELECT 1; SELECT 2', "SELECT 'open", 'SELECT `open', 'SELECT /* open']) {
      expect(() => lex(sql)).toThrow(SqlError);
      try {
        lex(sql);
      } catch (e) {
        expect((e as SqlError).errno).toBe(1064);
      }
    }
  });
});
