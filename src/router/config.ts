// The readwrite-splitting rule, read from YAML the way the article writes it (section 3.2):
//
//   spring.shardingsphere.rules.readwrite-splitting:
//     data-sources.<group>: { writeDataSourceName, readDataSourceNames, loadBalancerName }
//     loadBalancers.<name>: { type: ROUND_ROBIN | RANDOM | WEIGHT, props }
//
// Accepted shapes: that Spring-Boot-style block (under `spring.shardingsphere.rules`, `rules` or at
// the top level), and ShardingSphere 5.4+'s own YAML (`rules: - !READWRITE_SPLITTING` with
// `dataSources` or, from 5.4.1, `dataSourceGroups`). Keys bind in Spring's relaxed way
// (`data-sources` = `dataSources`, `load-balancer-name` = `loadBalancerName`).
//
// Two tolerances make the article's text parse as printed, both documented in docs/router.md:
//  - its indentation mixes U+00A0 (no-break space, from the web page) with spaces; a leading run of
//    them is read as spaces;
//  - `password: ***` is, in YAML, an alias to an undefined anchor `**` (SnakeYAML rejects it too);
//    an unresolved alias is read as its literal text (`***`). Passwords are not used by the router.
import { parseDocument, Scalar, visit } from 'yaml';
import { z } from 'zod';
import { type LoadBalancerType, parseWeight } from './load-balancer.ts';

/** How reads inside a transaction are routed (ShardingSphere `TransactionalReadQueryStrategy`). */
export type TransactionalReadQueryStrategy = 'PRIMARY' | 'FIXED' | 'DYNAMIC';

/**
 * Default `transactionalReadQueryStrategy` when the YAML omits it: DYNAMIC, as released ShardingSphere
 * 5.4.0-5.5.2 swap it (YamlReadwriteSplittingRuleConfigurationSwapper.getTransactionalReadQueryStrategy
 * and the 4-argument ReadwriteSplittingDataSourceGroupRuleConfiguration constructor). apache/shardingsphere
 * PR #36477 (2025-09, after issue #36426) changes the YAML default to PRIMARY for later releases.
 */
export const DEFAULT_TRANSACTIONAL_READ_QUERY_STRATEGY: TransactionalReadQueryStrategy = 'DYNAMIC';

/** One load-balancer definition (`loadBalancers.<name>`). */
export interface LoadBalancerConfig {
  readonly type: LoadBalancerType;
  /** For WEIGHT: weight per read data source (a Java double; Infinity = 10000, NaN = 1). Empty otherwise. */
  readonly weights: ReadonlyMap<string, number>;
}

/** One readwrite-splitting data-source group (`data-sources.<name>`). */
export interface ReadwriteSplittingGroupConfig {
  readonly name: string;
  readonly writeDataSourceName: string;
  readonly readDataSourceNames: readonly string[];
  /** @defaultValue {@link DEFAULT_TRANSACTIONAL_READ_QUERY_STRATEGY} */
  readonly transactionalReadQueryStrategy: TransactionalReadQueryStrategy;
  /** Name of a `loadBalancers` entry; absent = ROUND_ROBIN (ShardingSphere's default type). */
  readonly loadBalancerName: string | undefined;
}

/** The whole readwrite-splitting rule. */
export interface ReadwriteSplittingRuleConfig {
  readonly groups: readonly ReadwriteSplittingGroupConfig[];
  readonly loadBalancers: ReadonlyMap<string, LoadBalancerConfig>;
}

/** Invalid rule text or values; the message names the field path as written in the YAML. */
export class RouterConfigError extends Error {
  override readonly name = 'RouterConfigError';
}

const name = z.string().min(1, 'expected a non-empty name');
const groupSchema = z.strictObject({
  writeDataSourceName: name,
  readDataSourceNames: z.array(name).min(1, 'expected at least one read data source'),
  transactionalReadQueryStrategy: z.enum(['PRIMARY', 'FIXED', 'DYNAMIC']).optional(),
  loadBalancerName: name.optional(),
});
const loadBalancerSchema = z.strictObject({
  type: z.enum(['ROUND_ROBIN', 'RANDOM', 'WEIGHT']),
  props: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
const ruleSchema = z.strictObject({
  dataSources: z.record(z.string(), groupSchema),
  loadBalancers: z.record(z.string(), loadBalancerSchema).optional(),
});

/** kebab-case -> camelCase (Spring relaxed binding for property names). */
const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The key order of each mapping as written. A plain object lists integer-like keys ("0", "2", "10")
 * first, in numeric order, whatever the YAML's order; group, load-balancer and weight names are
 * iterated in the order recorded here instead.
 */
type KeyOrder = WeakMap<object, readonly string[]>;

/** Turns `Map`s (the YAML parsed with `mapAsMap`) into plain objects, recording each one's key order. */
function fromMaps(value: unknown, order: KeyOrder): unknown {
  if (value instanceof Map) {
    const obj: Raw = Object.create(null);
    const keys: string[] = [];
    for (const [k, v] of value) {
      const key = String(k);
      if (!Object.hasOwn(obj, key)) keys.push(key);
      obj[key] = fromMaps(v, order);
    }
    order.set(obj, keys);
    return obj;
  }
  if (Array.isArray(value)) return value.map((v) => fromMaps(v, order));
  return value;
}

/** `Object.keys`, but in the order the YAML wrote them when it is known. */
const keysOf = (obj: Raw, order: KeyOrder): readonly string[] => order.get(obj) ?? Object.keys(obj);

/** Relaxed-binds the property names of `obj` (not of name-keyed maps), remembering the spelling used. */
function bindFields(obj: Raw, spelled: Map<string, string>, order: KeyOrder): Raw {
  const out: Raw = {};
  for (const key of keysOf(obj, order)) {
    const value = obj[key];
    let field = camel(key);
    if (field === 'dataSourceGroups') field = 'dataSources'; // 5.4.1 rename
    spelled.set(field, key);
    out[field] = value;
  }
  return out;
}

interface Located {
  readonly rule: Raw;
  readonly path: string;
}

function locateRule(root: unknown): Located {
  if (!isRecord(root))
    throw new RouterConfigError('readwrite-splitting YAML: expected a mapping at the top level');
  const pick = (obj: Raw, key: string): unknown => obj[key] ?? obj[camel(key)];
  const spring = pick(root, 'spring');
  const ss = isRecord(spring) ? pick(spring, 'shardingsphere') : undefined;
  const candidates: [unknown, string][] = [
    [isRecord(ss) ? pick(ss, 'rules') : undefined, 'spring.shardingsphere.rules'],
    [pick(root, 'rules'), 'rules'],
  ];
  for (const [rules, path] of candidates) {
    if (isRecord(rules)) {
      const rw = pick(rules, 'readwrite-splitting');
      if (isRecord(rw)) return { rule: rw, path: `${path}.readwrite-splitting` };
    }
    if (Array.isArray(rules)) {
      const at = rules.findIndex((r) => isRecord(r) && ('dataSources' in r || 'dataSourceGroups' in r));
      if (at >= 0) return { rule: rules[at] as Raw, path: `${path}[${at}]` };
    }
  }
  const top = pick(root, 'readwrite-splitting');
  if (isRecord(top)) return { rule: top, path: 'readwrite-splitting' };
  if ('dataSources' in root || 'data-sources' in root || 'dataSourceGroups' in root)
    return { rule: root, path: '' };
  throw new RouterConfigError(
    'readwrite-splitting YAML: no rule found; expected spring.shardingsphere.rules.readwrite-splitting, ' +
      'rules.readwrite-splitting, rules: [!READWRITE_SPLITTING ...] or a top-level readwrite-splitting block',
  );
}

/** Parses the article's YAML block (or ShardingSphere's own rule YAML) into a validated rule. */
export function parseReadwriteSplittingYaml(text: string): ReadwriteSplittingRuleConfig {
  const normalised = text.replace(/^[ \u00a0]+/gm, (indent) => indent.replace(/\u00a0/g, ' '));
  const doc = parseDocument(normalised, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RouterConfigError(`readwrite-splitting YAML does not parse: ${doc.errors[0]!.message}`);
  }
  const anchors = new Set<string>();
  visit(doc, {
    Node(_, node) {
      if ('anchor' in node && typeof node.anchor === 'string') anchors.add(node.anchor);
    },
  });
  visit(doc, {
    Alias(_, node) {
      if (!anchors.has(node.source)) return new Scalar(`*${node.source}`);
      return undefined;
    },
  });
  return ruleFromObject(doc.toJS({ mapAsMap: true }));
}

/**
 * Validates an already-parsed rule object (the YAML's data), with the same checks and messages.
 * Mappings may be `Map`s (e.g. `yaml`'s `toJS({ mapAsMap: true })`): their order is kept, so groups,
 * load balancers and weights come out in the order written even when their names look like integers.
 * With plain objects the order is JavaScript's (integer-like keys first).
 */
export function ruleFromObject(root: unknown): ReadwriteSplittingRuleConfig {
  const order: KeyOrder = new WeakMap();
  const { rule, path } = locateRule(fromMaps(root, order));
  const prefix = path ? `${path}.` : '';
  const ruleSpelled = new Map<string, string>();
  const bound = bindFields(rule, ruleSpelled, order);
  const groupSpelled = new Map<string, Map<string, string>>();
  let groupOrder: readonly string[] = [];
  if (isRecord(bound.dataSources)) {
    const groups: Raw = {};
    groupOrder = keysOf(bound.dataSources, order);
    for (const g of groupOrder) {
      const value = bound.dataSources[g];
      const spelled = new Map<string, string>();
      groupSpelled.set(g, spelled);
      groups[g] = isRecord(value) ? bindFields(value, spelled, order) : value;
    }
    bound.dataSources = groups;
  }
  let lbOrder: readonly string[] = [];
  const propsOrder = new Map<string, readonly string[]>();
  if (isRecord(bound.loadBalancers)) {
    const lbs: Raw = {};
    lbOrder = keysOf(bound.loadBalancers, order);
    for (const lb of lbOrder) {
      const value = bound.loadBalancers[lb];
      const fields = isRecord(value) ? bindFields(value, new Map(), order) : value;
      if (isRecord(fields) && isRecord(fields.props)) propsOrder.set(lb, keysOf(fields.props, order));
      lbs[lb] = fields;
    }
    bound.loadBalancers = lbs;
  }
  const parsed = ruleSchema.safeParse(bound);
  // Turns a zod issue path (camelCase field names) back into the spelling the YAML used.
  const spell = (segments: readonly PropertyKey[]): string => {
    const out: string[] = [];
    segments.forEach((seg, i) => {
      const s = String(seg);
      if (i === 0) out.push(ruleSpelled.get(s) ?? s);
      else if (i === 2 && segments[0] === 'dataSources')
        out.push(groupSpelled.get(String(segments[1]))?.get(s) ?? s);
      else out.push(typeof seg === 'number' ? `[${s}]` : s);
    });
    return prefix + out.join('.').replace(/\.\[/g, '[');
  };
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where =
      issue.code === 'unrecognized_keys'
        ? `${spell(issue.path)}: unknown field(s) ${issue.keys.join(', ')}`
        : spell(issue.path);
    throw new RouterConfigError(`${where}: ${issue.message}`);
  }
  const loadBalancers = new Map<string, LoadBalancerConfig>();
  // zod hands back plain objects: iterate the names in the order recorded above.
  const parsedLbs = parsed.data.loadBalancers ?? {};
  for (const lbName of lbOrder) {
    const lb = parsedLbs[lbName]!;
    const weights = new Map<string, number>();
    if (lb.type === 'WEIGHT') {
      const props = lb.props ?? {};
      for (const ds of propsOrder.get(lbName) ?? Object.keys(props)) {
        const raw = props[ds]!;
        const w = parseWeight(raw);
        if (w === undefined) {
          throw new RouterConfigError(
            `${prefix}${ruleSpelled.get('loadBalancers')}.${lbName}.props.${ds}: weight \`${raw}\` should be a number`,
          );
        }
        weights.set(ds, w);
      }
    }
    loadBalancers.set(lbName, { type: lb.type, weights });
  }
  const groups: ReadwriteSplittingGroupConfig[] = [];
  for (const groupName of groupOrder) {
    const g = parsed.data.dataSources[groupName]!;
    const at = `${prefix}${ruleSpelled.get('dataSources')}.${groupName}`;
    const dup = g.readDataSourceNames.find((n, i) => g.readDataSourceNames.indexOf(n) !== i);
    if (dup) throw new RouterConfigError(`${at}.readDataSourceNames: duplicate read data source '${dup}'`);
    if (g.loadBalancerName !== undefined) {
      const lb = loadBalancers.get(g.loadBalancerName);
      if (!lb) {
        const known = [...loadBalancers.keys()].join(', ') || 'none';
        throw new RouterConfigError(
          `${at}.loadBalancerName: '${g.loadBalancerName}' is not defined under loadBalancers (defined: ${known})`,
        );
      }
      if (lb.type === 'WEIGHT') {
        // WeightLoadBalanceAlgorithm.check: both directions.
        for (const ds of g.readDataSourceNames) {
          if (!lb.weights.has(ds)) {
            throw new RouterConfigError(
              `loadBalancers.${g.loadBalancerName}.props: weight of target \`${ds}\` is required`,
            );
          }
        }
        for (const ds of lb.weights.keys()) {
          if (!g.readDataSourceNames.includes(ds)) {
            throw new RouterConfigError(
              `loadBalancers.${g.loadBalancerName}.props.${ds}: target \`${ds}\` is not a read data source of group ${groupName}`,
            );
          }
        }
      }
    }
    groups.push({
      name: groupName,
      writeDataSourceName: g.writeDataSourceName,
      readDataSourceNames: g.readDataSourceNames,
      transactionalReadQueryStrategy:
        g.transactionalReadQueryStrategy ?? DEFAULT_TRANSACTIONAL_READ_QUERY_STRATEGY,
      loadBalancerName: g.loadBalancerName,
    });
  }
  if (groups.length === 0)
    throw new RouterConfigError(`${prefix}${ruleSpelled.get('dataSources')}: expected at least one group`);
  return { groups, loadBalancers };
}
