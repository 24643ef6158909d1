import { z } from 'zod';
import { parseDuration } from './duration.ts';
import type { Expectation, InvariantRegistry } from './evaluate.ts';
import { METRICS } from './metrics.ts';
import { type MetricSelector, parseSelector, parseThreshold, type Threshold } from './threshold.ts';

/** A duration field: integer ms or a string with a unit (`15s`). */
export const durationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration (integer ms, or 800ms, 15s, 2m), got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return ms;
});

const thresholdText = z.string({ error: "expected a threshold such as 'p(99)<5s'" });
const thresholdEntry = z.union([
  thresholdText,
  z.strictObject({ threshold: thresholdText, window: durationSchema.optional() }),
]);

const expectFields = {
  /** k6 thresholds: metric selector → list of `aggregation op bound`, each optionally per window. */
  thresholds: z
    .record(z.string(), z.array(thresholdEntry).min(1, 'expected at least one threshold'))
    .optional(),
  /** Invariants that must hold over the whole run, by name. */
  always: z.array(z.string()).optional(),
  /**
   * Invariants the run must break, by name: how an `article:` block states that the incident
   * shows (the same checker as `always:`, with the verdict reversed).
   */
  violated: z.array(z.string()).optional(),
  /**
   * Checks a run may or may not reach (Antithesis's `sometimes` assertions): never part of the
   * verdict; a sweep counts the seeds that reached each (coverage), e.g. 'sentinel.opens count>=1'.
   */
  sometimes: z.array(z.string({ error: "expected a check such as 'sentinel.opens count>=1'" })).optional(),
  /** Deadlines: after a time (or `heal`), within a duration, a check must hold to the end. */
  eventually: z
    .array(
      z.strictObject({
        after: z.union([z.literal('heal'), durationSchema]),
        within: durationSchema,
        check: z.string({ error: "expected a check such as 'gateway.errors rate<0.01'" }),
        window: durationSchema.optional(),
      }),
    )
    .optional(),
};

/** One block of expectations. */
export const expectBlockSchema = z.strictObject(expectFields);

/**
 * The `expect:` block of a scenario: expectations for every variant, plus `article:` and `fixed:`
 * blocks that hold only for that variant (the article's code is expected to show the incident,
 * the fix not to).
 */
export const expectSchema = z.strictObject({
  ...expectFields,
  article: expectBlockSchema.optional(),
  fixed: expectBlockSchema.optional(),
});

export type ExpectBlock = z.infer<typeof expectBlockSchema>;

/** A problem with one field of the `expect:` block: its path and what is wrong. */
export interface ExpectProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Turns the validated block into expectations, or the first problem (unknown metric, tag or
 * invariant, a threshold without an operator and bound, an aggregation the metric's type lacks).
 */
export function toExpectations(
  block: ExpectBlock,
  context: { readonly healMs: number | undefined; readonly invariants: InvariantRegistry },
): Expectation[] | ExpectProblem {
  const out: Expectation[] = [];
  for (const [metricText, entries] of Object.entries(block.thresholds ?? {})) {
    const selector = selectorOrProblem(metricText);
    if (typeof selector === 'string')
      return { path: ['expect', 'thresholds', metricText], message: selector };
    for (const [i, entry] of entries.entries()) {
      const text = typeof entry === 'string' ? entry : entry.threshold;
      const threshold = thresholdOrProblem(text, selector);
      if (typeof threshold === 'string') {
        return { path: ['expect', 'thresholds', metricText, i], message: threshold };
      }
      const windowMs = typeof entry === 'string' ? undefined : entry.window;
      const shown = `${metricText}: ${threshold.text}${windowMs === undefined ? '' : ` in every ${windowMs} ms window`}`;
      out.push(
        windowMs === undefined
          ? { kind: 'threshold', text: shown, selector, threshold }
          : { kind: 'threshold', text: shown, selector, threshold, windowMs },
      );
    }
  }
  for (const [i, name] of (block.always ?? []).entries()) {
    if (context.invariants[name] === undefined) {
      const known = Object.keys(context.invariants).join(', ');
      return { path: ['expect', 'always', i], message: `unknown invariant '${name}' (known: ${known})` };
    }
    out.push({ kind: 'always', text: `always ${name}`, invariant: name });
  }
  for (const [i, name] of (block.violated ?? []).entries()) {
    if (context.invariants[name] === undefined) {
      const known = Object.keys(context.invariants).join(', ');
      return { path: ['expect', 'violated', i], message: `unknown invariant '${name}' (known: ${known})` };
    }
    out.push({ kind: 'always', text: `violated ${name}`, invariant: name, violated: true });
  }
  for (const [i, check] of (block.sometimes ?? []).entries()) {
    const parsed = checkOrProblem(check);
    if (typeof parsed === 'string') return { path: ['expect', 'sometimes', i], message: parsed };
    out.push({ kind: 'threshold', text: `sometimes ${check}`, ...parsed, sometimes: true });
  }
  for (const [i, e] of (block.eventually ?? []).entries()) {
    const parsed = checkOrProblem(e.check);
    if (typeof parsed === 'string') return { path: ['expect', 'eventually', i, 'check'], message: parsed };
    const { selector, threshold } = parsed;
    let afterMs: number;
    if (e.after === 'heal') {
      if (context.healMs === undefined) {
        return {
          path: ['expect', 'eventually', i, 'after'],
          message: "'heal' needs a fault timeline with a last fault end (or a heal: time)",
        };
      }
      afterMs = context.healMs;
    } else {
      afterMs = e.after;
    }
    const afterText = e.after === 'heal' ? 'heal' : `${afterMs} ms`;
    out.push({
      kind: 'eventually',
      text: `within ${e.within} ms after ${afterText}: ${e.check}`,
      selector,
      threshold,
      afterMs,
      withinMs: e.within,
      windowMs: e.window ?? 5_000,
    });
  }
  return out;
}

function selectorOrProblem(text: string): MetricSelector | string {
  const selector = parseSelector(text);
  if (typeof selector === 'string') return selector;
  const def = METRICS[selector.metric];
  if (def === undefined)
    return `unknown metric '${selector.metric}' (metrics: ${Object.keys(METRICS).join(', ')})`;
  for (const tag of Object.keys(selector.tags)) {
    if (!def.tags.includes(tag))
      return `metric '${selector.metric}' has no tag '${tag}' (tags: ${def.tags.join(', ')})`;
  }
  return selector;
}

const AGGREGATIONS: Readonly<Record<string, readonly string[]>> = {
  trend: ['avg', 'min', 'max', 'med', 'p', 'count'],
  rate: ['rate', 'count'],
  counter: ['count', 'rate'],
};

function thresholdOrProblem(text: string, selector: MetricSelector): Threshold | string {
  const threshold = parseThreshold(text);
  if (typeof threshold === 'string') return threshold;
  const type = METRICS[selector.metric]?.type ?? 'trend';
  const allowed = AGGREGATIONS[type] ?? [];
  if (!allowed.includes(threshold.aggregation.kind)) {
    return `'${selector.metric}' is a ${type}: aggregations ${allowed.map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}`;
  }
  return threshold;
}

/** A check string (`metric aggregation op bound`) parsed, or what is wrong with it. */
function checkOrProblem(check: string): { selector: MetricSelector; threshold: Threshold } | string {
  const split = splitCheck(check);
  if (split === undefined) return `expected 'metric aggregation op bound', got ${JSON.stringify(check)}`;
  const selector = selectorOrProblem(split.metric);
  if (typeof selector === 'string') return selector;
  const threshold = thresholdOrProblem(split.threshold, selector);
  return typeof threshold === 'string' ? threshold : { selector, threshold };
}

// `gateway.errors{instance:gw-1} rate<0.01` → metric and threshold (the split is the first space
// outside the tag braces).
function splitCheck(check: string): { metric: string; threshold: string } | undefined {
  let depth = 0;
  for (let i = 0; i < check.length; i++) {
    const ch = check[i];
    if (ch === '{') depth++;
    else if (ch === '}') depth--;
    else if (depth === 0 && (ch === ' ' || ch === '\t')) {
      const metric = check.slice(0, i).trim();
      const threshold = check.slice(i + 1).trim();
      return metric && threshold ? { metric, threshold } : undefined;
    }
  }
  return undefined;
}
