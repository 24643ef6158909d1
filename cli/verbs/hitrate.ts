import { LimitError, limitValue } from '../../sim/limits.ts';
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
import { limitValues } from '../limits.ts';
import { group, out } from '../output.ts';

/** `hasim hitrate [trace] [--sizes N,N,...]`: a table of hit rates per policy and size. */
export function hitrate(parsed: Parsed): number {
  const { positionals } = parsed;
  if (positionals.length > 1)
    throw new UsageError(`hasim hitrate: expected one trace, got ${positionals.length}`);
  const traceArg = positionals[0] ?? 'all';
  const limits = limitValues('hitrate', parsed);
  const sizes = parseSizes(stringValue(parsed, 'sizes'), limitValue(limits, 'cacheEntries'));
  // Where web07 and web12 are read from: data/traces, unless HASIM_TRACES_DIR names another folder.
  const realTracesDir = process.env.HASIM_TRACES_DIR || undefined;
  const names = traceArg === 'all' ? [...REAL_TRACES, ...Object.keys(SYNTHETIC_TRACES)] : [traceArg];
  const policies = defaultPolicies(HIT_RATE_SEED);
  out(`hasim hitrate  seed '${HIT_RATE_SEED}' (synthetic traces and W-TinyLFU admission draws)`);
  for (const name of names) {
    let loaded: ReturnType<typeof loadTrace>;
    try {
      loaded = loadTrace(name, undefined, {
        maxKeys: limitValue(limits, 'keyTraceKeys'),
        ...(realTracesDir === undefined ? {} : { realTracesDir }),
      });
    } catch (error) {
      if (error instanceof LimitError) throw error;
      throw new UsageError(`hasim hitrate: ${(error as Error).message}`);
    }
    const { trace, defaultSizes } = loaded;
    out(`\n${trace.name}: ${group(trace.keys.length)} requests, ${group(distinctKeys(trace))} distinct keys`);
    out(formatHitRateTable(simulateHitRates(trace, sizes ?? defaultSizes, policies), policies));
  }
  return EXIT.ok;
}

/** Sizes `--sizes` may list. */
const MAX_SIZES = 20;

function parseSizes(text: string | undefined, maxEntries: number): number[] | undefined {
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((v) => (/^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN));
  if (sizes.length > MAX_SIZES || sizes.some((v) => !Number.isSafeInteger(v) || v <= 0)) {
    throw new UsageError(
      `hasim hitrate: --sizes: expected up to ${MAX_SIZES} positive integers separated by commas, got '${text.slice(0, 60)}'`,
    );
  }
  const largest = Math.max(...sizes);
  if (largest > maxEntries) throw new LimitError('cacheEntries', maxEntries, '--sizes', `${largest} entries`);
  return sizes;
}
