import {
  type FaultAction,
  type FaultArgs,
  FaultError,
  type Faults,
  type FaultTarget,
  type FaultVerb,
} from '../../src/ports/faults.ts';
import type { TraceSink } from '../../src/ports/trace.ts';

/** What a twin does for one verb on one target. */
export type FaultHandler = (args: FaultArgs) => void | Promise<void>;

/**
 * The simulated world's `Faults`: each twin registers its targets and the handler of each verb it
 * answers to (`register('mysql/replica-1', { 'stop-io-thread': ... })`). Injecting traces
 * `fault inject {verb, target, args}` before the handler runs, so a reader sees the cause before its
 * effects. Targets are listed in registration order, which the world keeps fixed.
 */
export class SimFaults implements Faults {
  readonly #targets = new Map<string, Map<FaultVerb, FaultHandler>>();
  readonly #trace: TraceSink | undefined;

  constructor(_options: Record<string, never> = {}, ports: { readonly trace?: TraceSink } = {}) {
    this.#trace = ports.trace;
  }

  /** Adds `target` with its verbs; a name registered twice is a bug in the world builder. */
  register(target: string, handlers: Partial<Record<FaultVerb, FaultHandler>>): void {
    if (this.#targets.has(target)) throw new Error(`SimFaults: target '${target}' registered twice`);
    const verbs = new Map<FaultVerb, FaultHandler>();
    for (const [verb, handler] of Object.entries(handlers) as [FaultVerb, FaultHandler | undefined][]) {
      if (handler !== undefined) verbs.set(verb, handler);
    }
    this.#targets.set(target, verbs);
  }

  targets(): readonly FaultTarget[] {
    return [...this.#targets].map(([name, verbs]) => ({ name, verbs: [...verbs.keys()] }));
  }

  /** Whether `target` answers to `verb` (for validating a timeline before a run starts). */
  supports(target: string, verb: FaultVerb): boolean {
    return this.#targets.get(target)?.has(verb) ?? false;
  }

  /** Why `action` cannot be applied, or `undefined` when it can. */
  problem(action: Pick<FaultAction, 'target' | 'verb'>): string | undefined {
    const verbs = this.#targets.get(action.target);
    if (verbs === undefined) {
      const known = [...this.#targets.keys()].join(', ');
      return `no fault target '${action.target}' (targets: ${known || 'none'})`;
    }
    if (!verbs.has(action.verb)) {
      return `target '${action.target}' has no verb '${action.verb}' (verbs: ${[...verbs.keys()].join(', ')})`;
    }
    return undefined;
  }

  async inject(action: FaultAction): Promise<void> {
    const problem = this.problem(action);
    if (problem !== undefined) throw new FaultError(problem);
    const handler = this.#targets.get(action.target)?.get(action.verb);
    if (handler === undefined) throw new FaultError(`no handler for ${action.verb} on ${action.target}`);
    this.#trace?.emit('fault', 'inject', {
      verb: action.verb,
      target: action.target,
      args: (action.args ?? {}) as Readonly<Record<string, string | number | boolean | readonly string[]>>,
    });
    await handler(action.args ?? {});
  }
}
