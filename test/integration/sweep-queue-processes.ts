// What the sweep-queue suites share: the queue's Redis (scripts/backends.sh up queue, port 6390),
// one database per suite so they never see each other's sweeps, and `hasim` processes started
// the way a user starts them (`node bin/hasim.mjs worker ...`), watched without blocking the test.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { ROOT } from '#test/helpers/cli.ts';
import { BACKENDS_SH_HINT, gateBackend } from './backends.ts';

/** The port scripts/backends.sh gives the sweep queue's Redis. */
export const QUEUE_PORT = 6390;

/** The gate of a sweep-queue suite: skipped without the queue's Redis, failing under CI=true. */
export function queueGate(name: string) {
  return gateBackend({ name, ports: [QUEUE_PORT], hint: `${BACKENDS_SH_HINT} (or: up queue)` });
}

/** The queue URL of database `db` (each suite has its own), emptied first. */
export async function emptyQueue(db: number): Promise<{ url: string; redis: Redis }> {
  const url = `redis://127.0.0.1:${QUEUE_PORT}/${db}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  await redis.flushdb();
  return { url, redis };
}

/** A `hasim` process: its output so far, and its exit. */
export class HasimProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [resolve(ROOT, 'bin/hasim.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
    });
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown'));
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** stderr's lines (none when empty). */
  get stderrLines(): string[] {
    return this.stderr === '' ? [] : this.stderr.replace(/\n$/, '').split('\n');
  }

  /** Resolves with the first match of `pattern` on stdout; rejects if the process ends first or after `limitMs`. */
  async waitFor(pattern: RegExp, limitMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + limitMs;
    let ended = false;
    void this.exited.then(() => {
      ended = true;
    });
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (ended || Date.now() > deadline) {
        throw new Error(
          `hasim ${this.child.spawnargs.slice(2).join(' ')}: no ${pattern} on stdout (${ended ? 'it ended' : `after ${limitMs} ms`}); stdout: ${this.stdout.slice(-500)} stderr: ${this.stderr.slice(-500)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` unless the process has ended. */
  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** `hasim worker --queue url ...`, ready to take seeds: its BullMQ worker id from the ready line. */
export async function startWorker(
  url: string,
  extra: readonly string[] = [],
): Promise<{ process: HasimProcess; workerId: string }> {
  const process = new HasimProcess(['worker', '--queue', url, ...extra]);
  const match = await process.waitFor(/^hasim worker: ready, .*, worker ([0-9a-f-]+)\)$/m, 60_000);
  return { process, workerId: match[1] as string };
}
