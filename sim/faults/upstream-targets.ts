import type { SimLlmUpstream } from '../llm/upstream.ts';
import type { SimFaults } from './registry.ts';

/** Registers a simulated provider as fault target `upstream/<name>` with the provider verbs. */
export function registerUpstream(faults: SimFaults, name: string, upstream: SimLlmUpstream): void {
  const f = upstream.faults;
  faults.register(`upstream/${name}`, {
    outage: (args) => f.outage(args),
    slowdown: (args) => f.slowdown(args),
    'rate-limit-storm': (args) => f.rateLimitStorm(args),
    'fail-next': (args) => f.failNext(args),
    heal: () => f.heal(),
  });
}
