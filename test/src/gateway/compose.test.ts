import { describe, expect, it } from 'vitest';
import { compose, type Layer } from '#src/gateway/layer.ts';
import type { GatewayRequest } from '#src/gateway/request.ts';
import { admitted, refused } from '#src/outcome.ts';

const request: GatewayRequest = { id: 1, userId: 'u', prompt: 'hi' };

describe('compose', () => {
  it('calls the layers top to bottom and unwinds bottom to top', async () => {
    const log: string[] = [];
    const layer = (name: string): Layer => ({
      name,
      async handle(r, next) {
        log.push(`>${name}`);
        const out = await next(r);
        log.push(`<${name}`);
        return out;
      },
    });
    const path = compose([layer('a'), layer('b')], async () => {
      log.push('terminal');
      return admitted({ text: 't', model: 'm', servedBy: 'upstream', outputTokens: 1 });
    });
    const out = await path(request);
    expect(out.kind).toBe('admitted');
    expect(log).toEqual(['>a', '>b', 'terminal', '<b', '<a']);
  });

  it('a layer that answers by itself never reaches the layers below', async () => {
    let reached = false;
    const gate: Layer = { name: 'gate', handle: async () => refused({ by: 'token-bucket', permits: 1 }) };
    const path = compose([gate], async () => {
      reached = true;
      return admitted({ text: 't', model: 'm', servedBy: 'upstream', outputTokens: 1 });
    });
    expect(await path(request)).toEqual({ kind: 'refused', reason: { by: 'token-bucket', permits: 1 } });
    expect(reached).toBe(false);
  });
});
