import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from '#sim/scenarios/load.ts';

// topology.mysql written with ShardingSphere's own rule, as the article's section 3.2 writes it
// (readwrite-splitting with its data sources and load balancer, and section 3.3's sharding-count),
// loads as the compact form does; what hasim cannot model is refused on the rule's own field.

const ARTICLE = readFileSync(join(import.meta.dirname, '../../scenarios/article.yaml'), 'utf8');
const COMPACT = `    replicas: 2                                             # ds-slave-0, ds-slave-1 (section 3.2)
    semiSync: { waitPoint: AFTER_SYNC, timeoutMs: 10000 }
    loadBalancer: ROUND_ROBIN
    shards: 4                                               # chat_message_0..3 (section 3.3)
`;
const RULE = `    semiSync: { waitPoint: AFTER_SYNC, timeoutMs: 10000 }
    readwrite-splitting:
      data-sources:
        prd_ds:
          writeDataSourceName: ds-master
          readDataSourceNames:
            - ds-slave-0
            - ds-slave-1
          loadBalancerName: round_robin
      loadBalancers:
        round_robin:
          type: ROUND_ROBIN
    sharding-count: 4
`;

function withMysql(block: string) {
  expect(ARTICLE).toContain(COMPACT);
  return ARTICLE.replace(COMPACT, block);
}

function refusal(block: string): string {
  try {
    parseScenario(withMysql(block), 'article.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe("topology.mysql as ShardingSphere's rule", () => {
  it('loads as the compact form does', () => {
    expect(parseScenario(withMysql(RULE), 'article.yaml')).toEqual(parseScenario(ARTICLE, 'article.yaml'));
  });

  it('refuses data-source names other than the ones hasim gives its servers', () => {
    expect(refusal(RULE.replace('- ds-slave-1', '- replica-b'))).toBe(
      'article.yaml:33: topology.mysql.readwrite-splitting.data-sources.prd_ds.readDataSourceNames.1: hasim names the replicas ds-slave-0, ds-slave-1, ... in order, got "replica-b"',
    );
    expect(refusal(RULE.replace('ds-master', 'primary'))).toMatch(
      /^article\.yaml:30: .*writeDataSourceName: hasim names the primary ds-master, got "primary"$/,
    );
  });

  it('refuses a load balancer hasim does not model, or one not defined', () => {
    expect(refusal(RULE.replace('type: ROUND_ROBIN', 'type: WEIGHT'))).toBe(
      'article.yaml:37: topology.mysql.readwrite-splitting.loadBalancers.round_robin.type: expected ROUND_ROBIN or RANDOM, got "WEIGHT"',
    );
    expect(refusal(RULE.replace('loadBalancerName: round_robin', 'loadBalancerName: rr'))).toMatch(
      /loadBalancerName: expected a name in loadBalancers \(round_robin\), got "rr"$/,
    );
  });

  it('refuses both forms at once', () => {
    expect(refusal(`    replicas: 2\n${RULE}`)).toMatch(
      /^article\.yaml:\d+: topology\.mysql\.readwrite-splitting: give readwrite-splitting or replicas and loadBalancer, not both: got replicas as well$/,
    );
    expect(refusal(`    shards: 4\n${RULE}`)).toMatch(
      /topology\.mysql\.sharding-count: give shards or sharding-count, not both: got shards: 4 as well$/,
    );
  });
});
