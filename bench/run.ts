import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BenchCase, type BenchResult, formatRate, measure } from './harness.ts';
import { memoryLatencyLine } from './machine.ts';

// `npm run bench [suite]`: every case measures ours next to the peer a user would otherwise pick,
// in this one run, and prints medians and the ratio. Results also go to out/bench.json.
// A suite is a file in bench/suites/ exporting `cases: BenchCase[]`; the kernel runs first.
const dir = join(import.meta.dirname, 'suites');
const only = process.argv[2];
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .filter((name) => only === undefined || name === only)
  .sort((a, b) => (a === 'kernel' ? -1 : b === 'kernel' ? 1 : a.localeCompare(b)));
if (names.length === 0) {
  console.error(`bench: no suite named '${only}' in bench/suites/`);
  process.exit(2);
}
const suites: Array<[string, BenchCase[]]> = [];
const broken: string[] = [];
for (const name of names) {
  try {
    const mod = (await import(pathToFileURL(join(dir, `${name}.ts`)).href)) as { cases: BenchCase[] };
    suites.push([name, mod.cases]);
  } catch (error) {
    // One broken suite must not hide the others' figures; it is reported and fails the run.
    broken.push(`${name}: ${(error as Error).message.split('\n')[0]}`);
  }
}
const rounds = Number(process.env.HASIM_BENCH_ROUNDS ?? 5);

console.log(
  `hasim bench — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${rounds} rounds (median)`,
);
const machine = memoryLatencyLine();
console.log(machine);
const results: BenchResult[] = [];
for (const [suite, cases] of suites) {
  console.log(`\n[${suite}]`);
  for (const c of cases) {
    const r = await measure(c, rounds);
    results.push(r);
    console.log(`  ${r.name}`);
    console.log(`    ${r.ours.label.padEnd(34)} ${formatRate(r.ours.opsPerSecond).padStart(9)} ${r.unit}`);
    if (r.peer)
      console.log(`    ${r.peer.label.padEnd(34)} ${formatRate(r.peer.opsPerSecond).padStart(9)} ${r.unit}`);
    if (r.ratio !== undefined) console.log(`    ratio ours/peer ${r.ratio.toFixed(2)}x`);
    for (const note of r.notes ?? []) console.log(`    ${note}`);
    if (c.targets) {
      const t = c.targets;
      const parts = [
        t.minOpsPerSecond !== undefined ? `>= ${formatRate(t.minOpsPerSecond)} ${r.unit}` : '',
        t.minRatio !== undefined ? `>= ${t.minRatio}x peer` : '',
      ].filter(Boolean);
      console.log(`    target ${parts.join(' and ')}: ${r.targetsMet ? 'met' : 'NOT met'}`);
    }
  }
}
mkdirSync('out', { recursive: true });
writeFileSync(
  'out/bench.json',
  `${JSON.stringify({ node: process.version, machine, rounds, results }, null, 2)}\n`,
);
console.log('\nwritten out/bench.json');
if (broken.length > 0) {
  console.error(`\nbench: ${broken.length} suite(s) could not be loaded:\n  ${broken.join('\n  ')}`);
  process.exitCode = 1;
}
