#!/usr/bin/env node
// The `hasim` command. Runs the TypeScript sources through tsx's loader (a runtime dependency),
// so a fresh clone needs only `npm install`, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
