import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, scratch, stderrLines } from './in-process.ts';

const tmp = scratch('hasim-worker-');
afterAll(() => tmp.dispose());

/** A loopback port nothing listens on: bound by the OS, then closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('hasim worker and hasim swarm --queue: what they say before any seed runs', () => {
  it('a queue that is not reachable is one line naming the URL, the limit and the cause; exit 1', async () => {
    const port = await closedPort();
    const url = `redis://127.0.0.1:${port}`;
    const worker = await cli(['worker', '--queue', url, '--connect-timeout-ms', '1000']);
    expect(worker.code).toBe(1);
    expect(worker.stdout).toBe('');
    expect(stderrLines(worker)).toEqual([
      `hasim worker: cannot reach the sweep queue at ${url} within 1000 ms (ECONNREFUSED; limit --connect-timeout-ms)`,
    ]);
    const out = join(tmp.dir, 'unreachable');
    const swarm = await cli([
      'swarm',
      'scenarios/sweeps/flaky-provider.yaml',
      '--seeds',
      '3',
      '--out',
      out,
      '--queue',
      url,
    ]);
    expect(swarm.code).toBe(1);
    expect(stderrLines(swarm)).toEqual([
      `hasim swarm: cannot reach the sweep queue at ${url} within 5000 ms (ECONNREFUSED; limit --connect-timeout-ms)`,
    ]);
  });

  it('a scenario that cannot be parsed is exit 2 with file and line before the queue is contacted', async () => {
    const bad = tmp.file('bad.yaml', 'kind: gateway\nname: [unclosed\n');
    const out = join(tmp.dir, 'bad');
    // The queue's port is closed too: had hasim contacted it first, this would be exit 1.
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const run = await cli(['swarm', bad, '--seeds', '3', '--out', out, '--queue', url]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const [line, ...more] = stderrLines(run);
    expect(more).toEqual([]);
    expect(line).toMatch(new RegExp(`^hasim: ${bad}:3:1: invalid YAML`));
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a bad URL, a missing --queue, local-only flags with --queue and queue flags without it', async () => {
    const cases: [string[], RegExp][] = [
      [['worker'], /^hasim worker: --queue URL is required/],
      [
        ['worker', '--queue', 'http://127.0.0.1:6390'],
        /^hasim worker: --queue: expected redis:\/\/host:port/,
      ],
      [
        ['worker', '--queue', 'redis://x', '--concurrency', '0'],
        /--concurrency: expected a positive whole number/,
      ],
      [['worker', '--queue', 'redis://x', '--lock-ms', '10'], /--lock-ms: at least 1000 \(got 10\)/],
      [['worker', 'file.yaml', '--queue', 'redis://x'], /takes no file/],
      [
        ['swarm', 'x.yaml', '--seeds', '2', '--out', 'o', '--queue', 'redis://x', '--workers', '2'],
        /--workers does not go with --queue/,
      ],
      [
        ['swarm', 'x.yaml', '--seeds', '2', '--out', 'o', '--idle-ms', '5'],
        /--idle-ms goes with --queue URL/,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(stderrLines(run)).toHaveLength(1);
      expect(run.stderr).toMatch(message);
    }
  });
});
