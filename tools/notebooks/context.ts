import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DigestEvent, RunDigest } from '../../sim/render/digest.ts';
import { readRun } from '../../sim/render/read-run.ts';
import { escapeHtml } from '../../sim/render/report.ts';
import { fmt } from '../../sim/render/svg.ts';
import { runScenario, type ScenarioResult, summaryJson } from '../../sim/run.ts';
import { loadScenarioFile } from '../../sim/scenarios/load.ts';
import { kindOf, type Scenario, type Variant } from '../../sim/scenarios/registry.ts';
import { readLines } from '../../sim/trace-file.ts';
import { type LineChart, renderLineChart } from './chart.ts';
import { eventRow, type FigureName, figureHtml, prefixIds, stateAtRows, tableHtml } from './figures.ts';

/**
 * What a notebook's cells share: the runs they made (each scenario, seed and variant runs once per
 * build, whichever cell asks first) and the outputs of the cell running now. A `ts` cell gets the
 * `NotebookContext` as `nb`; a `hasim run` cell goes through the same `run` and `figure`.
 */

/** One finished run, as a cell sees it. */
export interface NotebookRun {
  /** The scenario file, relative to the repository root (as a reader types it). */
  readonly source: string;
  readonly seed: number | string;
  readonly variant: Variant;
  /** Where its trace.jsonl, summary.json live (under the build's work folder). */
  readonly dir: string;
  readonly result: ScenarioResult;
  readonly digest: RunDigest;
}

/** Which events `events` returns. */
export interface EventFilter {
  /** Component name, or a pattern it must match (`/^sentinel\//`). */
  readonly component?: string | RegExp;
  /** Kind, or a pattern it must match (`/^(commit|write-acked)$/`). */
  readonly kind?: string | RegExp;
  /** Inclusive, ms. @defaultValue 0 */
  readonly fromMs?: number;
  /** Inclusive, ms. @defaultValue the end of the run */
  readonly toMs?: number;
  /** At most this many, the first in trace order. @defaultValue 20 */
  readonly limit?: number;
}

/** Events a `pause` lists at most. */
export const PAUSE_EVENTS_MAX = 40;

/** The runs of one build, shared by every notebook (a notebook's name keeps its folders apart). */
export class RunCache {
  readonly #runs = new Map<string, Promise<NotebookRun>>();

  /** @param rootDir the repository root, where scenario paths start. @param workDir where run folders go. */
  constructor(
    readonly rootDir: string,
    readonly workDir: string,
  ) {}

  /** Runs a scenario once (later calls with the same source, seed and variant reuse it). */
  run(source: string, options: { variant?: Variant; seed?: number | string } = {}): Promise<NotebookRun> {
    const scenario = loadScenarioFile(resolve(this.rootDir, source));
    const variant = options.variant ?? kindOf(scenario).variants(scenario)[0] ?? 'fixed';
    const seed = options.seed ?? scenarioSeed(scenario);
    const key = `${source}\n${seed}\n${variant}`;
    let run = this.#runs.get(key);
    if (run === undefined) {
      run = this.#start(scenario, source, seed, variant);
      this.#runs.set(key, run);
    }
    return run;
  }

  /** The variants a scenario runs in, in its order (`article` before `fixed`). */
  variants(source: string): Variant[] {
    const scenario = loadScenarioFile(resolve(this.rootDir, source));
    return [...kindOf(scenario).variants(scenario)];
  }

  async #start(scenario: Scenario, source: string, seed: number | string, variant: Variant) {
    const dir = join(
      this.workDir,
      `${scenario.name}-seed${seed}-${variant}`.replace(/[^A-Za-z0-9._-]/g, '_'),
    );
    mkdirSync(dir, { recursive: true });
    // One turn of the real event loop first: a figure drawn just before (jsdom, sim/render/svg.ts)
    // leaves its document's load events queued on ticks, and they must fire outside the simulation.
    await new Promise<void>((done) => setImmediate(done));
    const summary = await runScenario(scenario, { seed, variant, outDir: dir, source });
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summaryJson(summary), null, 2)}\n`);
    // Drawn after the run is over: the renderer's DOM (jsdom) must never work inside a simulation.
    return { source, seed, variant, dir, result: summary.result, digest: readRun(dir) };
  }
}

/** The seed a scenario names for itself, else 1 (as `hasim run` chooses it). */
function scenarioSeed(scenario: Scenario): number | string {
  return 'seed' in scenario && scenario.seed !== undefined ? scenario.seed : 1;
}

/** The `nb` a cell works with. Outputs are HTML fragments, in the order the cell made them. */
export class NotebookContext {
  readonly outputs: string[] = [];
  /** Files a cell saved (`save`), by path from the repository root: written beside the pages. */
  readonly files = new Map<string, string>();
  #figures = 0;
  /** Lines printed (console.log) since the last other output: they share one <pre>. */
  #printed: string[] | undefined;

  constructor(
    readonly runs: RunCache,
    /** The notebook's name, e.g. `1-breaker`: figure ids start with it. */
    readonly name: string,
  ) {}

  /** Marks the start of a cell; its outputs are those from the returned index on. */
  beginCell(): number {
    this.#printed = undefined;
    return this.outputs.length;
  }

  /** Runs a scenario (see `RunCache.run`). */
  run(source: string, options: { variant?: Variant; seed?: number | string } = {}): Promise<NotebookRun> {
    return this.runs.run(source, options);
  }

  /** The variants a scenario runs in. */
  variants(source: string): Variant[] {
    return this.runs.variants(source);
  }

  /** Shows text as written (monospace). */
  text(s: string): void {
    this.#push(`<pre class="text">${escapeHtml(s)}</pre>`);
  }

  /** One printed line (a ts cell's console.log); consecutive lines share one block. */
  log(line: string): void {
    if (this.#printed === undefined) {
      this.#printed = [];
      this.outputs.push('');
    }
    this.#printed.push(line);
    this.outputs[this.outputs.length - 1] = `<pre class="text">${escapeHtml(this.#printed.join('\n'))}</pre>`;
  }

  #push(html: string): void {
    this.#printed = undefined;
    this.outputs.push(html);
  }

  /** Shows a table; numbers are formatted (`12,345`, `0.125`). */
  table(header: readonly string[], rows: readonly (readonly unknown[])[]): void {
    this.#push(tableHtml(header, rows));
  }

  /** Shows an SVG drawn by the cell (its ids prefixed like every figure's). */
  svg(svg: string, caption?: string): void {
    this.#push(this.#wrap(prefixIds(svg, `${this.name}-f${++this.#figures}-`), caption));
  }

  /** Shows a line chart (chart.ts) drawn from the cell's own numbers. */
  lineChart(chart: LineChart): void {
    this.svg(renderLineChart('chart', chart));
  }

  /** Shows one of the report's figures of a run, captioned with the scenario and variant. */
  figure(run: NotebookRun, name: FigureName, caption?: string): void {
    const prefix = `${this.name}-f${++this.#figures}-`;
    const html = figureHtml(name, run.digest, run.result.report as Record<string, unknown>, prefix);
    this.#push(this.#wrap(html, caption ?? `${name}: ${run.result.scenario} [${run.variant}]`));
  }

  /**
   * Saves one of a run's SVG figures as a standalone file under `docs/img/` (the README shows one),
   * so that it is made, and checked, with the pages. Also shows it.
   */
  save(
    run: NotebookRun,
    name: Exclude<FigureName, 'expectations' | 'summary' | 'sequence'>,
    path: string,
  ): void {
    if (!/^docs\/img\/[a-z0-9-]+\.svg$/.test(path))
      throw new Error(`save: ${path}: a notebook saves only docs/img/<name>.svg`);
    this.files.set(path, figureHtml(name, run.digest, run.result.report as Record<string, unknown>, ''));
    this.figure(run, name, `${name}: ${run.result.scenario} [${run.variant}], saved as ${path}`);
  }

  /** The run's trace events that pass `filter`, in trace order, read from its trace.jsonl. */
  events(run: NotebookRun, filter: EventFilter = {}): DigestEvent[] {
    const from = filter.fromMs ?? 0;
    const to = filter.toMs ?? Number.POSITIVE_INFINITY;
    const limit = filter.limit ?? 20;
    const found: DigestEvent[] = [];
    let line = 0;
    for (const text of readLines(join(run.dir, 'trace.jsonl'))) {
      if (line++ === 0 || !text.startsWith('{"t":')) continue; // the header; the footer has no `t`
      const e = JSON.parse(text) as DigestEvent;
      if (e.t < from) continue;
      if (e.t > to || found.length >= limit) break;
      const c = filter.component;
      if (c !== undefined && (typeof c === 'string' ? e.c !== c : !c.test(e.c))) continue;
      const k = filter.kind;
      if (k !== undefined && (typeof k === 'string' ? e.k !== k : !k.test(e.k))) continue;
      found.push(e);
    }
    return found;
  }

  /**
   * Stops the run at `atMs` to look (Secret Lives of Data's `.at(model, 'stateChange')` frames): a
   * title, every component's state at that instant, and the trace events from `beforeMs` before to
   * `afterMs` after it that pass `filter`.
   */
  pause(
    run: NotebookRun,
    atMs: number,
    title: string,
    options: { beforeMs?: number; afterMs?: number; filter?: EventFilter } = {},
  ): void {
    const events = this.events(run, {
      limit: PAUSE_EVENTS_MAX,
      ...options.filter,
      fromMs: atMs - (options.beforeMs ?? 0),
      toMs: atMs + (options.afterMs ?? 0),
    });
    const state = tableHtml(['at this instant', ''], stateAtRows(run.digest, atMs));
    const trace = tableHtml(['t', 'component', 'kind', 'fields'], events.map(eventRow));
    this.#push(
      `<div class="pause"><p class="pause-title">${escapeHtml(`Paused at ${fmt(atMs / 1000, 3)} s: ${title}`)} <span class="variant">[${escapeHtml(run.variant)}]</span></p>\n${state}\n${trace}</div>`,
    );
  }

  #wrap(html: string, caption: string | undefined): string {
    const cap = caption === undefined ? '' : `<figcaption>${escapeHtml(caption)}</figcaption>\n`;
    return `<figure>${cap}${html}</figure>`;
  }
}
