// The sandboxed processor of `hasim worker`: BullMQ loads this file in a worker thread of its own
// (Worker option useWorkerThreads, docs.bullmq.io/guide/workers/sandboxed-processors), so a seed
// that computes for a long time never blocks the event loop that renews the job's lock, and the job
// is never taken for stalled and run twice (the trap measured in docs/sweeps.md).
//
// A worker thread does not inherit the tsx loader that bin/hasim.mjs registers (Node 20 ignores
// --import in a Worker's execArgv), so this file registers it for its own thread, as bin/hasim.mjs
// does, before loading the TypeScript job.
import { register } from 'tsx/esm/api';

register();
const { processSeedJob } = await import('./bullmq-seed-job.ts');

export default processSeedJob;
