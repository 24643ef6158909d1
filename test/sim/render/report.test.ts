import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '#cli/main.ts';
import { DEJAVU_SANS_TTF, PngError, svgToPng } from '#sim/render/png.ts';
import { readRun } from '#sim/render/read-run.ts';
import { bookmarksOf, chartsOf, renderReport, writeReport } from '#sim/render/report.ts';
import { writeSyntheticRun } from './synthetic-run.ts';

const root = mkdtempSync(join(tmpdir(), 'hasim-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = join(root, 'run');
writeSyntheticRun(dir);

describe('report.html', () => {
  const html = renderReport(readRun(dir));
  const doc = new JSDOM(html).window.document;

  it('is the same bytes for the same run, and holds no date or time of day', () => {
    expect(renderReport(readRun(dir))).toBe(html);
    expect(html).not.toMatch(/\b20\d\d-\d\d-\d\d\b|\d\d:\d\d:\d\d/);
  });

  it('references nothing outside itself', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=/);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('starts with the run and the command that reproduces it, then the expectations', () => {
    expect(doc.querySelector('table.run')?.textContent).toContain(
      'hasim run scenarios/synthetic.yaml --seed 7',
    );
    const rows = [...doc.querySelectorAll('#expectations tr')].slice(1).map((r) => r.textContent);
    expect(rows).toEqual([
      '✓latency p(99) < 2sp(99)=1.2s',
      '✗breaker reaches CLOSED within 10s of healnever closed <again>',
    ]);
    expect(doc.querySelector('#verdict')?.textContent).toBe('Verdict: fail');
    const order = html.indexOf('id="expectations"');
    expect(order).toBeGreaterThan(0);
    expect(order).toBeLessThan(html.indexOf('<figure'));
  });

  it('holds every figure, with ids unique across the page', () => {
    const figures = [...doc.querySelectorAll('figure')].map((f) => f.id);
    expect(figures).toEqual([
      'fig-timeseries',
      'fig-breaker',
      'fig-redis-cluster',
      'fig-mysql',
      'fig-limiting',
      ...readRun(dir).trails.map((t) => `fig-sequence-${t.id}`),
    ]);
    const ids = [...doc.querySelectorAll('[id]')].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('embeds the scrubber’s data, with its jump targets', () => {
    const data = JSON.parse(doc.querySelector('#hasim-data')?.textContent ?? '{}') as { steps: number[] };
    expect(data.steps).toEqual([5000, 5200, 6000, 8000, 9000, 10000, 12000, 12500, 15000]);
    expect(doc.querySelectorAll('#bookmarks button')).toHaveLength(10);
  });
});

describe('bookmarks', () => {
  it('a flapping breaker adds its first transitions and its first after each fault, not every flap', () => {
    const d = readRun(dir);
    const flaps = Array.from({ length: 200 }, (_, i) => ({
      t: 13_000 + i,
      resource: 'chatCompletion',
      grade: '1',
      prev: i % 2 === 0 ? 'CLOSED' : 'OPEN',
      next: i % 2 === 0 ? 'OPEN' : 'CLOSED',
    }));
    const marks = bookmarksOf({ ...d, breaker: flaps });
    expect(marks.map((m) => m.text)).toEqual([
      'outage upstream/primary',
      'heal upstream/primary',
      'crash redis/shard-1/master',
      'failover redis/shard-1/replica-1',
      'chatCompletion (EXCEPTION_RATIO) CLOSED→OPEN',
      'chatCompletion (EXCEPTION_RATIO) OPEN→CLOSED',
      'restart redis/shard-1/master',
    ]);
  });
});

describe('hasim report <run-dir>', () => {
  it('writes report.html and prints its path', async () => {
    const log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['report', dir])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(renderReport(readRun(dir)));
    expect(writeReport(dir)).toBe(join(dir, 'report.html'));
  });

  it('a missing run directory: one line on stderr, exit 2', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    let lines: unknown[][];
    try {
      code = await main(['report', join(root, 'missing')]);
      lines = err.mock.calls.map((c) => [c[0]]);
    } finally {
      err.mockRestore();
    }
    expect(code).toBe(2);
    expect(lines).toEqual([[`hasim report: ${join(root, 'missing')}: no such run directory\n`]]);
  });
});

describe('hasim report --png', () => {
  const pngSize = (b: Buffer) => [b.readUInt32BE(16), b.readUInt32BE(20)];

  it.skipIf(!existsSync(DEJAVU_SANS_TTF))(
    'one PNG per drawing, at its size, the same bytes twice',
    async () => {
      const log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      let printed: string[];
      try {
        expect(await main(['report', dir, '--png'])).toBe(0);
        printed = log.mock.calls.map((c) => String(c[0]).trimEnd());
      } finally {
        log.mockRestore();
      }
      const charts = chartsOf(readRun(dir));
      expect(printed).toEqual([
        ...charts.map((c) => join(dir, 'png', `${c.id}.png`)),
        join(dir, 'report.html'),
      ]);
      for (const c of charts) {
        const png = readFileSync(join(dir, 'png', `${c.id}.png`));
        expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        const [width, height] = /viewBox="0 0 (\d+) (\d+)"/.exec(c.svg)?.slice(1).map(Number) ?? [];
        expect(pngSize(png)).toEqual([width, height]);
        expect(svgToPng(c.svg)).toEqual(png);
      }
      expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(renderReport(readRun(dir)));
    },
  );

  it('without its font: one clear error, not a PNG without text', () => {
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg"/>', join(root, 'none.ttf'))).toThrow(
      new PngError(
        `${join(root, 'none.ttf')} is missing (apt-get install fonts-dejavu-core): PNGs need its DejaVu Sans`,
      ),
    );
  });
});
