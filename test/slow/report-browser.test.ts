// report.html as a person looks at it: opened in headless Chromium (Debian `chromium`, driven by
// playwright-core with `executablePath`), no console error, every figure drawn, the scrubber moved
// and the state panel following it; then every committed notebook page (docs/notebooks/), each
// cell with its output and every drawing non-empty. Screenshots are saved under out/ for CI to keep.
//
// Needs playwright-core (a devDependency) and /usr/bin/chromium (`apt-get install -y chromium
// fonts-dejavu-core`); without either the test is skipped and says why. HASIM_PLAYWRIGHT_CORE may
// name the module (a path to its index.mjs) when it is installed elsewhere.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReport } from '#sim/render/report.ts';
import { ROOT } from '../helpers/cli.ts';
import { writeSyntheticRun } from '../sim/render/synthetic-run.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The parts of playwright-core this test uses. */
interface Browser {
  newPage(o: { viewport: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}
interface Page {
  close(): Promise<void>;
  on(event: 'console', f: (m: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', f: (e: Error) => void): void;
  goto(url: string): Promise<unknown>;
  evaluate<T>(f: () => T): Promise<T>;
  keyboard: { press(key: string): Promise<void> };
  locator(selector: string): { fill(value: string): Promise<void> };
  screenshot(o: { path: string; fullPage: boolean }): Promise<unknown>;
}
interface PlaywrightCore {
  chromium: { launch(o: { executablePath: string; args: string[] }): Promise<Browser> };
}

async function loadPlaywright(): Promise<PlaywrightCore | string> {
  const name = process.env.HASIM_PLAYWRIGHT_CORE ?? 'playwright-core';
  try {
    return (await import(/* @vite-ignore */ name)) as PlaywrightCore;
  } catch {
    return `the module '${name}' is not installed (add the devDependency playwright-core)`;
  }
}

const playwright = await loadPlaywright();
const skipWhy =
  typeof playwright === 'string'
    ? playwright
    : existsSync(CHROMIUM)
      ? undefined
      : `${CHROMIUM} is missing (apt-get install -y chromium fonts-dejavu-core)`;

const root = mkdtempSync(join(tmpdir(), 'hasim-report-browser-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the page shows: figures with their drawn size and element count, the state panel, cursors. */
function snapshotPage() {
  const figures = [...document.querySelectorAll('figure')].map((f) => {
    const svg = f.querySelector('svg');
    const box = svg?.getBoundingClientRect();
    return {
      id: f.id,
      width: box?.width ?? 0,
      height: box?.height ?? 0,
      elements: svg?.querySelectorAll('*').length ?? 0,
    };
  });
  const cursor = document.querySelector('#timeseries line.cursor');
  const marked = [...document.querySelectorAll('#diagram-breaker g.node')].find(
    (g) => g.querySelector('rect')?.getAttribute('stroke-width') === '4',
  );
  return {
    figures,
    state: document.querySelector('#state')?.textContent ?? '',
    clock: document.querySelector('#clock')?.textContent ?? '',
    cursorX: cursor?.getAttribute('x1') ?? '',
    cursorVisible: cursor?.getAttribute('visibility') ?? '',
    breakerMarked: marked?.getAttribute('class') ?? '',
  };
}

describe.skipIf(skipWhy !== undefined)(
  `report.html in headless Chromium${skipWhy ? ` (skipped: ${skipWhy})` : ''}`,
  () => {
    it('draws every figure, logs no error, and the scrubber moves the state panel', async () => {
      const pw = playwright as PlaywrightCore;
      const dir = join(root, 'run');
      writeSyntheticRun(dir);
      const report = writeReport(dir);
      const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
        const errors: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') errors.push(m.text());
        });
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(pathToFileURL(report).href);

        const start = await page.evaluate(snapshotPage);
        expect(start.figures.length).toBeGreaterThanOrEqual(6);
        for (const f of start.figures) {
          expect(f.width, f.id).toBeGreaterThan(100);
          expect(f.height, f.id).toBeGreaterThan(50);
          expect(f.elements, f.id).toBeGreaterThan(10);
        }
        expect(start.clock).toBe('0.000 s');
        expect(start.state).toContain('CLOSED');
        expect(start.state).toContain('faults active: none');
        expect(start.breakerMarked).toBe('node state-CLOSED');

        // Shift+→ jumps to the next event: the outage at 5 s, the provider's cooldown at 5.2 s, then
        // the breaker opening at 6 s.
        await page.keyboard.press('Shift+ArrowRight');
        const outage = await page.evaluate(snapshotPage);
        expect(outage.clock).toBe('5.000 s');
        expect(outage.state).toContain('faults active: outage upstream/primary');
        expect(outage.cursorVisible).toBe('visible');
        expect(Number(outage.cursorX)).toBeGreaterThan(Number(start.cursorX));
        await page.keyboard.press('Shift+ArrowRight');
        expect((await page.evaluate(snapshotPage)).state).toContain('cooling down: gpt-4o');
        await page.keyboard.press('Shift+ArrowRight');
        const open = await page.evaluate(snapshotPage);
        expect(open.state).toContain('chatCompletion (EXCEPTION_RATIO): OPEN');
        expect(open.breakerMarked).toBe('node state-OPEN');

        // Dragging the slider: at 13 s the breaker is closed again and the Redis master is down.
        await page.locator('#scrubber').fill('13000');
        const later = await page.evaluate(snapshotPage);
        expect(later.clock).toBe('13.000 s');
        expect(later.state).toContain('chatCompletion (EXCEPTION_RATIO): CLOSED');
        expect(later.state).toContain('crash redis/shard-1/master');
        await page.keyboard.press('ArrowLeft');
        expect((await page.evaluate(snapshotPage)).clock).toBe('12.000 s');

        mkdirSync(join(ROOT, 'out'), { recursive: true });
        await page.screenshot({ path: join(ROOT, 'out', 'report-browser.png'), fullPage: true });
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    });

    it('the notebook pages: every cell shows its output, every drawing is drawn, no error', async () => {
      const pw = playwright as PlaywrightCore;
      const dir = join(ROOT, 'docs', 'notebooks');
      const names = readdirSync(dir).filter((f) => f.endsWith('.html') && f !== 'index.html');
      expect(names.length).toBeGreaterThanOrEqual(6);
      const browser = await pw.chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        for (const name of names.sort()) {
          const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
          const errors: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error') errors.push(m.text());
          });
          page.on('pageerror', (e) => errors.push(String(e)));
          await page.goto(pathToFileURL(join(dir, name)).href);
          const seen = await page.evaluate(snapshotNotebook);
          expect(seen.cells, name).toBeGreaterThan(0);
          expect(seen.emptyOutputs, name).toEqual([]);
          expect(seen.drawings, name).toBeGreaterThan(0);
          expect(seen.flatDrawings, name).toEqual([]);
          expect(errors, name).toEqual([]);
          await page.screenshot({
            path: join(ROOT, 'out', `notebook-${name.replace('.html', '')}.png`),
            fullPage: true,
          });
          await page.close();
        }
      } finally {
        await browser.close();
      }
    });
  },
);

/** What a notebook page shows: its cells, those without output, and its drawings' drawn sizes. */
function snapshotNotebook() {
  const cells = [...document.querySelectorAll('div.cell')];
  const svgs = [...document.querySelectorAll('div.cell .output svg')];
  return {
    cells: cells.length,
    emptyOutputs: cells
      .filter(
        (c) =>
          (c.querySelector('.output')?.textContent ?? '').trim() === '' &&
          c.querySelector('.output svg') === null,
      )
      .map((c) => c.id),
    drawings: svgs.length,
    flatDrawings: svgs
      .filter((s) => {
        const box = s.getBoundingClientRect();
        return box.width < 100 || box.height < 50 || s.querySelectorAll('*').length < 10;
      })
      .map((s) => s.id),
  };
}
