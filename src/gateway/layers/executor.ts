import type { Outcome } from '../../outcome.ts';
import type { LayerFactory } from '../context.ts';
import type { GatewayResponse } from '../request.ts';

/** What the executor layer needs: `ThreadPoolExecutor.attempt`. */
export interface Pool {
  attempt<T>(task: () => Promise<T>): Promise<Outcome<T>>;
}

/**
 * The article's thread pool (section 5.1): the call below runs on a pool thread; with the
 * article's ThreadPoolTaskExecutor (core 10, max 50, queue 200) a burst first fills the queue and
 * only then adds threads, and CallerRunsPolicy runs a refused task on the caller. Traces
 * `executor started {id, waitedMs}` when a thread takes the task and `executor refused {id, policy}`.
 */
export function executorLayer(pool: Pool): LayerFactory {
  return (ctx) => ({
    name: 'executor',
    async handle(request, next) {
      const queuedAt = ctx.clock.now();
      const out = await pool.attempt(() => {
        ctx.emit('executor', 'started', { id: request.id, waitedMs: ctx.clock.now() - queuedAt });
        return next(request);
      });
      if (out.kind === 'admitted') return out.value;
      if (out.kind === 'refused') {
        ctx.emit('executor', 'refused', {
          id: request.id,
          policy: 'policy' in out.reason ? out.reason.policy : '',
        });
      }
      return out as Outcome<GatewayResponse>;
    },
  });
}
