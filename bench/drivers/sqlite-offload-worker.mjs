// The worker thread of bench/drivers/sqlite-offload.ts. A worker does not inherit the TypeScript
// loader of the thread that started it (as sim/swarm/worker-entry.mjs says): register tsx's, then
// load the driver, which answers the ring when it is not on the main thread.
const { register } = await import('tsx/esm/api');
register();
await import('./sqlite-offload.ts');
