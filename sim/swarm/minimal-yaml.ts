import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { parseDocument } from 'yaml';
import { formatDuration } from '../checkers/expectations/duration.ts';

/** A time as a scenario file writes it: `0s` rather than `0ms` at the start. */
export const timeText = (ms: number): string => (ms === 0 ? '0s' : formatDuration(ms));

import type { Variant } from '../scenarios/registry.ts';
import type { ShrinkResult } from './shrink.ts';

/** What a minimal scenario file says about where it came from. */
export interface MinimalOrigin {
  /** The scenario file the failing seed ran (its text is the starting point). */
  readonly sourceText: string;
  readonly sourcePath: string;
  /** Where the minimal file will be written: its `extends:` paths are made relative to it. */
  readonly minimalPath: string;
  readonly seed: number | string;
  /** The variant that failed, set in the file when the source runs more than one. */
  readonly variant: Variant | undefined;
  readonly expectation: string;
}

/**
 * The shrunk schedule as a scenario file: the source file's text (its comments kept) with
 * `nemesis:` replaced by the explicit `faults:` shrink found, the seed that failed, the arrival
 * phases cut to the shrunk length, and `heal:` where the source had one drawn. `hasim run` on it
 * replays the failure; nothing in it needs fast-check.
 */
export function minimalScenarioYaml(origin: MinimalOrigin, shrink: ShrinkResult): string {
  const doc = parseDocument(origin.sourceText);
  const { scenario } = shrink;
  doc.commentBefore = [
    ` hasim shrink: seed ${origin.seed} of ${origin.sourcePath}, cut from ${shrink.before.faults.length} faults to ${shrink.after.faults.length}`,
    ` in ${shrink.runs} runs; with this schedule the seed still breaks '${origin.expectation}'.`,
    ` Replay: hasim run <this file>`,
  ].join('\n');
  doc.set('name', `${scenario.name}-seed-${origin.seed}-minimal`);
  doc.set('seed', origin.seed);
  if (origin.variant !== undefined) doc.set('variant', origin.variant);
  // A `nemesis:` the file inherits is removed by a null over it (extends.ts); its own is deleted.
  const inherits = doc.has('extends');
  if (inherits) doc.set('nemesis', null);
  else doc.delete('nemesis');
  for (const field of [['extends'], ['topology', 'extends']]) {
    const base = doc.getIn(field);
    if (typeof base !== 'string' || isAbsolute(base)) continue;
    const target = relative(dirname(origin.minimalPath), join(dirname(origin.sourcePath), base));
    doc.setIn(field, target.split(sep).join('/'));
  }
  const faults = shrink.after.faults.map((f) =>
    doc.createNode(
      {
        at: timeText(f.at),
        do: f.do,
        target: f.target,
        ...(f.for === undefined ? {} : { for: timeText(f.for) }),
        ...(f.args === undefined ? {} : { args: f.args }),
      },
      { flow: true },
    ),
  );
  doc.set('faults', doc.createNode(faults));
  if (scenario.heal !== undefined) doc.set('heal', timeText(scenario.heal));
  if (shrink.after.durationMs !== shrink.before.durationMs) {
    const phases = scenario.workload.phases.map((p) =>
      doc.createNode({ ...p, durationMs: timeText(p.durationMs) }, { flow: true }),
    );
    doc.setIn(['workload', 'phases'], doc.createNode(phases));
  }
  return doc.toString({ lineWidth: 0 });
}
