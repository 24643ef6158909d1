// The `SeedRunner` that `hasim worker` threads load (src/adapters/bullmq-seed-job.ts imports this
// file by path): a queued seed carries its scenario as text, because the worker may be on another
// machine than the file; runSeed (sim/swarm/run-seed.ts) reads a file, so the text is written to a
// private temporary file once per scenario, and the result then names the submitter's path again.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { replayCommand, runSeed } from '../sim/swarm/run-seed.ts';
import type { SeedResult } from '../sim/swarm/seed-result.ts';
import type { SeedTask } from '../src/ports/sweep-queue.ts';

/** Scenario files a thread keeps written, by content hash. */
const FILES_MAX = 16;

let dir: string | undefined;
const files = new Map<string, string>();

/** Writes `text` to a file of this thread's temporary directory (once per distinct text). */
function scenarioFile(task: SeedTask): string {
  const digest = createHash('sha256').update(task.scenarioText).digest('hex').slice(0, 16);
  let path = files.get(digest);
  if (path === undefined) {
    if (dir === undefined) {
      const created = mkdtempSync(join(tmpdir(), 'hasim-worker-'));
      // A worker thread emits 'exit' on its own `process` when it ends.
      process.once('exit', () => rmSync(created, { recursive: true, force: true }));
      dir = created;
    }
    path = join(dir, `${digest}-${basename(task.scenarioPath).replace(/[^A-Za-z0-9._-]/g, '_')}`);
    writeFileSync(path, task.scenarioText);
    if (files.size >= FILES_MAX) files.clear();
    files.set(digest, path);
  }
  return path;
}

/** Runs one queued seed as `hasim swarm` runs it locally; the result names the submitter's file. */
export async function runSeedTask(task: SeedTask): Promise<SeedResult> {
  const path = scenarioFile(task);
  const result = await runSeed({
    scenarioPath: path,
    seed: task.seed,
    ...(task.limits === undefined ? {} : { limits: task.limits }),
  });
  return {
    ...result,
    replay: replayCommand(task.scenarioPath, task.seed),
    ...(result.error === undefined ? {} : { error: result.error.split(path).join(task.scenarioPath) }),
  };
}
