import { parentPort } from 'node:worker_threads';
import { runSeed } from './run-seed.ts';
import type { SeedInput } from './seed-result.ts';

/**
 * A swarm worker thread: runs one seed per message, one at a time, and posts its `SeedResult`
 * back. A thread is its own V8 isolate, so the kernel's tripwires and any module state stay local
 * to it, and a simulation (CPU-bound, never yielding) blocks only its own thread.
 */
if (parentPort === null) throw new Error('sim/swarm/worker.ts runs as a worker thread (see pool.ts)');
const port = parentPort;
port.on('message', (input: SeedInput) => {
  void runSeed(input).then((result) => port.postMessage(result));
});
