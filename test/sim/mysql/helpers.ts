import { Simulation } from '#sim/kernel/simulation.ts';
import { SimMysqlCluster, type SimMysqlClusterOptions } from '#sim/mysql/index.ts';
import { SqlError } from '#src/ports/sql.ts';

/** Builds a cluster on a fresh simulation, runs `body` as one task to idle, returns its value. */
export async function runCluster<T>(
  seed: number,
  options: SimMysqlClusterOptions,
  body: (cluster: SimMysqlCluster, sim: Simulation) => Promise<T>,
): Promise<{ value: T; sim: Simulation; cluster: SimMysqlCluster }> {
  const sim = new Simulation({ seed, stepsMax: 5_000_000, trace: { keepLines: 100_000 } });
  const cluster = new SimMysqlCluster(options, sim);
  const p = sim.spawn(() => body(cluster, sim), { name: 'scenario' });
  await sim.run();
  return { value: await p, sim, cluster };
}

/** The SqlError a promise rejects with (fails when it resolves or throws something else). */
export async function sqlError(p: Promise<unknown>): Promise<SqlError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SqlError) return e;
    throw e;
  }
  throw new Error('expected a SqlError, the statement succeeded');
}

export const CREATE_T = 'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))';

/** The trace lines of kind `kind` (component mysql). */
export const traceOf = (sim: Simulation, kind: string) =>
  sim.trace.lines.filter((l) => l.includes(`"c":"mysql","k":"${kind}"`));
