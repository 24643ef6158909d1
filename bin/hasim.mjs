#!/usr/bin/env node
import { join } from 'node:path';
// The `hasim` command. Runs the TypeScript sources, bundled by esbuild into a start-up cache on
// first use (bin/bundle.mjs), or through tsx's loader (both runtime dependencies), so a fresh clone
// needs only `npm install`, no build step.
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { bundleDir } from './bundle.mjs';

// V8 lets the old generation grow up to 4x what survived the last full collection before it
// collects again; a long run's garbage then set its peak memory (gateway-300k: about 3/4 of its RSS
// was garbage). A factor of 2 (V8's --heap-growing-percent, read at every collection) bounds that
// at a small cost in collection time. It changes when V8 collects, never what a run computes.
setFlagsFromString('--heap-growing-percent=100');
// The sources, pre-bundled (bin/bundle.mjs: about half the CPU of a short run), or through tsx's
// loader. The swarm's worker threads find the same bundle through HASIM_BUNDLE_DIR.
const bundle = await bundleDir();
if (bundle === undefined) (await import('tsx/esm/api')).register();
else process.env.HASIM_BUNDLE_DIR = bundle;
// A reader that stops early (`hasim run ... | head`) closes stdout: that is the reader's choice, not
// an error of hasim's, so it ends the process quietly instead of with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import(
  bundle === undefined ? '../cli/main.ts' : pathToFileURL(join(bundle, 'main.js')).href
);
process.exitCode = await main(process.argv.slice(2));
// Every verb resolves only when its work is done and its files are written (synchronously), so the
// process should end now. A live run's drivers can leave a handle behind (an ioredis reconnect
// timer, a socket to a server that was restarted): the command must not hang on it. If the event
// loop is still busy after EXIT_GRACE_MS, exit with the verb's code; the timer is unref'd, so a
// process that ends on its own never waits for it.
const EXIT_GRACE_MS = 3000;
setTimeout(() => process.exit(process.exitCode), EXIT_GRACE_MS).unref();
