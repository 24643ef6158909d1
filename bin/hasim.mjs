#!/usr/bin/env node
// The `hasim` command. Runs the TypeScript sources through tsx's loader (a runtime dependency),
// so a fresh clone needs only `npm install`, no build step.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`hasim run ... | head`) closes stdout: that is the reader's choice, not
// an error of hasim's, so it ends the process quietly instead of with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
