import { countOf } from './counts.ts';
import type { RunDigest } from './digest.ts';
import { arrow, arrowMarker, box, fmt, fmtInt, renderSvg } from './svg.ts';

/**
 * The article's diagram 4: rate limiting and request merging. Each gateway instance has its own
 * token bucket (Guava RateLimiter-style: capacity, refill per second); every instance shares one
 * Redis limiter (a Lua script over one key per user and window); identical prompts in flight are
 * merged into one call below (Go singleflight's `Do`). Annotated with the run's counts.
 */

export const LIMITING_ID = 'diagram-limiting';

const W = 760;

export function renderLimitingDiagram(d: RunDigest): string {
  const t = d.topology;
  const instances = t?.instances.length ? t.instances : [''];
  const rowH = 80;
  const height = 60 + rowH * instances.length + 40;
  return renderSvg(LIMITING_ID, { width: W, height }, 'Rate limiting and request merging', (svg) => {
    const marker = arrowMarker(svg);
    svg
      .append('text')
      .attr('x', 10)
      .attr('y', 18)
      .attr('font-weight', 'bold')
      .text('Rate limiting and request merging');
    const bucket = t?.tokenBucket;
    const limiter = t?.redisLimiter;
    const shared = { x: 300, y: 40, width: 190, height: Math.max(70, rowH * instances.length - 10) };
    box(svg, shared, 'Redis limiter (shared)', {
      fill: '#FDE9D9',
      cls: 'node redis-limiter',
      lines: [
        limiter
          ? `${fmtInt(limiter.limit)} per ${fmt(limiter.windowMs / 1000, 3)} s, ${limiter.algorithm}`
          : 'not in the topology',
        `admitted ×${fmtInt(countOf(d, 'redis-limiter', 'admitted'))}`,
        `limited ×${fmtInt(countOf(d, 'redis-limiter', 'limited'))}`,
        `errors ×${fmtInt(countOf(d, 'redis-limiter', 'error'))}`,
      ],
    });
    instances.forEach((instance, i) => {
      const y = 40 + rowH * i;
      const name = instance === '' ? 'gateway' : instance;
      const own = instance === '' ? undefined : instance;
      box(svg, { x: 20, y, width: 230, height: rowH - 12 }, `token bucket ${name}`, {
        fill: '#EAF1FB',
        cls: 'node token-bucket',
        lines: [
          bucket
            ? `capacity ${fmtInt(bucket.capacity)}, refill ${fmt(bucket.refillTokensPerSecond)}/s (${bucket.variant})`
            : 'not in the topology',
          `admitted ×${fmtInt(countOf(d, 'token-bucket', 'admitted', own))}  limited ×${fmtInt(countOf(d, 'token-bucket', 'limited', own))}`,
        ],
      });
      arrow(
        svg,
        [250, y + (rowH - 12) / 2],
        [shared.x, y + (rowH - 12) / 2],
        marker,
        undefined,
        'edge to-limiter',
      );
      const merged = countOf(d, 'coalesce', 'merged', own);
      const calls = countOf(d, 'coalesce', 'call', own);
      box(svg, { x: 540, y, width: 200, height: rowH - 12 }, `merge ${name}`, {
        fill: '#EAF7EA',
        cls: 'node merge',
        lines: [
          `merged callers ×${fmtInt(merged)}`,
          ...(calls > 0 ? [`shared calls ×${fmtInt(calls)}`] : []),
        ],
      });
      arrow(
        svg,
        [shared.x + shared.width, y + (rowH - 12) / 2],
        [540, y + (rowH - 12) / 2],
        marker,
        undefined,
        'edge to-merge',
      );
    });
    svg
      .append('text')
      .attr('x', 10)
      .attr('y', height - 12)
      .attr('font-size', 10)
      .text(
        'A request passes its instance’s bucket, then the shared limiter; identical prompts in flight then share one call.',
      );
  });
}
