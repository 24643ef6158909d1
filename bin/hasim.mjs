#!/usr/bin/env node
// The `hasim` command. Runs the TypeScript sources through tsx's loader (a runtime dependency),
// so a fresh clone needs only `npm install`, no build step.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// V8 lets the old generation grow up to 4x what survived the last full collection before it
// collects again; a long run's garbage then set its peak memory (gateway-300k: about 3/4 of its RSS
// was garbage). A factor of 2 (V8's --heap-growing-percent, read at every collection) bounds that
// at a small cost in collection time. It changes when V8 collects, never what a run computes.
setFlagsFromString('--heap-growing-percent=100');
register();
// A reader that stops early (`hasim run ... | head`) closes stdout: that is the reader's choice, not
// an error of hasim's, so it ends the process quietly instead of with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// Every verb resolves only when its work is done and its files are written (synchronously), so the
// process should end now. A live run's drivers can leave a handle behind (an ioredis reconnect
// timer, a socket to a server that was restarted): the command must not hang on it. If the event
// loop is still busy after EXIT_GRACE_MS, exit with the verb's code; the timer is unref'd, so a
// process that ends on its own never waits for it.
const EXIT_GRACE_MS = 3000;
setTimeout(() => process.exit(process.exitCode), EXIT_GRACE_MS).unref();
