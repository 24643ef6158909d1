import { z } from 'zod';
import { SeededRandom } from '../../src/adapters/seeded-random.ts';
import { INVERSE_VERB } from '../../src/harness/fault-timeline.ts';
import { FAULT_VERBS, type FaultVerb } from '../../src/ports/faults.ts';
import { nextInt } from '../../src/ports/random.ts';
import { durationSchema } from '../checkers/expectations/schema.ts';
import { LimitError, type LimitValues, limitValue } from '../limits.ts';
import { argsPath, faultArgsProblem } from '../world/fault-args.ts';
import { faultTargets } from '../world/targets.ts';
import { gatewayDurationMs } from './gateway.ts';
import type { Scenario, ScenarioProblem } from './registry.ts';

/**
 * A fault generator in a scenario file, after Jepsen's nemesis packages (`jepsen.nemesis.combined`:
 * `{:faults #{:partition :kill}, :interval 10, :targets [...]}` and a final generator that heals
 * everything). Each seed draws its own explicit schedule from its `nemesis` random fork before the
 * run starts; the simulator only ever runs explicit schedules, which is what lets `hasim shrink`
 * cut one down (research: fault schedules as data; VOPR and FDB cannot shrink their probabilities).
 */

/** Verbs that end a fault: the nemesis ends each fault itself with `for:`, so none are drawn. */
const ENDING_VERBS = new Set(Object.values(INVERSE_VERB));

const range = z.union([durationSchema, z.tuple([durationSchema, durationSchema])]);

const nemesisFaultSchema = z.union([
  z.string(),
  z.strictObject({
    do: z.string(),
    /** The fault's arguments, as in `faults:`. */
    args: z
      .record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.array(z.string())]))
      .optional(),
    /** How long each fault lasts: a duration, or `[min, max]` drawn uniformly. @defaultValue interval */
    for: range.optional(),
    /** The targets this fault may hit. @defaultValue the nemesis's targets that answer the verb */
    targets: z.array(z.string().min(1)).min(1).optional(),
  }),
]);

/** `nemesis:` of a gateway scenario. */
export const nemesisSchema = z.strictObject({
  /** What to draw from, each equally likely: a verb (`outage`) or `{do, args, for, targets}`. */
  faults: z.array(nemesisFaultSchema).min(1, 'expected at least one fault'),
  /** Mean time between fault starts; each gap is uniform in [0, 2 × interval) (Jepsen's stagger). */
  interval: durationSchema.refine((ms) => ms > 0, 'expected an interval > 0'),
  /** The targets faults may hit. @defaultValue every target of the topology that answers the verb */
  targets: z.array(z.string().min(1)).min(1).optional(),
  /** No fault starts before this time. @defaultValue 0 */
  from: durationSchema.optional(),
  /** No fault starts at or after this time. @defaultValue the end of the arrival phases */
  until: durationSchema.optional(),
  /** `heal`: every fault ends by `until`, which becomes the scenario's `heal:` time. */
  final: z.literal('heal', { error: "expected 'heal'" }).optional(),
});

export type Nemesis = z.infer<typeof nemesisSchema>;

/** One fault the nemesis may draw, with its defaults filled in. */
interface FaultChoice {
  readonly verb: FaultVerb;
  readonly args?: Readonly<Record<string, number | string | boolean | string[]>>;
  readonly forMs: readonly [number, number];
  readonly targets: readonly string[];
}

/** One drawn fault, in the scenario file's own form (`faults:` entries, times in ms). */
export interface DrawnFault {
  readonly at: number;
  readonly do: FaultVerb;
  readonly target: string;
  readonly for?: number;
  readonly args?: Readonly<Record<string, number | string | boolean | string[]>>;
}

/** The window faults start in, ms: `[from, until)`. */
export function nemesisWindow(nemesis: Nemesis, arrivalsMs: number): { fromMs: number; untilMs: number } {
  return { fromMs: nemesis.from ?? 0, untilMs: nemesis.until ?? arrivalsMs };
}

/**
 * What the schema cannot see: verbs that do not exist or only end faults, targets the topology
 * lacks, a fault no target answers, a window that is empty. The first problem, or undefined.
 */
export function nemesisProblem(
  nemesis: Nemesis,
  targets: ReadonlyMap<string, readonly FaultVerb[]>,
  arrivalsMs: number,
): ScenarioProblem | undefined {
  const known = [...targets.keys()].join(', ');
  for (const [i, name] of (nemesis.targets ?? []).entries()) {
    if (!targets.has(name))
      return {
        path: ['nemesis', 'targets', i],
        message: `no fault target '${name}' in this topology (targets: ${known})`,
      };
  }
  for (const [i, fault] of nemesis.faults.entries()) {
    const verb = typeof fault === 'string' ? fault : fault.do;
    const path = typeof fault === 'string' ? ['nemesis', 'faults', i] : ['nemesis', 'faults', i, 'do'];
    if (!(FAULT_VERBS as readonly string[]).includes(verb))
      return { path, message: `expected a fault verb (${FAULT_VERBS.join(', ')}), got "${verb}"` };
    if (ENDING_VERBS.has(verb as FaultVerb))
      return { path, message: `'${verb}' ends a fault; the nemesis ends each fault it draws itself (for:)` };
    if (typeof fault !== 'string') {
      for (const [j, name] of (fault.targets ?? []).entries()) {
        if (!targets.has(name)) {
          const message = `no fault target '${name}' in this topology (targets: ${known})`;
          return { path: ['nemesis', 'faults', i, 'targets', j], message };
        }
      }
      if (fault.for !== undefined && INVERSE_VERB[verb as FaultVerb] === undefined)
        return {
          path: ['nemesis', 'faults', i, 'for'],
          message: `'${verb}' has no inverse to end it, so it takes no duration`,
        };
      if (Array.isArray(fault.for) && !(fault.for[0] > 0 && fault.for[0] <= fault.for[1]))
        return { path: ['nemesis', 'faults', i, 'for'], message: 'expected [min, max] with 0 < min <= max' };
      if (fault.for === 0)
        return { path: ['nemesis', 'faults', i, 'for'], message: 'expected a duration > 0' };
    }
    const choice = choiceOf(nemesis, fault, targets);
    if (choice.targets.length === 0)
      return {
        path,
        message: `no target answers '${verb}' (targets: ${(nemesis.targets ?? [...targets.keys()]).join(', ')})`,
      };
    // The arguments must suit every target the fault may be drawn on.
    for (const target of choice.targets) {
      const args = faultArgsProblem(target, verb, choice.args);
      if (args !== undefined)
        return { path: argsPath(['nemesis', 'faults', i], choice.args, args.arg), message: args.message };
    }
  }
  const { fromMs, untilMs } = nemesisWindow(nemesis, arrivalsMs);
  if (!(untilMs > fromMs))
    return {
      path: ['nemesis', nemesis.until === undefined ? 'from' : 'until'],
      message: `expected from < until, got ${fromMs} ms and ${untilMs} ms`,
    };
  return undefined;
}

function choiceOf(
  nemesis: Nemesis,
  fault: Nemesis['faults'][number],
  targets: ReadonlyMap<string, readonly FaultVerb[]>,
): FaultChoice {
  const spec = typeof fault === 'string' ? { do: fault } : fault;
  const verb = spec.do as FaultVerb;
  const allowed = spec.targets ?? nemesis.targets ?? [...targets.keys()];
  const forMs =
    spec.for === undefined
      ? [nemesis.interval, nemesis.interval]
      : Array.isArray(spec.for)
        ? spec.for
        : [spec.for, spec.for];
  return {
    verb,
    ...(spec.args === undefined ? {} : { args: spec.args }),
    forMs: [forMs[0] as number, forMs[1] as number],
    targets: allowed.filter((name) => targets.get(name)?.includes(verb) === true),
  };
}

/**
 * The explicit schedule `seed` draws from `nemesis`, from the seed's own `nemesis` random fork
 * (so the workload's draws, in other forks, are the same with or without it). One fault per target
 * at a time: a start finds a target whose last fault has ended, or is skipped. With `final: heal`
 * every fault ends by `until`. At most `nemesisFaults` faults (a `LimitError` beyond).
 */
export function drawFaults(
  nemesis: Nemesis,
  seed: number | string,
  targets: ReadonlyMap<string, readonly FaultVerb[]>,
  arrivalsMs: number,
  limits?: LimitValues,
): DrawnFault[] {
  const random = new SeededRandom(seed).fork('nemesis');
  const choices = nemesis.faults.map((f) => choiceOf(nemesis, f, targets));
  const { fromMs, untilMs } = nemesisWindow(nemesis, arrivalsMs);
  const faultsMax = limitValue(limits, 'nemesisFaults');
  const busyUntil = new Map<string, number>();
  const drawn: DrawnFault[] = [];
  for (
    let at = fromMs + nextInt(random, 2 * nemesis.interval);
    at < untilMs;
    at += nextInt(random, 2 * nemesis.interval)
  ) {
    const choice = choices[nextInt(random, choices.length)] as FaultChoice;
    const free = choice.targets.filter((t) => (busyUntil.get(t) ?? -1) < at);
    const target = free.length === 0 ? undefined : free[nextInt(random, free.length)];
    const [minMs, maxMs] = choice.forMs;
    const drawnMs = minMs + nextInt(random, maxMs - minMs + 1);
    if (target === undefined) continue;
    const ends = INVERSE_VERB[choice.verb] !== undefined;
    const forMs = nemesis.final === 'heal' ? Math.min(drawnMs, untilMs - at) : drawnMs;
    if (drawn.length >= faultsMax)
      throw new LimitError(
        'nemesisFaults',
        faultsMax,
        `nemesis (seed ${seed})`,
        `more faults start before ${untilMs} ms`,
      );
    drawn.push({
      at,
      do: choice.verb,
      target,
      ...(ends ? { for: forMs } : {}),
      ...(choice.args === undefined ? {} : { args: choice.args }),
    });
    busyUntil.set(target, ends ? at + forMs : at);
  }
  return drawn;
}

/**
 * `scenario` with its nemesis replaced by the explicit schedule `seed` draws (and `heal:` set at
 * the nemesis's end when it heals there); any other scenario unchanged. Runs resolve first, so a
 * nemesis scenario run with `--seed S` is the same run as the resolved one with the same seed.
 */
export function resolveNemesis(scenario: Scenario, seed: number | string, limits?: LimitValues): Scenario {
  if (scenario.kind !== 'gateway' || scenario.nemesis === undefined) return scenario;
  const { nemesis, ...rest } = scenario;
  const arrivalsMs = gatewayDurationMs(scenario);
  const faults = drawFaults(nemesis, seed, faultTargets(scenario.topology), arrivalsMs, limits);
  const heal =
    scenario.heal ?? (nemesis.final === 'heal' ? nemesisWindow(nemesis, arrivalsMs).untilMs : undefined);
  return { ...rest, faults, ...(heal === undefined ? {} : { heal }) };
}
