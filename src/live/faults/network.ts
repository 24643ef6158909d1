// Network faults of a live run: `partition`, `repair` and `slow` on a server that clients reach
// through a fault proxy (src/adapters/fault-proxy.ts).
import type { FaultArgs } from '../../ports/faults.ts';
import type { LiveServer } from './server-ops.ts';

/** The verbs a fault proxy answers to. */
export type NetworkVerb = 'partition' | 'repair' | 'slow';

/** Network faults on the proxies in front of servers. */
export interface NetworkFaults {
  /** Applies `verb` to the proxy in front of `server`; rejects with a FaultError when there is none. */
  apply(server: LiveServer, verb: NetworkVerb, args: FaultArgs): Promise<void>;
  /** Repairs every partition and removes every toxic. */
  restoreAll(): Promise<void>;
}
