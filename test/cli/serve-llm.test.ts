import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { cli, scratch, stderrLines } from './in-process.ts';

// hasim serve-llm's input errors, in-process; test/slow/serve-llm.test.ts runs it as a process.
const FIXTURE = resolve(ROOT, 'test/fixtures/serve-llm/flaky.yaml');

describe('hasim serve-llm input errors', () => {
  it('a port in use, a bad scenario and a non-loopback host are one line and exit 2', async () => {
    const taken = await occupy();
    const port = String(taken.port);
    const inUse = await cli(['serve-llm', FIXTURE, '--port', port]);
    expect(inUse.code).toBe(2);
    expect(stderrLines(inUse)).toEqual([
      `hasim serve-llm: cannot listen on 127.0.0.1:${port}: the port is in use`,
    ]);
    const tmp = scratch('hasim-serve-llm-');
    try {
      const bad = tmp.file(
        'bad.yaml',
        'kind: gateway\nname: x\ntopology:\n  providers: []\nworkload:\n  phases: []\n',
      );
      const run = await cli(['serve-llm', bad, '--port', '0']);
      expect(run.code).toBe(2);
      expect(stderrLines(run)).toHaveLength(1);
      expect(run.stderr).toMatch(/bad\.yaml.*providers/);
    } finally {
      tmp.dispose();
    }
    const host = await cli(['serve-llm', FIXTURE, '--port', '0', '--host', '0.0.0.0']);
    expect(host.code).toBe(2);
    expect(stderrLines(host)).toHaveLength(1);
    await new Promise((done) => taken.server.close(done));
  });

  it('--port is required, and --time-scale must be a positive number', async () => {
    for (const [args, expected] of [
      [['serve-llm', FIXTURE], 'hasim serve-llm: --port N is required (0 picks a free port)'],
      [['serve-llm', FIXTURE, '--port', '99999'], "hasim serve-llm: --port: expected 0..65535, got '99999'"],
      [
        ['serve-llm', FIXTURE, '--port', '0', '--time-scale', '0'],
        /^hasim serve-llm: --time-scale: expected a number/,
      ],
      [
        ['serve-llm', '--port', '0'],
        'hasim serve-llm: expected one scenario file (see hasim serve-llm --help)',
      ],
    ] as const) {
      const run = await cli(args);
      expect(run.code).toBe(2);
      expect(stderrLines(run)).toHaveLength(1);
      if (typeof expected === 'string') expect(run.stderr.trim()).toBe(expected);
      else expect(run.stderr).toMatch(expected);
    }
  });
});

/** A loopback port held by a plain TCP server. */
function occupy(): Promise<{ readonly server: Server; readonly port: number }> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      done({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}
