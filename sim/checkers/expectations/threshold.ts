import { parseDuration } from './duration.ts';

/**
 * k6's threshold expressions (grafana k6 docs, "Thresholds"): `aggregation operator bound`, e.g.
 * `p(99)<5s`, `rate<0.01`, `count>=100`, `avg<=800ms`, `max==0`. A bound may carry a time unit
 * when the metric is a duration. The metric selector is k6's too: `name{tag:value,tag:value}`.
 */
export type Aggregation =
  | { readonly kind: 'p'; readonly q: number }
  | { readonly kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'value' };

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  readonly text: string;
  readonly aggregation: Aggregation;
  readonly op: Operator;
  readonly bound: number;
}

export interface MetricSelector {
  readonly text: string;
  readonly metric: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Parses `p(99)<5s`; returns a message saying what is wrong instead when it is not one. */
export function parseThreshold(text: string): Threshold | string {
  const m =
    /^\s*(p\(\s*(\d+(?:\.\d+)?)\s*\)|avg|min|max|med|count|rate|value)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/.exec(
      text,
    );
  if (m === null) {
    return `expected 'aggregation operator bound' such as 'p(99)<5s' or 'rate<0.01', got ${JSON.stringify(text)}`;
  }
  const [, agg = '', q, op = '<', boundText = ''] = m;
  let aggregation: Aggregation;
  if (q !== undefined) {
    const n = Number(q);
    if (!(n > 0 && n <= 100)) return `p(N) needs 0 < N <= 100, got ${q}`;
    aggregation = { kind: 'p', q: n };
  } else {
    aggregation = { kind: agg as Exclude<Aggregation['kind'], 'p'> };
  }
  const bound = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(boundText) ? Number(boundText) : parseDuration(boundText);
  if (bound === undefined || !Number.isFinite(bound)) {
    return `bound must be a number or a duration (800ms, 5s), got ${JSON.stringify(boundText)}`;
  }
  return { text: text.trim(), aggregation, op: op as Operator, bound };
}

/** Parses `gateway.latency{model:primary,servedBy:upstream}`. */
export function parseSelector(text: string): MetricSelector | string {
  const m = /^\s*([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*)\s*(?:\{([^}]*)\})?\s*$/i.exec(text);
  if (m === null)
    return `expected a metric such as 'gateway.latency' or 'gateway.latency{model:primary}', got ${JSON.stringify(text)}`;
  const tags: Record<string, string> = {};
  for (const part of (m[2] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const colon = part.indexOf(':');
    if (colon <= 0) return `tag filter must be 'tag:value', got ${JSON.stringify(part)}`;
    tags[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
  }
  return { text: text.trim(), metric: m[1] ?? '', tags };
}

/** Whether `value op bound` holds. */
export function compare(value: number, op: Operator, bound: number): boolean {
  switch (op) {
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    case '>=':
      return value >= bound;
    case '==':
      return value === bound;
    case '!=':
      return value !== bound;
  }
}
