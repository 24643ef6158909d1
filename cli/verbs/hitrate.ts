import {
  defaultPolicies,
  distinctKeys,
  formatHitRateTable,
  HIT_RATE_SEED,
  loadTrace,
  REAL_TRACES,
  SYNTHETIC_TRACES,
  simulateHitRates,
} from '../../tools/hitrate/index.ts';
import { type Parsed, stringValue } from '../args.ts';
import { EXIT, UsageError } from '../errors.ts';
import { group, out } from '../output.ts';

/** `hasim hitrate [trace] [--sizes N,N,...]`: a table of hit rates per policy and size. */
export function hitrate(parsed: Parsed): number {
  const { positionals } = parsed;
  if (positionals.length > 1)
    throw new UsageError(`hasim hitrate: expected one trace, got ${positionals.length}`);
  const traceArg = positionals[0] ?? 'all';
  const sizes = parseSizes(stringValue(parsed, 'sizes'));
  const names = traceArg === 'all' ? [...REAL_TRACES, ...Object.keys(SYNTHETIC_TRACES)] : [traceArg];
  const policies = defaultPolicies(HIT_RATE_SEED);
  out(`hasim hitrate  seed '${HIT_RATE_SEED}' (synthetic traces and W-TinyLFU admission draws)`);
  for (const name of names) {
    let loaded: ReturnType<typeof loadTrace>;
    try {
      loaded = loadTrace(name);
    } catch (error) {
      throw new UsageError(`hasim hitrate: ${(error as Error).message}`);
    }
    const { trace, defaultSizes } = loaded;
    out(`\n${trace.name}: ${group(trace.keys.length)} requests, ${group(distinctKeys(trace))} distinct keys`);
    out(formatHitRateTable(simulateHitRates(trace, sizes ?? defaultSizes, policies), policies));
  }
  return EXIT.ok;
}

function parseSizes(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((v) => Number(v.trim()));
  if (sizes.some((v) => !Number.isSafeInteger(v) || v <= 0)) {
    throw new UsageError(
      `hasim hitrate: --sizes: expected positive integers separated by commas, got '${text}'`,
    );
  }
  return sizes;
}
