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
 * Parses `args` against `options` (and `--help`) strictly: an unknown flag or a flag without its
 * value is a `UsageError` naming the verb.
 */
export function parseVerbArgs(verb: string, args: readonly string[], options: readonly OptionSpec[]): Parsed {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of [...options, HELP_OPTION])
    config[o.name] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: config, allowPositionals: true });
    return { values: values as Parsed['values'], positionals };
  } catch (error) {
    // Node's messages run on with advice for `--` and a second sentence: keep the first clause.
    const message = (error as Error).message.split('\n')[0]?.split('. ')[0];
    throw new UsageError(`hasim ${verb}: ${message} (see hasim ${verb} --help)`);
  }
}

/** A string flag's value, if given. */
export function stringValue(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}
