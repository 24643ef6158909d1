import { LIMITS, type LimitName, type LimitValues } from '../sim/limits.ts';
import { type OptionSpec, type Parsed, parseAmount, stringValue } from './args.ts';
import { group } from './output.ts';

/** The limits whose flag `verb` takes, by name. */
function limitsOf(verb: string): LimitName[] {
  return (Object.keys(LIMITS) as LimitName[]).filter((name) =>
    (LIMITS[name].verbs as readonly string[]).includes(verb),
  );
}

/** The `--max-...` flags of `verb`, for its option list. */
export function limitOptions(verb: string): OptionSpec[] {
  return limitsOf(verb).map((name) => {
    const limit = LIMITS[name];
    return {
      name: limit.flag.slice(2),
      type: 'string',
      value: limit.unit === 'bytes' ? 'BYTES' : 'N',
      help: `at most this many ${limit.unit} ${limit.what} (default ${group(limit.defaultValue)}; docs/limits.md)`,
    };
  });
}

/** The limits `verb` was given flags for. */
export function limitValues(verb: string, parsed: Parsed): LimitValues {
  const values: LimitValues = {};
  for (const name of limitsOf(verb)) {
    const flag = LIMITS[name].flag;
    const text = stringValue(parsed, flag.slice(2));
    if (text !== undefined) values[name] = parseAmount(verb, flag, text);
  }
  return values;
}
