import { syntaxError } from './errors.ts';

/**
 * The lexical layer of the simulated dialect: one pass over a statement as MariaDB's lexer
 * (sql_lex.cc) reads it, so that the classifier and the translator never look inside a string
 * literal or a comment. String literals follow the MariaDB Knowledge Base "String Literals"
 * (https://mariadb.com/kb/en/string-literals/) with the default sql_mode (no
 * NO_BACKSLASH_ESCAPES, no ANSI_QUOTES): '…' and "…" both quote strings, a quote is doubled
 * ('' inside '…', "" inside "…") or escaped with a backslash, and adjacent literals are one
 * string ('a' 'b' is 'ab').
 *
 * The result is the statement *masked*: every literal replaced by a marker `'\uE000N'` (N its
 * index), comments replaced by one space, a trailing `;` dropped. Regular expressions over the
 * masked text see a literal as one quoted token with no keyword, comma, parenthesis or `?`
 * inside; `toSqlite` and `toSource` put the literals back, in SQLite's spelling or as typed.
 */
export interface Lexed {
  /** The statement with literals masked, comments blanked, trailing `;` and whitespace removed. */
  readonly masked: string;
  /** The value of each literal, by marker index. */
  readonly literals: readonly string[];
  /** Each literal's source text as typed (quotes and escapes included), by marker index. */
  readonly sources: readonly string[];
}

/** The marker of literal `i` in a masked statement. */
export const literalMarker = (i: number) => `'\uE000${i}'`;

/** Matches one marker; group 1 is its index. */
export const MARKER_RE = /'\uE000(\d+)'/g;

/**
 * MariaDB's backslash escapes (KB "String Literals", table "Escape Sequences"). `\%` and `\_`
 * keep their backslash (they are LIKE-pattern escapes); any other escaped character stands for
 * itself (`\x` is `x`).
 */
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  "'": "'",
  '"': '"',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
  '\\': '\\',
  '%': '\\%',
  _: '\\_',
};

/** The character-set introducers accepted in front of a literal (`_utf8mb4'…'`, KB "Character Set Introducers"). */
const INTRODUCER_RE = /^_(utf8mb4|utf8mb3|utf8|latin1|binary|ascii)$/i;

/** Lexes one statement; throws 1064 for an unterminated literal or comment, or a second statement. */
export function lex(sql: string): Lexed {
  const literals: string[] = [];
  const sources: string[] = [];
  let out = '';
  let i = 0;
  let introducer = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const start = i - introducer;
      introducer = 0;
      let value = '';
      // Adjacent literals (separated by whitespace only) are one string.
      for (;;) {
        const read = readQuoted(sql, i);
        value += read.value;
        i = read.end;
        let j = i;
        while (j < n && isSpace(sql[j]!)) j++;
        if (j < n && (sql[j] === "'" || sql[j] === '"')) i = j;
        else break;
      }
      out += literalMarker(literals.length);
      literals.push(value);
      sources.push(sql.slice(start, i));
      continue;
    }
    if (c === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) throw syntaxError(sql.slice(i), 'unterminated quoted identifier');
      let j = end;
      // `` inside a quoted identifier is one backtick.
      while (sql[j + 1] === '`') {
        const next = sql.indexOf('`', j + 2);
        if (next < 0) throw syntaxError(sql.slice(i), 'unterminated quoted identifier');
        j = next;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*' && sql[i + 2] !== '!' && !sql.startsWith('/*M!', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw syntaxError(sql.slice(i), 'unterminated comment');
      out += ' ';
      i = end + 2;
      continue;
    }
    // `-- ` needs a space or control character after the dashes (KB "Comment Syntax"); `#` does not.
    if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || sql.charCodeAt(i + 2) <= 32))) {
      const nl = sql.indexOf('\n', i);
      out += ' ';
      i = nl < 0 ? n : nl + 1;
      continue;
    }
    if (c === ';') {
      const rest = sql.slice(i + 1);
      if (lex(rest).masked !== '') throw syntaxError(rest.trim(), 'one statement per query');
      break;
    }
    // A character-set introducer or N in front of a literal only names its character set.
    if ((c === '_' || c === 'N' || c === 'n') && !isWordChar(sql[i - 1])) {
      const m = /^(?:N|_\w+)(?=['"])/i.exec(sql.slice(i, i + 12));
      if (m && (m[0].length === 1 || INTRODUCER_RE.test(m[0]))) {
        introducer = m[0].length; // part of the literal's source text, not of the masked statement
        i += introducer;
        continue;
      }
    }
    out += c;
    i++;
  }
  return { masked: out.trim(), literals, sources };
}

/** One quoted string starting at `at`: its value and the index after its closing quote. */
function readQuoted(sql: string, at: number): { value: string; end: number } {
  const quote = sql[at]!;
  let value = '';
  let i = at + 1;
  for (;;) {
    const next = nextSpecial(sql, i, quote);
    if (next < 0) throw syntaxError(sql.slice(at), 'unterminated string literal');
    value += sql.slice(i, next);
    if (sql[next] === '\\') {
      if (next + 1 >= sql.length) throw syntaxError(sql.slice(at), 'unterminated string literal');
      const e = sql[next + 1]!;
      value += ESCAPES[e] ?? e;
      i = next + 2;
    } else if (sql[next + 1] === quote) {
      value += quote;
      i = next + 2;
    } else {
      return { value, end: next + 1 };
    }
  }
}

// The next backslash or `quote` at or after `from`, or -1.
function nextSpecial(sql: string, from: number, quote: string): number {
  const q = sql.indexOf(quote, from);
  const b = sql.indexOf('\\', from);
  if (b < 0 || (q >= 0 && q < b)) return q;
  return b;
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
const isWordChar = (c: string | undefined) => c !== undefined && /[\w$]/.test(c);

/**
 * A literal in SQLite's spelling: '…' with quotes doubled. SQLite stops reading a statement at
 * a NUL, so a value holding NUL is spelled as a concatenation with char(0).
 */
export function sqliteLiteral(value: string): string {
  const quoted = (s: string) => `'${s.replaceAll("'", "''")}'`;
  if (!value.includes('\0')) return quoted(value);
  return `(${value
    .split('\0')
    .map((part) => quoted(part))
    .join(' || char(0) || ')})`;
}

/** `masked` with its literals in SQLite's spelling, for SQLite to run. */
export function toSqlite(masked: string, lexed: Pick<Lexed, 'literals'>): string {
  return masked.replace(MARKER_RE, (_m, i: string) => sqliteLiteral(lexed.literals[Number(i)] ?? ''));
}

/** `masked` with its literals as the client typed them (for result column names and messages). */
export function toSource(masked: string, lexed: Pick<Lexed, 'sources'>): string {
  return masked.replace(MARKER_RE, (_m, i: string) => lexed.sources[Number(i)] ?? '');
}

/** The value of the literal whose marker `token` is, or undefined when `token` is not a marker. */
export function literalValue(token: string, lexed: Pick<Lexed, 'literals'>): string | undefined {
  const m = /^'\uE000(\d+)'$/.exec(token.trim());
  return m ? lexed.literals[Number(m[1])] : undefined;
}
