import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type CliRun, cli, SMALL_SCENARIO, scratch, stderrLines } from '../cli/in-process.ts';
import { ROOT } from '../helpers/cli.ts';

// The CLI against mutated scenario files, corrupted traces and odd argument lists, in process
// (through `main`, which returns the exit code). Every case must end with a documented exit code,
// exactly one line on stderr when it is not 0 (none when it is), no stack trace and no Node
// warning, within a time and a memory bound. Each property has a named seed; a failure prints
// the seed and the shrunk case, and `HASIM_FUZZ_RUNS=N` runs N cases per property instead.

const SEEDS = { scenarios: 1_301, traces: 1_302, args: 1_303 } as const;
const RUNS = Number(process.env.HASIM_FUZZ_RUNS) || undefined;
/** Bounds on one case: wall time in ms and growth of the V8 heap in bytes. */
const CASE_MS = 10_000;
const CASE_HEAP_BYTES = 400 * 1024 * 1024;

const tmp = scratch('hasim-fuzz-');
const cwd = process.cwd();
let small: string;
let traceLines: string[];

beforeAll(async () => {
  // `hasim run` without --out writes under ./out: keep that in the scratch folder.
  process.chdir(tmp.dir);
  small = tmp.file('small.yaml', SMALL_SCENARIO.replace('durationMs: 2000', 'durationMs: 1000'));
  const run = await cli(['run', small, '--out', join(tmp.dir, 'base'), '--quiet']);
  expect(run.code).toBe(0);
  traceLines = readFileSync(join(tmp.dir, 'base', 'trace.jsonl'), 'utf8')
    .split('\n')
    .slice(0, -1);
});
afterAll(() => {
  process.chdir(cwd);
  tmp.dispose();
});

/** Runs one case and checks what every case must satisfy; returns the run for further checks. */
async function checkedCli(args: string[], allowed: readonly number[], seen?: Set<number>): Promise<CliRun> {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const run = await cli(args);
  const what = `hasim ${JSON.stringify(args)} → ${run.code}\n${run.stderr}`;
  expect(allowed, what).toContain(run.code);
  expect(stderrLines(run), what).toHaveLength(run.code === 0 ? 0 : 1);
  expect(run.stderr, what).not.toMatch(/\n\s+at |Error: |TypeError|ReferenceError/);
  expect(run.warnings, what).toEqual([]);
  expect(performance.now() - started, what).toBeLessThan(CASE_MS);
  expect(process.memoryUsage().heapUsed - heapBefore, what).toBeLessThan(CASE_HEAP_BYTES);
  seen?.add(run.code);
  return run;
}

// ---- scenario files ------------------------------------------------------------------------

/** The value type an arbitrary generates. */
type Of<A> = A extends fc.Arbitrary<infer T> ? T : never;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every shipped scenario, its arrivals cut to one second so that a valid mutation runs fast. */
const bases: Array<{ name: string; value: Record<string, Json> }> = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => {
    const value = parse(readFileSync(join(ROOT, 'scenarios', f), 'utf8')) as Record<string, Json>;
    if (typeof value.durationMs === 'number') value.durationMs = Math.min(value.durationMs, 1000);
    return { name: f, value };
  });

function paths(value: Json, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const extremeNumber = fc.constantFrom(0, -1, 1e308, -1e308, 1e-308, 2 ** 53, 1.5, 1e9, 1e6, 0.001, -0);
const replacement: fc.Arbitrary<Json> = fc.oneof(
  extremeNumber,
  fc.constantFrom('500ms', '1s', '10 000', '1e3', '', 'fast', 'true', '.inf', '.nan'),
  fc.constantFrom<Json>(null, true, false, [], {}, [1, 2], { a: 1 }),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
);

/** One mutation of a scenario value: [kind, path index, replacement, new key]. */
const valueMutation = fc.tuple(
  fc.constantFrom('delete', 'replace', 'unknown-key', 'wrap'),
  fc.nat(),
  replacement,
  fc.string({ minLength: 1, maxLength: 12 }),
);
/** One mutation of a scenario's text after it is written. */
const textMutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.string({ maxLength: 8, unit: 'binary' }),
  }),
  fc.record({
    kind: fc.constant('append' as const),
    text: fc.constantFrom(
      'x: &a [1]\ny: *b\n',
      '---\nkind: llm-smoke\n',
      '? [a]\n: 1\n',
      'tag: !custom x\n',
      'name: again\n',
      '\t bad: indent\n',
      '\u0000\n',
    ),
  }),
);

function mutateValue(base: Record<string, Json>, mutation: Of<typeof valueMutation>): Json {
  const [kind, index, value, newKey] = mutation;
  const copy = structuredClone(base) as Json;
  const all = paths(copy);
  const path = all[index % all.length]!;
  if (path.length === 0) return kind === 'replace' ? value : copy;
  let parent = copy as Record<string, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, Json>;
  const last = path.at(-1)!;
  if (kind === 'delete') delete parent[last];
  else if (kind === 'replace') parent[last] = value;
  else if (kind === 'wrap') parent[last] = [parent[last] ?? null];
  else if (typeof parent[last] === 'object' && parent[last] !== null && !Array.isArray(parent[last]))
    (parent[last] as Record<string, Json>)[newKey] = value;
  else parent[newKey] = value;
  return copy;
}

function mutateText(text: string, mutation: Of<typeof textMutation>): string {
  if (mutation.kind === 'truncate') return text.slice(0, mutation.at % (text.length + 1));
  if (mutation.kind === 'append') return `${text}${mutation.text}`;
  const at = mutation.at % (text.length + 1);
  return `${text.slice(0, at)}${mutation.text}${text.slice(at)}`;
}

describe('fuzz: mutated scenario files', () => {
  it('end in exit 0 or 2 with one line, no stack trace, bounded time and memory', async () => {
    let n = 0;
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(valueMutation, { minLength: 1, maxLength: 3 }),
        fc.option(textMutation, { freq: 3 }),
        async (which, valueMutations, text) => {
          const base = bases[which % bases.length]!;
          let value: Json = base.value;
          for (const m of valueMutations) value = mutateValue(value as Record<string, Json>, m);
          let yaml = stringify(value);
          if (text !== null) yaml = mutateText(yaml, text);
          const file = tmp.file('mutated.yaml', yaml);
          const out = join(tmp.dir, `scenario-out-${n++ % 4}`);
          await checkedCli(['run', file, '--out', out, '--quiet', '--max-events', '10000'], [0, 2], seen);
        },
      ),
      { seed: SEEDS.scenarios, numRuns: RUNS ?? 150 },
    );
    // Both outcomes occur: the mutations reach the runner, not only the loader.
    expect([...seen].sort()).toEqual([0, 2]);
  });
});

// ---- traces --------------------------------------------------------------------------------

const traceMutation = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('edit' as const),
    at: fc.nat(),
    text: fc.string({ maxLength: 4, unit: 'binary' }),
  }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('crlf' as const) }),
  fc.record({
    kind: fc.constant('json' as const),
    line: fc.constantFrom(0, -1),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    kind: fc.constant('long-line' as const),
    line: fc.nat(),
    chars: fc.integer({ min: 1, max: 200_000 }),
  }),
);

function mutateTrace(lines: readonly string[], m: Of<typeof traceMutation>): string {
  const ls = [...lines];
  const text = () => `${ls.join('\n')}\n`;
  switch (m.kind) {
    case 'truncate':
      return text().slice(0, m.at % text().length);
    case 'edit': {
      const t = text();
      const at = m.at % t.length;
      return `${t.slice(0, at)}${m.text}${t.slice(at + m.text.length)}`;
    }
    case 'swap': {
      const a = m.a % ls.length;
      const b = m.b % ls.length;
      [ls[a], ls[b]] = [ls[b]!, ls[a]!];
      return text();
    }
    case 'delete':
      ls.splice(m.line % ls.length, 1);
      return text();
    case 'duplicate':
      ls.splice(m.line % ls.length, 0, ls[m.line % ls.length]!);
      return text();
    case 'crlf':
      return ls.map((l) => `${l}\r\n`).join('');
    case 'json':
      ls[m.line < 0 ? ls.length - 1 : 0] = JSON.stringify(m.value);
      return text();
    case 'long-line':
      ls[m.line % ls.length] = `{"t":0,"c":"client","k":"x","pad":"${'y'.repeat(m.chars)}"}`;
      return text();
  }
}

describe('fuzz: corrupted traces', () => {
  it('replay ends in exit 0, 1 or 2 with one line, no stack trace, bounded time and memory', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.array(traceMutation, { minLength: 1, maxLength: 2 }), async (mutations) => {
        let text = `${traceLines.join('\n')}\n`;
        for (const m of mutations) text = mutateTrace(text.replace(/\n$/, '').split('\n'), m);
        const file = tmp.file('mutated.jsonl', text);
        await checkedCli(['replay', file, '--max-events', '100000'], [0, 1, 2], seen);
      }),
      { seed: SEEDS.traces, numRuns: RUNS ?? 100 },
    );
    expect(seen).toContain(2);
  });
});

// ---- argument lists ------------------------------------------------------------------------

const token = () =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '--seed',
        '--out',
        '--quiet',
        '--sizes',
        '--max-events',
        '--max-keys',
        '--max-line-bytes',
        '--max-scenario-bytes',
        '-h',
        '--help',
        '--',
        '-x',
        '--seed=-1',
        '--nope',
      ),
    },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '-1',
        '0',
        '1',
        '1e9',
        'stampede',
        '',
        ' ',
        '../x',
        '/proc/x/y',
        'missing.yaml',
        '10,20',
        '0,x',
        '64KiB',
        '\u0000',
        'loop',
        'bogus',
        '/dev/null',
        '.',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );

describe('fuzz: argument lists', () => {
  it('end in a documented exit code with one line, no stack trace, bounded time and memory', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('run', 'replay', 'hitrate', 'help', '--help', '--version', 'explode', ''),
        fc.array(token(), { maxLength: 6 }),
        async (verb, rest) => {
          // A run reads the short scenario, not the built-in minute; a hit-rate replay a small trace.
          const args = [verb, ...rest];
          if (verb === 'run') args.splice(1, 0, small, '--max-events', '2000');
          if (verb === 'replay') args.splice(1, 0, join(tmp.dir, 'base', 'trace.jsonl'));
          if (verb === 'hitrate') args.splice(1, 0, 'loop', '--sizes', '100');
          mkdirSync(join(tmp.dir, 'out'), { recursive: true });
          await checkedCli(verb === '' ? rest : args, [0, 1, 2]);
        },
      ),
      { seed: SEEDS.args, numRuns: RUNS ?? 100 },
    );
  });
});
