import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderBreakerDiagram } from './breaker-diagram.ts';
import type { RunDigest } from './digest.ts';
import { renderLimitingDiagram } from './limiting-diagram.ts';
import { renderMysqlDiagram } from './mysql-diagram.ts';
import { writePngs } from './png.ts';
import { readRun } from './read-run.ts';
import { renderRedisClusterDiagram } from './redis-cluster-diagram.ts';
import { REPORT_CSS, REPORT_SCRIPT } from './report-script.ts';
import { renderSequence } from './sequence.ts';
import { fmt, fmtInt, gradeName } from './svg.ts';
import { renderTimeseries } from './timeseries.ts';

/**
 * The run's report: one self-contained HTML page (inline SVG, CSS and script; nothing fetched),
 * built from the digest alone. Its bytes depend only on the digest: no wall-clock time or date.
 * Order, after k6's summary: what ran and how to run it again, the expectations, then the charts
 * on one time axis, the article's four diagrams, and sampled requests' sequence diagrams.
 */

/** Bookmarks (jump targets) kept: the first faults and breaker transitions. */
export const BOOKMARKS_MAX = 40;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The command that reproduces the run. */
export function reproduceCommand(d: RunDigest): string {
  return `hasim run ${d.run.source} --seed ${d.run.seed}`;
}

/** A jump target for the scrubber: a fault or a breaker transition. */
export interface Bookmark {
  readonly t: number;
  readonly text: string;
}

/**
 * Jump targets a presenter wants: every fault, the first time each breaker makes each transition,
 * and each breaker's first transition after a fault (a flapping breaker would otherwise fill the
 * list). At most BOOKMARKS_MAX, in time order.
 */
export function bookmarksOf(d: RunDigest): Bookmark[] {
  const marks: Bookmark[] = d.faults.map((f) => ({ t: f.t, text: `${f.verb} ${f.target}` }));
  const seen = new Set<string>();
  const faultTimes = d.faults.map((f) => f.t);
  let nextFault = 0;
  const sinceFault = new Set<string>();
  for (const c of d.breaker) {
    while (nextFault < faultTimes.length && (faultTimes[nextFault] ?? 0) <= c.t) {
      nextFault++;
      sinceFault.clear();
    }
    const breaker = `${c.resource} (${gradeName(c.grade)})`;
    const key = `${breaker} ${c.prev}→${c.next}`;
    const firstAfterFault = nextFault > 0 && !sinceFault.has(breaker);
    sinceFault.add(breaker);
    if (seen.has(key) && !firstAfterFault) continue;
    seen.add(key);
    marks.push({ t: c.t, text: key });
  }
  return marks.sort((a, b) => a.t - b.t).slice(0, BOOKMARKS_MAX);
}

/** The JSON the scrubber reads: only what it shows, never the raw trace. */
function scrubberData(d: RunDigest): string {
  const times = [
    ...d.faults.map((f) => f.t),
    ...d.breaker.map((c) => c.t),
    ...d.cooldowns.map((c) => c.startMs),
  ];
  const steps = [...new Set(times)].sort((a, b) => a - b);
  // Breaker changes as [t, row, state] triples: a flapping breaker makes thousands.
  const names: string[] = [];
  const initial: string[] = [];
  const changes: [number, number, string][] = [];
  for (const c of d.breaker) {
    const name = `${c.resource} (${gradeName(c.grade)})`;
    let row = names.indexOf(name);
    if (row < 0) {
      row = names.push(name) - 1;
      initial.push(c.prev);
    }
    changes.push([c.t, row, c.next]);
  }
  const json = JSON.stringify({
    endMs: d.endMs,
    bucketMs: d.series.bucketMs,
    inflight: d.series.inflight,
    breakers: { names, initial, changes },
    bands: d.bands,
    cooldowns: d.cooldowns,
    steps,
  });
  // `<` escaped so the JSON cannot close its <script> element.
  return json.replace(/</g, '\\u003c');
}

function figure(id: string, caption: string, svg: string): string {
  return `<figure id="fig-${id}"><figcaption>${escapeHtml(caption)}</figcaption>\n${svg}\n</figure>`;
}

function header(d: RunDigest): string {
  const r = d.run;
  const rows: [string, string][] = [
    ['scenario', `${r.scenario} (${r.kind})`],
    ['reproduce', `<code>${escapeHtml(reproduceCommand(d))}</code>`],
    ['seed', String(r.seed)],
    ['hasim', r.hasimVersion],
    ['trace hash', `<code>${escapeHtml(r.traceHash)}</code>`],
    ['events', fmtInt(r.events)],
    ['simulated', `${fmt(r.simulatedMs / 1000, 3)} s`],
    ['run ended', r.end],
  ];
  if (d.topology !== null) {
    // Parts pinned to one form (topology.variants) run it whatever the variant says: said beside it.
    const pins = Object.entries(d.topology.variants ?? {});
    const pinned =
      pins.length === 0 ? '' : `; pinned: ${pins.map(([part, form]) => `${part} ${form}`).join(', ')}`;
    rows.splice(1, 0, ['variant', `${d.topology.variant}${pinned}`]);
  }
  const body = rows.map(
    ([k, v]) =>
      `<tr><th>${escapeHtml(k)}</th><td>${k === 'reproduce' || k === 'trace hash' ? v : escapeHtml(v)}</td></tr>`,
  );
  const description = r.description === '' ? '' : `<p id="description">${escapeHtml(r.description)}</p>\n`;
  return `${description}<table class="run">\n${body.join('\n')}\n</table>
<details id="scenario"><summary>The scenario, as the trace records it</summary><pre>${escapeHtml(r.scenarioText)}</pre></details>`;
}

function expectationTable(d: RunDigest): string {
  const { expectations, verdict } = d.run;
  const v =
    verdict === null
      ? ''
      : `<p id="verdict" class="verdict-${/pass|ok/i.test(verdict) ? 'pass' : 'fail'}">Verdict: <strong>${escapeHtml(verdict)}</strong></p>`;
  if (expectations.length === 0)
    return `${v}<p id="no-expectations">This scenario states no expectations.</p>`;
  const rows = expectations.map(
    (x) =>
      `<tr><td class="${x.ok ? 'ok' : 'fail'}">${x.ok ? '✓' : '✗'}</td><td>${escapeHtml(x.text)}</td><td>${escapeHtml(x.measured)}</td></tr>`,
  );
  return `${v}<table id="expectations"><tr><th></th><th>expectation</th><th>measured</th></tr>\n${rows.join('\n')}\n</table>`;
}

function scrubber(d: RunDigest): string {
  const buttons = bookmarksOf(d).map(
    (b) =>
      `<button type="button" data-t="${b.t}">${escapeHtml(`${fmt(b.t / 1000, 3)} s ${b.text}`)}</button>`,
  );
  return `<section id="scrub">
<label for="scrubber">Time <span id="clock">0 s</span></label>
<input id="scrubber" type="range" min="0" max="${d.endMs}" step="1" value="0">
<div id="state"></div>
<div class="hint">← → step ${fmt(d.series.bucketMs / 1000)} s · Shift+← → previous/next event · Home/End</div>
</section>
<div id="bookmarks">${buttons.join('')}</div>`;
}

function countsTable(d: RunDigest): string {
  const rows: string[] = [];
  for (const [c, kinds] of Object.entries(d.counts)) {
    for (const [k, n] of Object.entries(kinds)) {
      if (rows.length < 400)
        rows.push(`<tr><td>${escapeHtml(c)}</td><td>${escapeHtml(k)}</td><td>${fmtInt(n)}</td></tr>`);
    }
  }
  return `<details><summary>Events per component and kind</summary><table id="counts">\n${rows.join('\n')}\n</table></details>`;
}

/** One drawing of the report: its figure id, caption and standalone SVG. */
export interface Chart {
  readonly id: string;
  readonly caption: string;
  readonly svg: string;
}

/** Every drawing of the report, in page order: the time series, the four diagrams, the sequences. */
export function chartsOf(d: RunDigest): Chart[] {
  return [
    {
      id: 'timeseries',
      caption:
        'Throughput, latency, errors, cache tiers, in flight and breaker states on one time axis; fault bands on every panel',
      svg: renderTimeseries(d),
    },
    { id: 'breaker', caption: '1. Sentinel circuit breaking and flow control', svg: renderBreakerDiagram(d) },
    { id: 'redis-cluster', caption: '2. The Redis Cluster', svg: renderRedisClusterDiagram(d) },
    { id: 'mysql', caption: '3. MySQL replication and read/write splitting', svg: renderMysqlDiagram(d) },
    { id: 'limiting', caption: '4. Rate limiting and request merging', svg: renderLimitingDiagram(d) },
    ...d.trails.map((t) => ({
      id: `sequence-${t.id}`,
      caption: `Sampled request ${t.id}: ${t.why}`,
      svg: renderSequence(t),
    })),
  ];
}

/** The report page for a digest (`charts`: its drawings, when the caller has drawn them already). */
export function renderReport(d: RunDigest, charts: readonly Chart[] = chartsOf(d)): string {
  const fig = (id: string) => {
    const c = charts.find((x) => x.id === id);
    return c === undefined ? '' : figure(c.id, c.caption, c.svg);
  };
  const sequences = charts.filter((c) => c.id.startsWith('sequence-')).map((c) => fig(c.id));
  const title = `hasim report: ${d.run.scenario} seed ${d.run.seed}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${header(d)}
<h2>Expectations</h2>
${expectationTable(d)}
${scrubber(d)}
<h2>Time series</h2>
${fig('timeseries')}
<h2>The article’s diagrams, drawn from this run</h2>
${fig('breaker')}
${fig('redis-cluster')}
${fig('mysql')}
${fig('limiting')}
<h2>Sampled requests</h2>
${sequences.length === 0 ? '<p>No request was sampled.</p>' : sequences.join('\n')}
<h2>Counts</h2>
${countsTable(d)}
<script type="application/json" id="hasim-data">${scrubberData(d)}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * Reads a run directory and writes `<dir>/report.html`, and with `png` each drawing as
 * `<dir>/png/<id>.png` (png.ts). Returns the report's path and the PNGs'. Throws `RunDirError`, or
 * `PngError` when the PNGs' font is missing.
 */
export function writeReportFiles(
  dir: string,
  options: { png?: boolean } = {},
): { report: string; pngs: string[] } {
  const path = join(dir, 'report.html');
  const digest = readRun(dir);
  const charts = chartsOf(digest);
  const pngs = options.png === true ? writePngs(dir, charts) : [];
  writeFileSync(path, renderReport(digest, charts));
  return { report: path, pngs };
}

/** Reads a run directory and writes `<dir>/report.html`; returns its path. Throws `RunDirError`. */
export function writeReport(dir: string): string {
  return writeReportFiles(dir).report;
}
