import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, describe, expect, it } from 'vitest';
import { renderBreakerDiagram } from '#sim/render/breaker-diagram.ts';
import type { RunDigest } from '#sim/render/digest.ts';
import { renderLimitingDiagram } from '#sim/render/limiting-diagram.ts';
import { renderMysqlDiagram } from '#sim/render/mysql-diagram.ts';
import { readRun } from '#sim/render/read-run.ts';
import { renderRedisClusterDiagram } from '#sim/render/redis-cluster-diagram.ts';
import { renderSequence } from '#sim/render/sequence.ts';
import { renderTimeseries, stateSegments } from '#sim/render/timeseries.ts';
import { writeSyntheticRun } from './synthetic-run.ts';

const root = mkdtempSync(join(tmpdir(), 'hasim-render-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
writeSyntheticRun(join(root, 'run'));
const digest: RunDigest = readRun(join(root, 'run'));

/** The SVG parsed back, to assert on its structure. */
function parse(svg: string): Element {
  const doc = new JSDOM(`<!DOCTYPE html><body>${svg}</body>`).window.document;
  const root = doc.querySelector('svg');
  if (root === null) throw new Error('no <svg>');
  return root;
}
const texts = (el: Element, selector: string) => [...el.querySelectorAll(selector)].map((e) => e.textContent);

describe('renderers: the same digest gives the same bytes', () => {
  const renderers = {
    timeseries: renderTimeseries,
    breaker: renderBreakerDiagram,
    'redis-cluster': renderRedisClusterDiagram,
    mysql: renderMysqlDiagram,
    limiting: renderLimitingDiagram,
  } as const;
  for (const [name, render] of Object.entries(renderers)) {
    it(`${name}: snapshot, and identical on a second render`, async () => {
      const svg = render(digest);
      expect(render(digest)).toBe(svg);
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" id="[a-z-]+"/);
      expect(svg).toContain('font-family="DejaVu Sans"');
      await expect(svg).toMatchFileSnapshot(`__snapshots__/${name}.svg`);
    });
  }
  it('sequence: snapshot of the first sampled upstream call', async () => {
    const trail = digest.trails[2];
    if (trail === undefined) throw new Error('no third trail');
    await expect(renderSequence(trail)).toMatchFileSnapshot('__snapshots__/sequence.svg');
  });
});

describe('timeseries', () => {
  const svg = parse(renderTimeseries(digest));
  const panels = [...svg.querySelectorAll('g.panel')];

  it('draws every panel, each with the bands of both faults and a cursor', () => {
    expect(panels.map((p) => p.getAttribute('data-panel'))).toEqual([
      'Throughput',
      'Latency',
      'Errors, limited, blocked, refused, fallback',
      'Answers per tier',
      'In flight',
      'Breaker state (green CLOSED, red OPEN, amber HALF_OPEN, purple: changes under a pixel apart)',
      'Provider cooldowns',
    ]);
    for (const p of panels) {
      expect(p.querySelectorAll('rect.fault-band')).toHaveLength(2);
      expect(p.querySelectorAll('line.fault-line')).toHaveLength(5);
      expect(p.querySelectorAll('line.cursor')).toHaveLength(1);
    }
  });

  it('places a band from its start to its stop on the shared axis, one row per fault kind', () => {
    const x0 = Number(svg.getAttribute('data-x0'));
    const x1 = Number(svg.getAttribute('data-x1'));
    const t1 = Number(svg.getAttribute('data-t1'));
    const x = (ms: number) => x0 + ((x1 - x0) * ms) / t1;
    const bands = [...(panels[0]?.querySelectorAll('rect.fault-band') ?? [])];
    const outage = bands.find((b) => b.getAttribute('data-kind') === 'outage');
    const crash = bands.find((b) => b.getAttribute('data-kind') === 'crash');
    expect(Number(outage?.getAttribute('x'))).toBeCloseTo(x(5000), 0);
    expect(Number(outage?.getAttribute('width'))).toBeCloseTo(x(9000) - x(5000), 0);
    expect(Number(crash?.getAttribute('x'))).toBeCloseTo(x(12000), 0);
    // Rows sorted by kind: crash above outage, each half the panel.
    expect(Number(crash?.getAttribute('y'))).toBe(0);
    expect(Number(outage?.getAttribute('y'))).toBeCloseTo(55, 0);
  });

  it('draws the breaker timeline through every state it took, half-open included', () => {
    const states = [...(panels[5]?.querySelectorAll('rect.state') ?? [])].map((r) =>
      r.getAttribute('data-state'),
    );
    expect(states).toEqual(['CLOSED', 'OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN', 'CLOSED']);
  });

  it('draws a provider’s cooldown from its start to the cooldown-end', () => {
    const x0 = Number(svg.getAttribute('data-x0'));
    const x1 = Number(svg.getAttribute('data-x1'));
    const t1 = Number(svg.getAttribute('data-t1'));
    const x = (ms: number) => x0 + ((x1 - x0) * ms) / t1;
    const bars = [...(panels[6]?.querySelectorAll('rect.cooldown') ?? [])];
    expect(bars).toHaveLength(1);
    expect(Number(bars[0]?.getAttribute('x'))).toBeCloseTo(x(5200), 0);
    expect(Number(bars[0]?.getAttribute('width'))).toBeCloseTo(x(7200) - x(5200), 0);
  });

  it('merges a flapping breaker’s sub-pixel states into one FLAPPING stretch, keeps a lone one', () => {
    const flaps = Array.from({ length: 100 }, (_, i) => ({
      t: 1000 + i,
      resource: 'r',
      grade: '1',
      prev: i % 2 === 0 ? 'CLOSED' : 'OPEN',
      next: i % 2 === 0 ? 'OPEN' : 'CLOSED',
    }));
    const segments = stateSegments(flaps, 10_000, 20);
    expect(segments.map((s) => [s.state, s.from, s.to, s.changes])).toEqual([
      ['CLOSED', 0, 1000, 1],
      ['FLAPPING', 1000, 1099, 99],
      ['CLOSED', 1099, 10_000, 1],
    ]);
    const lone = stateSegments(digest.breaker, digest.endMs, 20).map((s) => s.state);
    expect(lone).toEqual(['CLOSED', 'OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN', 'CLOSED']);
  });

  it('draws one line per series, not empty', () => {
    const lines = [...(panels[0]?.querySelectorAll('path.series') ?? [])];
    expect(lines.map((l) => l.getAttribute('data-series'))).toEqual(['all', 'ok']);
    expect(lines.every((l) => (l.getAttribute('d') ?? '').length > 40)).toBe(true);
  });
});

describe('the article’s diagrams', () => {
  it('1. breaker: three states and the run’s transition counts on the edges', () => {
    const svg = parse(renderBreakerDiagram(digest));
    expect(svg.querySelectorAll('g.node')).toHaveLength(3);
    expect(texts(svg, 'g.edge text')).toEqual([
      'threshold exceeded ×1',
      'timeWindow elapsed, a call probes ×2',
      'probe fails ×1',
      'probe succeeds ×1',
    ]);
    expect(texts(svg, 'text.breaker-line')).toEqual([
      'chatCompletion (EXCEPTION_RATIO): CLOSED→OPEN ×1, OPEN→HALF_OPEN ×2, HALF_OPEN→OPEN ×1, HALF_OPEN→CLOSED ×1',
    ]);
    expect(texts(svg, 'text.rule')).toEqual([
      'DegradeRule: grade EXCEPTION_RATIO, count 0.5, timeWindow 2, minRequestAmount 5, statIntervalMs 1000',
      'FlowRule: grade QPS, count 100',
    ]);
  });

  it('1. breaker: a refusal Sentinel reports as `block` and the gateway layer as `blocked` counts once', () => {
    const others = Object.fromEntries(
      Object.entries(digest.counts).filter(([c]) => !c.startsWith('sentinel')),
    );
    const counts = { ...others, 'sentinel/gw-1': { block: 40, blocked: 40, fallback: 40 } };
    const line = (d: RunDigest) =>
      [...parse(renderBreakerDiagram(d)).querySelectorAll('text')]
        .map((t) => t.textContent)
        .find((t) => t?.startsWith('In this run'));
    expect(line({ ...digest, counts })).toContain('40 calls blocked by a rule');
    expect(line({ ...digest, counts: { ...others, 'sentinel/gw-1': { block: 7 } } })).toContain(
      '7 calls blocked by a rule',
    );
  });

  it('2. Redis Cluster: masters with slots, replicas, the crash and the failover', () => {
    const svg = parse(renderRedisClusterDiagram(digest));
    expect(svg.querySelectorAll('g.redis-master')).toHaveLength(3);
    expect(svg.querySelectorAll('g.redis-replica')).toHaveLength(3);
    expect(svg.querySelector('g.redis-master')?.textContent).toContain('slots 0–5460');
    expect(svg.querySelector('g.redis-master')?.textContent).toContain('crashed in this run');
    expect(svg.querySelector('g.redis-master')?.textContent).toContain('replaced by r1');
    expect(svg.querySelector('g.redis-replica')?.textContent).toContain('promoted at 12.4 s');
    expect(texts(svg, 'text.happening')).toEqual([
      '12 s  crash redis/shard-1/master',
      '12.1 s  fail redis-cluster (node=m2, peer=m1, reports=2)',
      '12.4 s  promoted redis-cluster (node=r1, replaces=m1, configEpoch=7)',
      '12.5 s  failover redis/shard-1/replica-1',
      '15 s  restart redis/shard-1/master',
    ]);
  });

  it('3. MySQL: the primary and, per replica, IO thread → relay log → SQL thread', () => {
    const svg = parse(renderMysqlDiagram(digest));
    expect(svg.querySelectorAll('g.mysql-primary')).toHaveLength(1);
    expect(svg.querySelectorAll('g.io-thread')).toHaveLength(2);
    expect(svg.querySelectorAll('g.relay-log')).toHaveLength(2);
    expect(svg.querySelectorAll('g.sql-thread')).toHaveLength(2);
    expect(svg.querySelectorAll('g.edge.binlog')).toHaveLength(2);
    expect(svg.querySelector('g.io-thread')?.textContent).toContain('2 changes, last running');
    expect(texts(svg, 'text.event-count')).toEqual(['commit ×1', 'io-thread ×2']);
  });

  it('4. limiting: a bucket per instance with its counts, the shared limiter', () => {
    const svg = parse(renderLimitingDiagram(digest));
    const buckets = [...svg.querySelectorAll('g.token-bucket')];
    expect(buckets).toHaveLength(2);
    expect(buckets[0]?.textContent).toContain('admitted ×188  limited ×12');
    expect(svg.querySelector('g.redis-limiter')?.textContent).toContain('admitted ×376');
  });

  it('draws a note instead of a diagram when the topology has no such part', () => {
    const bare: RunDigest = { ...digest, topology: null };
    expect(parse(renderRedisClusterDiagram(bare)).textContent).toContain('none in this run’s topology');
    expect(parse(renderMysqlDiagram(bare)).querySelectorAll('g.node')).toHaveLength(0);
  });
});

describe('sequence diagram', () => {
  it('one lifeline per layer touched, one row per event, an arrow per hop', () => {
    const trail = digest.trails[3];
    if (trail === undefined) throw new Error('no fourth trail');
    const svg = parse(renderSequence(trail));
    expect([...svg.querySelectorAll('g.lifeline')].map((g) => g.getAttribute('data-lifeline'))).toEqual([
      'gateway',
      'token-bucket',
      'redis-limiter',
      'executor',
      'upstream',
    ]);
    expect(svg.querySelectorAll('g.event')).toHaveLength(trail.events.length);
    expect(svg.querySelectorAll('line.message')).toHaveLength(5);
    expect(svg.textContent).toContain('upstream attempt-failed model=gpt-4o n=1 status=503 next=exhausted');
  });
});
