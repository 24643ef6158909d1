import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { readRun } from '../../sim/render/read-run.ts';
import { renderReport } from '../../sim/render/report.ts';
import type { BenchCase, Measurement } from '../harness.ts';

// Drawing the report of the 300,000-request gateway run (scenarios/bench/gateway-300k.yaml: about
// 4 million trace lines, 400 MB): readRun (one pass over the trace into the digest) and renderReport
// (the SVG charts and diagrams, the page) in this process. The goal is under 5 s and a page under
// 3 MB: the time series are downsampled to at most BUCKETS_MAX buckets and the trace is never
// embedded. The peer is the floor a reader of the trace would start from: a readline loop that
// JSON.parses every line and does nothing else with it.
//
// The run directory is made once, in out/bench/gateway-300k/ (several minutes), and reused while
// it is readable by this hasim; HASIM_BENCH_REPORT_RUN names another run directory to draw.
const ROOT = resolve(import.meta.dirname, '../..');
const SCENARIO = join(ROOT, 'scenarios/bench/gateway-300k.yaml');
const RUN_DIR = process.env.HASIM_BENCH_REPORT_RUN ?? join(ROOT, 'out/bench/gateway-300k');
const TARGET_RENDER_MS = 5000;
const TARGET_HTML_BYTES = 3 * 2 ** 20;

let events = 0;
let htmlBytes = 0;
const renderMs: number[] = [];
/** CPU time (user + system) of each render: what it costs when the machine is shared. */
const renderCpuMs: number[] = [];
const floorMs: number[] = [];
let cliMs = 0;

/** The run directory, made by `hasim run` the first time (or when the one there is unreadable). */
function runDir(): string {
  if (events > 0) return RUN_DIR;
  let readable = existsSync(join(RUN_DIR, 'summary.json'));
  if (readable) {
    try {
      readRun(RUN_DIR);
    } catch {
      readable = false;
    }
  }
  if (!readable) {
    console.log(
      `    (making ${RUN_DIR}: hasim run scenarios/bench/gateway-300k.yaml, several minutes, once)`,
    );
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/hasim.mjs'), 'run', SCENARIO, '--out', RUN_DIR, '--quiet'],
      { encoding: 'utf8', timeout: 3_600_000 },
    );
    if (r.status !== 0 && r.status !== 3)
      throw new Error(`hasim run failed (${r.status}): ${r.stderr.trim()}`);
  }
  return RUN_DIR;
}

function render(): Measurement {
  const dir = runDir();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const digest = readRun(dir);
  const html = renderReport(digest);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  renderCpuMs.push((used.user + used.system) / 1000);
  events = digest.run.events;
  htmlBytes = Buffer.byteLength(html);
  renderMs.push(ms);
  return { ops: events, ms };
}

async function parseEveryLine(): Promise<Measurement> {
  const dir = runDir();
  const start = performance.now();
  let n = 0;
  const lines = createInterface({ input: createReadStream(join(dir, 'trace.jsonl')), crlfDelay: Infinity });
  for await (const line of lines) {
    JSON.parse(line);
    n++;
  }
  const ms = performance.now() - start;
  floorMs.push(ms);
  return { ops: Math.max(0, n - 2), ms };
}

/** `hasim report <dir>` as a user runs it: a fresh process, startup and writing included. */
function cli(): Measurement {
  const dir = runDir();
  const start = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/hasim.mjs'), 'report', dir], { encoding: 'utf8' });
  cliMs = performance.now() - start;
  if (r.status !== 0) throw new Error(`hasim report failed (${r.status}): ${r.stderr.trim()}`);
  return { ops: events, ms: cliMs };
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export const cases: BenchCase[] = [
  {
    name: 'report.html of the 300,000-request gateway run (readRun + renderReport, in process)',
    unit: 'trace events/s',
    ours: { label: 'hasim readRun + renderReport', run: async () => render() },
    peer: { label: 'readline + JSON.parse every line', run: parseEveryLine },
    rounds: 3,
    get targets() {
      return events > 0 ? { minOpsPerSecond: events / (TARGET_RENDER_MS / 1000) } : undefined;
    },
    notes: () => {
      const trace = join(RUN_DIR, 'trace.jsonl');
      const traceMb = existsSync(trace) ? statSync(trace).size / 2 ** 20 : 0;
      const ms = median(renderMs);
      return [
        `trace: ${events.toLocaleString('en-US')} events, ${traceMb.toFixed(0)} MB (${RUN_DIR})`,
        `render ${seconds(ms)} wall, ${seconds(median(renderCpuMs))} CPU (medians of ${renderMs.length} renders; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs); goal under ${TARGET_RENDER_MS / 1000} s: ${ms < TARGET_RENDER_MS ? 'met' : 'NOT met'}`,
        `report.html ${(htmlBytes / 2 ** 20).toFixed(2)} MB (goal under 3 MB: ${htmlBytes < TARGET_HTML_BYTES ? 'met' : 'NOT met'})`,
        `floor (JSON.parse of every line, nothing drawn) ${seconds(median(floorMs))}`,
      ];
    },
  },
  {
    name: 'hasim report <the 300,000-request run> in a fresh process (startup and writing included)',
    unit: 'trace events/s',
    ours: { label: 'node bin/hasim.mjs report', run: async () => cli() },
    rounds: 1,
    notes: () => [`wall ${seconds(cliMs)}`],
  },
];
