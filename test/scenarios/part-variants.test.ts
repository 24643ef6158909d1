import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '#sim/run.ts';
import { loadScenarioFile, ScenarioError } from '#sim/scenarios/load.ts';
import { variantOf } from '#src/gateway/config.ts';
import { cli, scratch } from '../cli/in-process.ts';

// `topology.variants` pins one part to the article's form or the fix whatever the run's variant:
// the article's run with only the limiter fixed shows what that one fix changes.

const tmp = scratch('hasim-part-variants-');
afterAll(() => tmp.dispose());
const EDGE = join(import.meta.dirname, '../../scenarios/incidents/fixed-window-edge.yaml');

function edgeWith(name: string, topology: string) {
  return loadScenarioFile(
    tmp.file(
      `${name}.yaml`,
      `extends: ${EDGE}
name: ${name}
variant: article
${topology}
expect:
  article:
    thresholds:
      "redis-limiter.admitted": ["count<=13"]
`,
    ),
  );
}

describe('topology.variants', () => {
  it("the article's run with the limiter pinned to the fix admits no more than the fix does", async () => {
    const pinned = edgeWith('edge-limiter-fixed', 'topology:\n  variants: { redis-limiter: fixed }');
    const plain = edgeWith('edge-plain', '');
    const fixed = await runScenario(pinned, { seed: 'fixed-window-edge', variant: 'article' });
    const article = await runScenario(plain, { seed: 'fixed-window-edge', variant: 'article' });
    const admitted = (r: typeof fixed) =>
      r.result.expectations.find((x) => x.text.startsWith('redis-limiter.admitted'))?.measured;
    expect(fixed.result.verdict).toBe('pass');
    expect(article.result.verdict).toBe('fail');
    expect(Number(admitted(fixed))).toBeLessThanOrEqual(13);
    expect(Number(admitted(article))).toBeGreaterThanOrEqual(16);
  });

  it('hasim run says which parts are pinned, under the run line and in the report', async () => {
    edgeWith('edge-shown', 'topology:\n  variants: { redis-limiter: fixed }');
    const out = join(tmp.dir, 'out-shown');
    const run = await cli(['run', join(tmp.dir, 'edge-shown.yaml'), '--out', out, '--report']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[1]).toBe('  pinned          redis-limiter fixed (topology.variants)');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(
      '<th>variant</th><td>article; pinned: redis-limiter fixed</td>',
    );
  });

  it('refuses a part that does not exist, with its line', () => {
    const path = join(tmp.dir, 'edge-typo.yaml');
    expect(() => edgeWith('edge-typo', 'topology:\n  variants: { redis-limitter: fixed }')).toThrow(
      new ScenarioError(`${path}:5: topology.variants: unknown field 'redis-limitter'`),
    );
  });

  it("a part not pinned runs the run's variant", () => {
    const config = { variants: { cache: 'fixed' as const } };
    expect(variantOf(config, 'cache', 'article')).toBe('fixed');
    expect(variantOf(config, 'merge', 'article')).toBe('article');
    expect(variantOf({}, 'merge', 'fixed')).toBe('fixed');
  });
});
