import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** One `--flag` of a verb, as its help lists it. */
export interface OptionSpec {
  /** The long name, without the dashes. */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** The one-letter alias, without the dash. */
  readonly short?: string;
  /** The value's placeholder in help, e.g. 'N' (string options only). */
  readonly value?: string;
  /** One line for the help's option list. */
  readonly help: string;
}

/** A verb's arguments after parsing: flags by long name, then the positionals in order. */
export interface Parsed {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Every verb takes `-h, --help`. */
export const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', short: 'h', help: 'show this help' };

/** An option's flag as help shows it: `--seed N`, `-h, --help`. */
export function flagText(option: OptionSpec): string {
  const long = `--${option.name}${option.value === undefined ? '' : ` ${option.value}`}`;
  return option.short === undefined ? long : `-${option.short}, ${long}`;
}

/**
 * Parses `args` against `options` (and `--help`) strictly: an unknown flag, a flag without its
 * value or a flag given twice is a `UsageError` naming the verb. A negative number after a flag
 * that takes a value is that value (`--seed -1` as `--seed=-1`).
 */
export function parseVerbArgs(verb: string, args: readonly string[], options: readonly OptionSpec[]): Parsed {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of [...options, HELP_OPTION])
    config[o.name] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  let parsed: ReturnType<typeof parseArgs<{ options: typeof config; allowPositionals: true; tokens: true }>>;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(args, options),
      options: config,
      allowPositionals: true,
      tokens: true,
    });
  } catch (error) {
    // Node's messages run on with advice for `--` and a second sentence: keep the first clause.
    const message = (error as Error).message.split('\n')[0]?.split('. ')[0];
    throw new UsageError(`hasim ${verb}: ${message} (see hasim ${verb} --help)`);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name))
      throw new UsageError(`hasim ${verb}: --${token.name} is given more than once (give it once)`);
    seen.add(token.name);
  }
  return { values: parsed.values as Parsed['values'], positionals: parsed.positionals };
}

/** `--flag -1` → `--flag=-1` for flags that take a value, which node:util's parseArgs calls ambiguous. */
function joinNegativeValues(args: readonly string[], options: readonly OptionSpec[]): string[] {
  const takesValue = (arg: string) =>
    options.some(
      (o) =>
        o.type === 'string' && (arg === `--${o.name}` || (o.short !== undefined && arg === `-${o.short}`)),
    );
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if (arg === '--') {
      joined.push(...args.slice(i));
      break;
    }
    if (next !== undefined && takesValue(arg) && /^-\d/.test(next)) {
      joined.push(
        `${arg.startsWith('--') ? arg : `--${options.find((o) => `-${o.short}` === arg)?.name}`}=${next}`,
      );
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * A flag's count: a whole number, optionally with a binary suffix (`64KiB`, `1MiB`, `2GiB`, or
 * `K`, `M`, `G`). A `UsageError` naming the flag otherwise.
 */
export function parseAmount(verb: string, flag: string, text: string): number {
  const m = /^(\d+)\s*(K|KiB|M|MiB|G|GiB)?$/i.exec(text.trim());
  const scale: Record<string, number> = {
    k: 2 ** 10,
    kib: 2 ** 10,
    m: 2 ** 20,
    mib: 2 ** 20,
    g: 2 ** 30,
    gib: 2 ** 30,
  };
  const value = m
    ? Number(m[1]) * (m[2] === undefined ? 1 : (scale[m[2].toLowerCase()] ?? Number.NaN))
    : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new UsageError(
      `hasim ${verb}: ${flag}: expected a positive whole number (e.g. 1000000 or 64MiB), got '${text.slice(0, 40)}'`,
    );
  return value;
}

/** A string flag's value, if given. */
export function stringValue(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}
