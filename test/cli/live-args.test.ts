import { describe, expect, it } from 'vitest';
import { cli } from './in-process.ts';

// `hasim live` input errors: each is one line naming the flag or file and exit 2, found before any
// server is contacted (none of these needs a server).
describe('hasim live: bad input is one line and exit 2, before connecting', () => {
  const smoke = 'scenarios/live/smoke.yaml';
  it.each([
    [['live'], 'hasim live: give one scenario file (hasim live <scenario.yaml>)'],
    [
      ['live', 'scenarios/smoke.yaml'],
      'hasim live: scenarios/smoke.yaml: only kind: gateway scenarios run live (this one is llm-smoke)',
    ],
    [
      ['live', smoke, '--time-scale', '0'],
      "hasim live: --time-scale: expected a number > 0 and <= 1000, got '0'",
    ],
    [
      ['live', smoke, '--time-scale', 'fast'],
      "hasim live: --time-scale: expected a number > 0 and <= 1000, got 'fast'",
    ],
    [
      ['live', smoke, '--redis', 'http://x:1'],
      "hasim live: --redis: expected redis://host:port, got 'http://x:1'",
    ],
    [
      ['live', smoke, '--redis-cluster', '127.0.0.1'],
      "hasim live: --redis-cluster: expected host:port, got '127.0.0.1'",
    ],
    [
      ['live', smoke, '--redis', 'redis://127.0.0.1:6379', '--redis-cluster', '127.0.0.1:7000'],
      'hasim live: give --redis or --redis-cluster, not both',
    ],
    [
      ['live', smoke, '--mysql', 'mysql://root@127.0.0.1:3307'],
      "hasim live: --mysql: expected mysql://user@host:port/database, got 'mysql://root@127.0.0.1:3307'",
    ],
    [['live', smoke, '--variant', 'both'], "hasim live: --variant: expected article or fixed, got 'both'"],
    [
      ['live', smoke, '--provider-url', 'ftp://x/v1'],
      "hasim live: --provider-url: expected an http(s) base URL such as http://127.0.0.1:8080/v1, got 'ftp://x/v1'",
    ],
    [
      ['live', smoke, '--dead-after-ms', '-5'],
      "hasim live: --dead-after-ms: expected ms, an integer >= 0, got '-5'",
    ],
    [
      ['live', 'scenarios/article.yaml', '--variant', 'fixed'],
      'hasim live: scenarios/article.yaml: fault slow mysql/replica-1 at 200000 ms: args.applyCostMs is simulated only; a live run slows a server with args.latencyMs (give both to run the file simulated and live)',
    ],
  ])('%j', async (args, line) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
  });

  it('lists its options in hasim live --help', async () => {
    const r = await cli(['live', '--help']);
    expect(r.code).toBe(0);
    for (const flag of [
      '--redis-cluster',
      '--mysql-replica',
      '--time-scale',
      '--compare',
      '--keep',
      '--provider-url',
    ])
      expect(r.stdout).toContain(flag);
  });
});
