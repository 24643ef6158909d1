import { describe, expect, it } from 'vitest';
import { parseStatement, stripLeadingComments } from '#sim/mysql/dialect.ts';

// MariaDB ignores comments before a statement ("Comment Syntax", MariaDB Knowledge Base); the
// ShardingSphere hint comment reaches the server in front of the SELECT it routes.
describe('comments before a statement', () => {
  it('are ignored: block comments, -- and # lines', () => {
    expect(stripLeadingComments('/* SHARDINGSPHERE_HINT: WRITE_ROUTE_ONLY=true */ SELECT 1')).toBe(
      'SELECT 1',
    );
    expect(stripLeadingComments('-- note\n# other\n  SELECT 2')).toBe('SELECT 2');
    expect(parseStatement('/* hint */ COMMIT')).toEqual({ kind: 'commit' });
  });

  it('an executable comment is not stripped (MariaDB runs its content)', () => {
    expect(stripLeadingComments('/*!40101 SET x=1*/')).toBe('/*!40101 SET x=1*/');
    expect(stripLeadingComments('/*M!100100 SELECT 1*/')).toBe('/*M!100100 SELECT 1*/');
  });
});
