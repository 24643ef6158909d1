// DegradeRuleManager.isValidRule, row by row (DegradeRuleManagerTest.testIsValidRule and the
// checks of sentinel-core/.../slots/block/degrade/DegradeRuleManager.java#isValidRule). Sentinel
// drops an invalid rule with a log line; we throw InvalidRuleError naming the field.

import { describe, expect, it } from 'vitest';
import {
  ARTICLE_EXCEPTION_DEGRADE_RULE,
  ARTICLE_RT_DEGRADE_RULE,
  degradeRule,
  degradeRuleFromSentinel,
  degradeRuleProblem,
  InvalidRuleError,
  Sentinel,
  type SentinelDegradeRuleConfig,
} from '#src/sentinel/index.ts';
import { ManualClock } from '../../../helpers/manual-clock.ts';
import { sentinelDegradeRules } from '../../../helpers/sentinel-rules.ts';

const rows: { cite: string; rule: SentinelDegradeRuleConfig; field: string | undefined }[] = [
  { cite: 'testIsValidRule rule1 (default timeWindow 0)', rule: { resource: 'abc' }, field: 'timeWindowMs' },
  {
    cite: 'testIsValidRule rule2',
    rule: { resource: 'cde', count: 100, grade: 0, timeWindow: -1 },
    field: 'timeWindowMs',
  },
  {
    cite: 'testIsValidRule rule3',
    rule: { resource: 'xx', count: 1.1, grade: 1, timeWindow: 2 },
    field: 'count',
  },
  {
    cite: 'testIsValidRule rule3 count 1.0',
    rule: { resource: 'xx', count: 1.0, grade: 1, timeWindow: 2 },
    field: undefined,
  },
  {
    cite: 'testIsValidRule rule3 count 0.0',
    rule: { resource: 'xx', count: 0.0, grade: 1, timeWindow: 2 },
    field: undefined,
  },
  {
    cite: 'testIsValidRule rule4',
    rule: { resource: 'yy', count: -3, grade: 2, timeWindow: 2 },
    field: 'count',
  },
  {
    cite: 'testIsValidRule rule5',
    rule: { resource: 'Sentinel', count: 97, grade: 0, slowRatioThreshold: 15, timeWindow: 15 },
    field: 'slowRatioThreshold',
  },
  {
    cite: 'testIsValidRule rule6',
    rule: { resource: 'Sentinel', count: 0.93, grade: 1, timeWindow: 20, minRequestAmount: 0 },
    field: 'minRequestAmount',
  },
  {
    cite: 'testIsValidRule rule7',
    rule: {
      resource: 'Sentinel',
      count: 100,
      slowRatioThreshold: 0.8,
      timeWindow: 10,
      statIntervalMs: 0,
      minRequestAmount: 20,
    },
    field: 'statIntervalMs',
  },
  { cite: 'isValidRule: blank resource', rule: { resource: '  ', timeWindow: 1 }, field: 'resource' },
  {
    cite: 'isValidRule: unknown grade',
    rule: { resource: 'r', timeWindow: 1, grade: 3 as 0 },
    field: 'grade',
  },
  {
    cite: 'isValidRule: grade 2 accepts any count >= 0',
    rule: { resource: 'r', timeWindow: 1, grade: 2, count: 1e6 },
    field: undefined,
  },
  {
    cite: 'the article RT rule',
    rule: ARTICLE_RT_DEGRADE_RULE,
    field: undefined,
  },
  {
    cite: 'the article exception rule',
    rule: ARTICLE_EXCEPTION_DEGRADE_RULE,
    field: undefined,
  },
];

describe('DegradeRule validation (DegradeRuleManager.isValidRule)', () => {
  for (const row of rows) {
    it(`${row.cite} → ${row.field ?? 'valid'}`, () => {
      expect(degradeRuleProblem(degradeRule(degradeRuleFromSentinel(row.rule)))?.field).toBe(row.field);
    });
  }

  it('defaults are Sentinel DegradeRule field initialisers', () => {
    expect(degradeRule({ resource: 'r' })).toEqual({
      resource: 'r',
      grade: 0,
      count: 0,
      slowRatioThreshold: 1.0,
      minRequestAmount: 5,
      statIntervalMs: 1000,
      timeWindowMs: 0,
      limitApp: 'default',
    });
  });

  it('loadDegradeRules throws an error naming the field and loads nothing', () => {
    const s = new Sentinel({}, { clock: new ManualClock() });
    s.loadDegradeRules(sentinelDegradeRules([{ resource: 'a', timeWindow: 1 }]));
    const err = (() => {
      try {
        s.loadDegradeRules(
          sentinelDegradeRules([
            { resource: 'b', timeWindow: 1 },
            { resource: 'c', grade: 1, count: 1.5, timeWindow: 1 },
          ]),
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidRuleError);
    expect((err as InvalidRuleError).field).toBe('count');
    expect((err as Error).message).toMatch(/^DegradeRule\.count: must be a ratio in \[0, 1\]/);
    expect(s.circuitBreakers('a')).toHaveLength(1);
    expect(s.circuitBreakers('b')).toHaveLength(0);
  });
});
