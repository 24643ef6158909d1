// Statement classification the way ShardingSphere 5.x readwrite-splitting decides "primary or not"
// (features/readwrite-splitting/core/.../route/qualified/type/QualifiedReadwriteSplittingPrimaryDataSourceRouter.java):
//   primary  <=  not a SELECT statement
//            ||  a SELECT with a lock segment (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE)
//            ||  a SELECT projecting exactly LAST_INSERT_ID() (ProjectionsContext.isContainsLastInsertIdProjection:
//                the projection's expression, whitespace removed, equalsIgnoreCase "LAST_INSERT_ID()")
//            ||  the write-route-only hint (HintManager.setWriteRouteOnly or the SQL comment hint).
// ShardingSphere parses SQL fully; we tokenize just enough (comments, quotes, parentheses) to find the
// statement keyword, top-level lock clauses and the top-level select list. Transaction-control
// statements are recognised separately because the router tracks the session's transaction state.

/** What a statement is, for routing. */
export type StatementKind =
  | { readonly kind: 'select'; readonly lock: boolean; readonly lastInsertId: boolean }
  | { readonly kind: 'begin' }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'autocommit'; readonly on: boolean }
  | { readonly kind: 'other'; readonly keyword: string };

/** A classified statement plus the SQL-comment hint ShardingSphere reads (`SHARDINGSPHERE_HINT: WRITE_ROUTE_ONLY=true`). */
export interface ClassifiedStatement {
  readonly statement: StatementKind;
  readonly hintWriteRouteOnly: boolean;
}

interface Token {
  readonly text: string; // upper-cased for words, raw for punctuation
  readonly depth: number;
  readonly word: boolean;
}

// ShardingSphere's SQL hint comment (infra/.../hint/SQLHintUtils): /* SHARDINGSPHERE_HINT: WRITE_ROUTE_ONLY=true */
const HINT_RE = /SHARDINGSPHERE_HINT:[^*]*WRITE_ROUTE_ONLY\s*=\s*true/i;

/** [A-Za-z0-9_$@], plus '.' inside a word (`@@session.autocommit`, `db.table`). */
function isWordChar(code: number, inWord: boolean): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 36 ||
    code === 64 ||
    (inWord && code === 46)
  );
}

function tokenize(sql: string): { tokens: Token[]; hint: boolean } {
  const tokens: Token[] = [];
  let hint = false;
  let depth = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const body = sql.slice(i + 2, end < 0 ? n : end);
      if (HINT_RE.test(body)) hint = true;
      i = end < 0 ? n : end + 2;
    } else if ((c === '-' && sql[i + 1] === '-') || c === '#') {
      const end = sql.indexOf('\n', i);
      if (HINT_RE.test(sql.slice(i, end < 0 ? n : end))) hint = true;
      i = end < 0 ? n : end + 1;
    } else if (c === "'" || c === '"' || c === '`') {
      // A quoted string or identifier; a doubled quote or a backslash escapes (MySQL default sql_mode).
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '\\' && c !== '`') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      tokens.push({ text: sql.slice(i, j + 1), depth, word: c === '`' });
      i = j + 1;
    } else if (c === '(') {
      tokens.push({ text: c, depth, word: false });
      depth++;
      i++;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
      tokens.push({ text: c, depth, word: false });
      i++;
    } else if (isWordChar(sql.charCodeAt(i), false)) {
      let j = i + 1;
      while (j < n && isWordChar(sql.charCodeAt(j), true)) j++;
      tokens.push({ text: sql.slice(i, j).toUpperCase(), depth, word: true });
      i = j;
    } else {
      tokens.push({ text: c, depth, word: false });
      i++;
    }
  }
  return { tokens, hint };
}

/** Index of the statement's main keyword, looking through leading parentheses and a WITH clause. */
function mainKeyword(tokens: readonly Token[]): Token | undefined {
  const first = tokens.find((t) => t.text !== '(');
  if (first?.text !== 'WITH') return first;
  // WITH [RECURSIVE] name [(cols)] AS (...) [, ...] <main statement>: the first depth-0 word after
  // the CTE bodies that is a statement keyword.
  const base = first.depth;
  for (const t of tokens) {
    if (t.depth === base && t.word && ['SELECT', 'UPDATE', 'DELETE', 'INSERT', 'REPLACE'].includes(t.text)) {
      return t;
    }
  }
  return first;
}

function selectFacts(tokens: readonly Token[], start: number): { lock: boolean; lastInsertId: boolean } {
  const base = tokens[start]!.depth;
  let lock = false;
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.depth > base || !t.word) continue;
    const next = tokens[k + 1]?.text;
    if (t.text === 'FOR' && (next === 'UPDATE' || next === 'SHARE')) lock = true;
    if (t.text === 'LOCK' && next === 'IN' && tokens[k + 2]?.text === 'SHARE') lock = true;
  }
  // Top-level select list: from after SELECT (and its modifiers) to the depth-0 FROM or end.
  const projections: string[][] = [[]];
  for (let k = start + 1; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (
      t.depth === base &&
      t.word &&
      ['FROM', 'WHERE', 'UNION', 'INTO', 'FOR', 'LIMIT', 'ORDER', 'GROUP'].includes(t.text)
    ) {
      break;
    }
    if (t.depth === base && t.text === ',') projections.push([]);
    else projections.at(-1)!.push(t.text);
  }
  const lastInsertId = projections.some((p) => {
    // Drop an alias ("AS id" or a bare trailing identifier after the closing parenthesis).
    let parts = p;
    const asAt = parts.lastIndexOf('AS');
    if (asAt > 0 && parts[asAt - 1] === ')') parts = parts.slice(0, asAt);
    else if (parts.length > 1 && parts.at(-2) === ')' && parts.at(-1) !== ')') parts = parts.slice(0, -1);
    return parts.join('') === 'LAST_INSERT_ID()';
  });
  return { lock, lastInsertId };
}

/** Most distinct statement texts whose classification is kept; the cache is emptied when it is full. */
export const CLASSIFY_CACHE_LIMIT = 1024;
// Parameterised statements repeat, so their classification is cached by text (ShardingSphere caches
// parsed statements too, in its SQL parser engine). Bounded: cleared when it reaches the limit.
const cache = new Map<string, ClassifiedStatement>();

/** Classifies one statement for routing. Never throws; unknown text is `{ kind: 'other' }` (routed to the primary). */
export function classifyStatement(sql: string): ClassifiedStatement {
  const hit = cache.get(sql);
  if (hit) return hit;
  const classified = classifyUncached(sql);
  if (cache.size >= CLASSIFY_CACHE_LIMIT) cache.clear();
  cache.set(sql, classified);
  return classified;
}

function classifyUncached(sql: string): ClassifiedStatement {
  const { tokens, hint } = tokenize(sql);
  const main = mainKeyword(tokens);
  const word = main?.text ?? '';
  const at = main ? tokens.indexOf(main) : -1;
  const next = tokens[at + 1]?.text;
  let statement: StatementKind;
  if (word === 'SELECT') {
    statement = { kind: 'select', ...selectFacts(tokens, at) };
  } else if (word === 'BEGIN' || (word === 'START' && next === 'TRANSACTION')) {
    statement = { kind: 'begin' };
  } else if (word === 'COMMIT') {
    statement = { kind: 'commit' };
  } else if (word === 'ROLLBACK' && next !== 'TO') {
    statement = { kind: 'rollback' };
  } else if (
    word === 'SET' &&
    (next === 'AUTOCOMMIT' || next === '@@AUTOCOMMIT' || next === '@@SESSION.AUTOCOMMIT')
  ) {
    const value = tokens[at + 3]?.text;
    statement = { kind: 'autocommit', on: value === '1' || value === 'ON' || value === 'TRUE' };
  } else {
    statement = { kind: 'other', keyword: word };
  }
  return { statement, hintWriteRouteOnly: hint };
}
