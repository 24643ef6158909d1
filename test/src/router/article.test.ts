// ARTICLE_READWRITE_SPLITTING_YAML is the project's one copy of the article's section 3.2 block. The
// fixture next to this file was cut from the article text; this test keeps the two byte for byte
// equal (U+00A0 indentation, `password: ***`, the final newline) and checks the constant still parses
// to the article's group.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARTICLE_READWRITE_SPLITTING_YAML, parseReadwriteSplittingYaml } from '#src/router/index.ts';

const FIXTURE = readFileSync(new URL('./fixtures/article-readwrite-splitting.yaml.txt', import.meta.url));

describe('ARTICLE_READWRITE_SPLITTING_YAML', () => {
  it('is the article fixture byte for byte (UTF-8)', () => {
    expect(Buffer.from(ARTICLE_READWRITE_SPLITTING_YAML, 'utf8').equals(FIXTURE)).toBe(true);
    expect(ARTICLE_READWRITE_SPLITTING_YAML).toBe(FIXTURE.toString('utf8'));
  });

  it("parses to the article's group prd_ds: ds-master, [ds-slave-0, ds-slave-1], ROUND_ROBIN", () => {
    const rule = parseReadwriteSplittingYaml(ARTICLE_READWRITE_SPLITTING_YAML);
    expect(
      rule.groups.map((g) => [g.name, g.writeDataSourceName, g.readDataSourceNames, g.loadBalancerName]),
    ).toEqual([['prd_ds', 'ds-master', ['ds-slave-0', 'ds-slave-1'], 'round_robin']]);
    expect(rule.loadBalancers.get('round_robin')?.type).toBe('ROUND_ROBIN');
  });
});
