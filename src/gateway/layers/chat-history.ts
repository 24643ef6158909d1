import type { ChatHistory } from '../chat-history.ts';
import type { LayerFactory } from '../context.ts';
import { describe } from './limiters.ts';

/**
 * The conversation store around the answer: before the call, the user's recent messages are read
 * (from a replica, through the router), after it the exchange is written (to the primary). A
 * failed history read or write never fails the request; it is traced:
 * `chat-history read {id, user, table, seq, startMs}`, `chat-history read-failed {id, user, error}`,
 * `chat-history write-acked|write-failed|write-indeterminate {id, user, table, seq?, error?}`.
 */
export function chatHistoryLayer(history: ChatHistory): LayerFactory {
  return (ctx) => ({
    name: 'chat-history',
    async handle(request, next) {
      const user = request.userId;
      const startMs = ctx.clock.now();
      try {
        const read = await history.recent(user);
        ctx.emit('chat-history', 'read', { id: request.id, user, table: read.table, seq: read.seq, startMs });
      } catch (error) {
        ctx.emit('chat-history', 'read-failed', { id: request.id, user, error: describe(error) });
      }
      const out = await next(request);
      if (out.kind !== 'admitted' || out.value.servedBy === 'fallback') return out;
      const write = await history.append(user, request.prompt, out.value.text, ctx.clock.now());
      // The kinds are constant strings and the fields one literal each: nothing built per request
      // beyond the event's own object (keys in the order the trace has always had: id, user, table).
      if (write.kind === 'acked') {
        ctx.emit('chat-history', 'write-acked', { id: request.id, user, table: write.table, seq: write.seq });
      } else {
        ctx.emit('chat-history', write.kind === 'failed' ? 'write-failed' : 'write-indeterminate', {
          id: request.id,
          user,
          table: write.table,
          error: write.error,
        });
      }
      return out;
    },
  });
}
