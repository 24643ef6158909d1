// The entry of a swarm worker thread. A worker does not inherit the TypeScript loader of the
// thread that started it: it loads the same start-up bundle as bin/hasim.mjs when that process
// found one (HASIM_BUNDLE_DIR, see bin/bundle.mjs), else it registers tsx's loader (a runtime
// dependency, as bin/hasim.mjs does) before it loads the worker's TypeScript.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const bundle = process.env.HASIM_BUNDLE_DIR;
if (bundle !== undefined && bundle !== '') {
  await import(pathToFileURL(join(bundle, 'worker.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./worker.ts');
}
