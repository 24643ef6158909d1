import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  LineCounter,
  parseDocument,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { LimitError, type LimitValues, limitValue } from '../limits.ts';
import { type Layer, resolveExtends } from './extends.ts';
import { kindOf, type Scenario, scenarioSchema } from './registry.ts';

/**
 * Scenario files: YAML, validated against the schema of the scenario's `kind`. Every failure becomes
 * one `ScenarioError` naming the file, the line, the field path and what was expected, or a
 * `LimitError` naming the limit (file size, alias expansions) and the flag that raises it.
 */

/** A scenario file that cannot be used, with a one-line message for the user. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Unknown keys named in one message; the rest are counted. */
const KEYS_SHOWN = 5;
/** Characters of a key or value quoted in a message. */
const QUOTE_CHARS = 60;

/**
 * Reads, parses and validates a scenario file. Throws `ScenarioError` or `LimitError` with a
 * one-line message. Reads at most `scenarioBytes` + 1 bytes, so a huge file, a FIFO or /dev/zero
 * costs no more than a file at the limit.
 */
export function loadScenarioFile(path: string, limits?: LimitValues): Scenario {
  return parseScenario(readScenarioText(path, limits, `${path}: cannot read scenario file`), path, limits);
}

/** The text of a scenario file (or of a file it extends); `cannot` starts the message when it cannot be read. */
function readScenarioText(path: string, limits: LimitValues | undefined, cannot: string): string {
  const maxBytes = limitValue(limits, 'scenarioBytes');
  let bytes: Buffer;
  try {
    bytes = readAtMost(path, maxBytes + 1);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code);
    throw new ScenarioError(`${cannot} (${why})`);
  }
  if (bytes.length > maxBytes) throw new LimitError('scenarioBytes', maxBytes, path, 'the file is too large');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScenarioError(`${path}: not a UTF-8 text file (a scenario is YAML text)`);
  }
}

function readAtMost(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    if (fstatSync(fd).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    const buffer = Buffer.alloc(Math.min(maxBytes, 1 << 16));
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < maxBytes) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, maxBytes - total), null);
      if (n === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, n)));
      total += n;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * Parses and validates scenario YAML text; `source` names it in messages, and the files it
 * `extends:` are found relative to it (extends.ts).
 */
export function parseScenario(text: string, source: string, limits?: LimitValues): Scenario {
  const layer = resolveExtends(parseLayer(text, source, limits), source, {
    read: (path, where, field) =>
      parseLayer(readScenarioText(path, limits, `${where}: ${field}: cannot read '${path}'`), path, limits),
    error: (message) => new ScenarioError(message),
  });
  return validate(layer.data, layer.locate, source);
}

/** One YAML file's top-level mapping, with the line of each of its fields. */
function parseLayer(text: string, source: string, limits: LimitValues | undefined): Layer {
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    throw new ScenarioError(`${source}:${line}: contains a NUL byte (a scenario is YAML text)`);
  }
  const lineCounter = new LineCounter();
  // Duplicate keys are checked below in linear time; the yaml library's own check is quadratic.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const at = problem.linePos?.[0];
    const where = at ? `${source}:${at.line}:${at.col}` : source;
    throw new ScenarioError(`${where}: invalid YAML: ${firstLine(problem.message)}`);
  }
  try {
    checkStructure(doc, (offset) => `${source}:${lineCounter.linePos(offset).line}`);
  } catch (error) {
    if (error instanceof RangeError)
      throw new ScenarioError(`${source}: invalid YAML: ${firstLine(error.message)}`);
    throw error;
  }
  const maxAliasCount = limitValue(limits, 'yamlAliases');
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount });
  } catch (error) {
    // The yaml library throws a ReferenceError when aliases expand beyond maxAliasCount.
    if (error instanceof ReferenceError && /alias count/i.test(error.message))
      throw new LimitError('yamlAliases', maxAliasCount, source, 'its aliases expand too often');
    throw new ScenarioError(`${source}: invalid YAML: ${firstLine((error as Error).message)}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError(`${source}: expected a mapping of scenario fields at the top level`);
  }
  const locate = (path: readonly (string | number)[]) => {
    const node = path.length > 0 ? doc.getIn(path as (string | number)[], true) : undefined;
    const offset =
      node && typeof node === 'object' && 'range' in node && Array.isArray(node.range)
        ? node.range[0]
        : undefined;
    return typeof offset === 'number' ? `${source}:${lineCounter.linePos(offset).line}` : undefined;
  };
  return { data: data as Record<string, unknown>, locate };
}

/**
 * What JSON conversion cannot express or would hide, refused with the line: a key that is a
 * mapping or a list, a key given twice, an alias to an anchor not set before it.
 */
function checkStructure(doc: Document, at: (offset: number) => string): void {
  const anchors = new Set<string>();
  const offsetOf = (node: unknown) =>
    node && typeof node === 'object' && 'range' in node && Array.isArray(node.range) ? node.range[0] : 0;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (!anchors.has(node.source))
          throw new ScenarioError(
            `${at(offsetOf(node))}: invalid YAML: alias *${quote(node.source)} has no anchor &${quote(node.source)} before it`,
          );
      } else if (node.anchor) {
        anchors.add(node.anchor);
      }
      if (!isMap(node)) return;
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (isCollection(pair.key))
          throw new ScenarioError(
            `${at(offsetOf(pair.key))}: invalid YAML: a key must be a plain value, not a mapping or a list`,
          );
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key))
          throw new ScenarioError(
            `${at(offsetOf(pair.key))}: invalid YAML: key '${quote(key)}' appears twice in this mapping`,
          );
        seen.add(key);
      }
    },
  });
}

function validate(data: object, locate: Layer['locate'], source: string): Scenario {
  const result = scenarioSchema.safeParse(data);
  if (result.success) {
    // What the schema cannot see: fault targets that do not exist, unknown metrics in expectations.
    const problem = kindOf(result.data).check(result.data);
    if (problem === undefined) return result.data;
    const at = locate(problem.path as (string | number)[]) ?? source;
    throw new ScenarioError(`${at}: ${problem.path.join('.')}: ${problem.message}`);
  }
  // An unknown key usually explains a "missing" one (a typo), so report it first.
  const issues = result.error.issues;
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  const path = issue.path.map(String);
  // Point at the offending key itself for unknown fields, else at the field's value.
  const nodePath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const at = locate(nodePath as (string | number)[]) ?? source;
  const field = path.length > 0 ? path.map(quote).join('.') : '(top level)';
  throw new ScenarioError(`${at}: ${field}: ${describeIssue(issue, data)}`);
}

/** `text` cut to `QUOTE_CHARS` characters, with control characters escaped, for a message. */
function quote(text: string): string {
  const safe = JSON.stringify(text).slice(1, -1);
  return safe.length > QUOTE_CHARS ? `${safe.slice(0, QUOTE_CHARS)}…` : safe;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const got = valueAt(data, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const shown = issue.keys.slice(0, KEYS_SHOWN).map((k) => `'${quote(k)}'`);
      const more = issue.keys.length - shown.length;
      const list = more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${list}`;
    }
    case 'invalid_union':
      return issue.message;
    case 'invalid_value':
      return `${issue.message}, got ${show(got)}`;
    case 'invalid_type':
      if (got === undefined) return `required field is missing (expected ${issue.expected})`;
      return `${issue.message}, got ${show(got)}`;
    default:
      // A custom check (a duration, a threshold) may already quote the value it was given.
      return / got /.test(issue.message) ? issue.message : `${issue.message}, got ${show(got)}`;
  }
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return `"${quote(v)}"`;
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'a mapping';
  return String(v);
}

function firstLine(message: string): string {
  if (/Maximum call stack size exceeded/.test(message)) return 'the document nests too deeply';
  if (message.startsWith('Source contains multiple documents'))
    return "a scenario file holds one YAML document, this one has more (a second '---')";
  return message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
}
