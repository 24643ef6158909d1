import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { kindOf, type Scenario, scenarioSchema } from './registry.ts';

/**
 * Scenario files: YAML, validated against the schema of the scenario's `kind`. Every failure becomes
 * one `ScenarioError` naming the file, the line, the field path and what was expected.
 */

/** A scenario file that cannot be used, with a one-line message for the user. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Reads, parses and validates a scenario file. Throws `ScenarioError` with a one-line message. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code);
    throw new ScenarioError(`${path}: cannot read scenario file (${why})`);
  }
  return parseScenario(text, path);
}

/** Parses and validates scenario YAML text; `source` names it in messages. */
export function parseScenario(text: string, source: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const at = yamlError.linePos?.[0];
    const where = at ? `${source}:${at.line}:${at.col}` : source;
    throw new ScenarioError(`${where}: invalid YAML: ${firstLine(yamlError.message)}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError(`${source}: expected a mapping of scenario fields at the top level`);
  }
  const result = scenarioSchema.safeParse(data);
  if (result.success) {
    // What the schema cannot see: fault targets that do not exist, unknown metrics in expectations.
    const problem = kindOf(result.data).check(result.data);
    if (problem === undefined) return result.data;
    const node = doc.getIn(problem.path as (string | number)[], true);
    const offset =
      node && typeof node === 'object' && 'range' in node && Array.isArray(node.range) ? node.range[0] : undefined;
    const line = typeof offset === 'number' ? `:${lineCounter.linePos(offset).line}` : '';
    throw new ScenarioError(`${source}${line}: ${problem.path.join('.')}: ${problem.message}`);
  }
  // An unknown key usually explains a "missing" one (a typo), so report it first.
  const issues = result.error.issues;
  const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0]!;
  const path = issue.path.map(String);
  // Point at the offending key itself for unknown fields, else at the field's value.
  const nodePath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const node = nodePath.length > 0 ? doc.getIn(nodePath as (string | number)[], true) : undefined;
  const offset =
    node && typeof node === 'object' && 'range' in node && Array.isArray(node.range)
      ? node.range[0]
      : undefined;
  const line = typeof offset === 'number' ? `:${lineCounter.linePos(offset).line}` : '';
  const field = path.length > 0 ? path.join('.') : '(top level)';
  throw new ScenarioError(`${source}${line}: ${field}: ${describeIssue(issue, data)}`);
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const got = valueAt(data, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    case 'invalid_union':
      return issue.message;
    case 'invalid_value':
      return `${issue.message}, got ${show(got)}`;
    case 'invalid_type':
      if (got === undefined) return `required field is missing (expected ${issue.expected})`;
      return `${issue.message}, got ${show(got)}`;
    default:
      return `${issue.message}, got ${show(got)}`;
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
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'a list' : 'a mapping';
  return String(v);
}

function firstLine(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?$/, '')
    .trim();
}
