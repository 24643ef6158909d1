// The entry of a swarm worker thread. A worker does not inherit the TypeScript loader of the
// thread that started it, so it registers tsx's loader (a runtime dependency, as bin/hasim.mjs
// does) before it loads the worker's TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
