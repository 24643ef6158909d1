// Group, load-balancer and weight names that look like integers ("0", "2", "10") keep the order the
// YAML writes them in. A plain JavaScript object would list them first and sorted (review nit C).
import { describe, expect, it } from 'vitest';
import { parseReadwriteSplittingYaml, ruleFromObject } from '#src/router/index.ts';

describe('names that look like integers keep the order written (review nit C: object keys would sort them)', () => {
  // Groups "10", "2", "0"; load balancers "1", "0"; weights of read data sources "20", "3".
  const yaml = `rules:
  readwrite-splitting:
    data-sources:
      "10":
        writeDataSourceName: m10
        readDataSourceNames: ["20", "3"]
        loadBalancerName: "1"
      "2":
        writeDataSourceName: m2
        readDataSourceNames: [r2]
      "0":
        writeDataSourceName: m0
        readDataSourceNames: [r0]
        loadBalancerName: "0"
    loadBalancers:
      "1":
        type: WEIGHT
        props:
          "20": 1
          "3": 2
      "0":
        type: ROUND_ROBIN
`;

  it('groups, load balancers and weights come out as the YAML lists them', () => {
    const rule = parseReadwriteSplittingYaml(yaml);
    expect(rule.groups.map((g) => g.name)).toEqual(['10', '2', '0']);
    expect(rule.groups[0]!.readDataSourceNames).toEqual(['20', '3']);
    expect([...rule.loadBalancers.keys()]).toEqual(['1', '0']);
    expect([...rule.loadBalancers.get('1')!.weights]).toEqual([
      ['20', 1],
      ['3', 2],
    ]);
  });

  it('ruleFromObject keeps the order of Maps it is given', () => {
    const group = (w: string) =>
      new Map<string, unknown>([
        ['writeDataSourceName', w],
        ['readDataSourceNames', ['r']],
      ]);
    const rule = ruleFromObject(
      new Map([
        [
          'dataSources',
          new Map([
            ['10', group('a')],
            ['2', group('b')],
            ['0', group('c')],
          ]),
        ],
      ]),
    );
    expect(rule.groups.map((g) => `${g.name}:${g.writeDataSourceName}`)).toEqual(['10:a', '2:b', '0:c']);
  });
});
