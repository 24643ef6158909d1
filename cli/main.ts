import { HASIM_VERSION } from '../sim/run.ts';
import { flagText, HELP_OPTION, type OptionSpec, type Parsed, parseVerbArgs } from './args.ts';
import { EXIT, reportInputError, UsageError } from './errors.ts';
import { limitOptions } from './limits.ts';
import { out } from './output.ts';

/** One `hasim` command: everything its help, its parsing and its usage errors are made from. */
interface Verb {
  readonly name: string;
  /** The positional arguments as the usage line shows them, e.g. '[scenario.yaml]'. */
  readonly args: string;
  /** One line for the command list of `hasim --help`. */
  readonly summary: string;
  /** The paragraph under the usage line of `hasim <verb> --help`. */
  readonly description: string;
  /** Lines that explain the positional arguments, between the description and the options. */
  readonly argsHelp?: string;
  /**
   * Loads what the command needs: its flags and its handler. Only the command that runs is loaded
   * (`hasim run` never loads the live drivers, BullMQ or the HTTP server), which keeps a short run's
   * start-up to the modules it uses.
   */
  readonly load: () => Promise<VerbBody>;
}

interface VerbBody {
  readonly options: readonly OptionSpec[];
  readonly handler: (parsed: Parsed) => number | Promise<number>;
}

/** The verb table: the one list of what `hasim` can do. */
const VERBS: readonly Verb[] = [
  {
    name: 'run',
    args: '[scenario.yaml|dir ...]',
    summary: 'run a scenario on virtual time (default: the built-in smoke scenario)',
    description: `Runs a scenario on virtual time. The same scenario, seed and hasim version give the same trace,
byte for byte. Without a file, runs the built-in scenario (scenarios/smoke.yaml). With several files
or a folder (every .yaml under it, except names starting with _, the parts other files extend),
runs each and ends with 'N passed, N failed'. A file may build on another with extends:
(docs/scenarios.md).`,
    load: async () => ({
      handler: (await import('./verbs/run.ts')).run,
      options: [
        {
          name: 'seed',
          type: 'string',
          value: 'N',
          help: 'root seed, an integer or a name (default 1); printed first so a run can be repeated',
        },
        {
          name: 'out',
          type: 'string',
          value: 'DIR',
          help: 'where to write trace.jsonl and summary.json (default out/<scenario>-seed<N>)',
        },
        { name: 'quiet', type: 'boolean', help: "print only the summary's trace hash" },
        {
          name: 'report',
          type: 'boolean',
          help: 'also write report.html beside the trace (as hasim report <run-dir>) and print its path',
        },
        ...limitOptions('run'),
      ],
    }),
  },
  {
    name: 'replay',
    args: '<trace.jsonl>',
    summary: "re-run a recorded trace's scenario and seed; check the hash matches",
    description: `Re-runs the scenario and seed recorded in a trace's header and compares the new trace hash with
the recorded one. On a mismatch, prints the first event that differs, the recorded fields beside the re-run's.
Exit 0 when they match, 1 when the re-run differs (nondeterminism, or another hasim version),
2 when the file is not the trace hasim wrote (cut, copied with CRLF line endings, or edited).`,
    load: async () => ({
      options: limitOptions('replay'),
      handler: (await import('./verbs/replay.ts')).replay,
    }),
  },
  {
    name: 'report',
    args: '<run-dir>',
    summary: "draw a run's report.html: expectations, charts, the article's diagrams, sampled requests",
    description: `Reads a run directory (trace.jsonl and summary.json, as hasim run writes them) and writes
<run-dir>/report.html: one self-contained page with the expectations, the time series with fault
bands, the article's four diagrams drawn from the run, sequence diagrams of sampled requests, and a
time scrubber. The same run gives the same bytes. A directory that is missing, incomplete or from
another hasim version is an input error (exit 2).`,
    load: async () => ({
      handler: (await import('./verbs/report.ts')).report,
      options: [
        {
          name: 'png',
          type: 'boolean',
          help: 'also write each drawing as <run-dir>/png/<id>.png (resvg, DejaVu Sans: fonts-dejavu-core)',
        },
      ],
    }),
  },
  {
    name: 'hitrate',
    args: '[trace]',
    summary: 'replay a cache key trace through W-TinyLFU, LRU and the optimal bound (Belady)',
    description: `Replays a key trace through each cache policy at several maximum sizes and prints the hit rates
side by side, in the manner of Caffeine's simulator: hasim's W-TinyLFU (the Caffeine-faithful L1),
hasim's LRU, and the optimal offline bound (Belady).`,
    argsHelp: `  trace        web07 or web12 (the real CC BY 4.0 traces in data/traces), zipf, loop,
               scan-zipf (seeded synthetic traces), a file of big-endian int32 keys, or all
               (default: all)`,
    load: async () => ({
      handler: (await import('./verbs/hitrate.ts')).hitrate,
      options: [
        {
          name: 'sizes',
          type: 'string',
          value: 'N,N,...',
          help: 'maximum sizes to simulate (default: per trace)',
        },
        ...limitOptions('hitrate'),
      ],
    }),
  },
  {
    name: 'swarm',
    args: '<scenario.yaml>',
    summary: 'run many seeds of a scenario on every core; list the failing seeds and how to replay each',
    description: `Runs seeds S .. S+N-1 of a scenario, one per worker thread at a time. Each seed draws its own fault
schedule from the scenario's nemesis: and is judged by its expectations. Prints the failing seeds, fastest
failure first, with the expectation each broke and the command that replays it, and how many seeds
reached each sometimes: check. Failing seeds run twice; a different trace hash is nondeterminism.
Writes DIR/seed-S/summary.json per seed and DIR/summary.json for the sweep. Ends with 'N passed, N failed'.
Exit 0 when every seed passed, 3 when one broke an expectation, 1 when a seed could not run or did not
reproduce its trace, 2 for bad input.`,
    load: async () => {
      const { SWARM_QUEUE_OPTIONS, swarmOrQueue } = await import('./verbs/swarm-queue.ts');
      return {
        handler: swarmOrQueue,
        options: [
          { name: 'seeds', type: 'string', value: 'N', help: 'how many seeds to run (required)' },
          {
            name: 'out',
            type: 'string',
            value: 'DIR',
            help: 'a new or empty directory for the summaries (required)',
          },
          { name: 'first-seed', type: 'string', value: 'S', help: 'the first seed, an integer (default 1)' },
          {
            name: 'workers',
            type: 'string',
            value: 'K',
            help: 'worker threads, one seed each at a time (default: the cores, os.availableParallelism)',
          },
          {
            name: 'fail-fast',
            type: 'string',
            value: 'K',
            help: 'start no more seeds once K have failed (seeds already running finish)',
          },
          ...limitOptions('swarm'),
          ...SWARM_QUEUE_OPTIONS,
        ],
      };
    },
  },
  {
    name: 'worker',
    args: '',
    summary: 'run seeds of sweeps from a queue (hasim swarm --queue) until stopped',
    description: `Takes seeds of any sweep from the sweep queue (BullMQ on a standalone Redis) and runs each in a
worker thread of its own, as hasim swarm runs them locally; the scenario comes with the seeds, so the
worker may be on any machine. Runs until SIGINT or SIGTERM, then finishes the seeds in hand (exit 0).
A queue it cannot reach within --connect-timeout-ms is one line and exit 1; a scenario this hasim cannot
parse ends that sweep's seeds as errors, one line, and the worker goes on (docs/sweeps.md).`,
    load: async () => {
      const { WORKER_OPTIONS, worker } = await import('./verbs/worker.ts');
      return { options: WORKER_OPTIONS, handler: worker };
    },
  },
  {
    name: 'shrink',
    args: '<DIR/seed-S>',
    summary: "cut a failing seed's fault schedule to the faults that matter; write minimal.yaml",
    description: `Reads a failing seed's summary (DIR/seed-S/summary.json, as hasim swarm writes it) and cuts its
explicit fault schedule and run length with fast-check to a smallest schedule that still breaks the same
expectation with the same seed: first which faults, then their times, toward whole seconds. Writes
DIR/seed-S/minimal.yaml, a scenario with explicit faults: that 'hasim run' replays (exit 3), and prints the
runs it took and the fault counts before and after. Exit 0 when it is written, 1 when the schedule no
longer fails (nondeterminism, or the scenario or hasim changed), 2 for bad input.`,
    load: async () => ({
      options: limitOptions('shrink'),
      handler: (await import('./verbs/shrink.ts')).shrink,
    }),
  },
  {
    name: 'live',
    args: '<scenario.yaml>',
    summary: 'run a gateway scenario against real Redis and MariaDB (default: scripts/backends.sh servers)',
    description: `Runs a kind: gateway scenario on the system clock (scaled by --time-scale) against real servers, with
the same gateway code, judge and trace schema as hasim run; keys and tables get a run prefix and are removed
at the end unless --keep. --compare also runs it simulated and prints both figures side by side.
Exit 0 when every expectation held, 3 when one did not, 2 for bad input or a server unreachable at the
start, 1 when a server died mid-run (docs/live.md).`,
    load: async () => {
      const { LIVE_OPTIONS, live } = await import('./verbs/live.ts');
      return { options: LIVE_OPTIONS, handler: live };
    },
  },
  {
    name: 'serve-llm',
    args: '<scenario.yaml>',
    summary: "serve the scenario's simulated LLM providers and their faults as an OpenAI-compatible endpoint",
    description: `Serves POST /v1/chat/completions (JSON, or SSE with stream: true) and GET /v1/models on a loopback
port, with the scenario's providers (topology.providers; the request's model picks one) and their fault
timeline on real time, so another gateway (LiteLLM, Portkey, the OpenAI SDK) can be pointed at it.
Request k of a model draws the same latency, length and errors for the same seed (docs/serve-llm.md).
Runs until SIGINT or SIGTERM (exit 0); a bad scenario or option, or a port in use, is exit 2.`,
    load: async () => {
      const { SERVE_LLM_OPTIONS, serveLlm } = await import('./verbs/serve-llm.ts');
      return { options: SERVE_LLM_OPTIONS, handler: serveLlm };
    },
  },
  {
    name: 'help',
    args: '[command]',
    summary: 'show help for a command',
    description: "Shows hasim's commands, or one command's usage and options.",
    load: async () => ({ options: [], handler: help }),
  },
];

const verbNames = () => VERBS.map((v) => v.name).join(', ');

/** The `hasim` command: returns the exit code (see `EXIT`). */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '-h' || name === '--help') {
      out(mainHelp());
      return EXIT.ok;
    }
    if (name === '--version') {
      out(HASIM_VERSION);
      return EXIT.ok;
    }
    const verb = VERBS.find((v) => v.name === name);
    if (verb === undefined)
      throw new UsageError(`hasim: unknown command '${name}' (commands: ${verbNames()}; see hasim --help)`);
    const body = await verb.load();
    const parsed = parseVerbArgs(verb.name, rest, body.options);
    if (parsed.values.help === true) {
      out(verbHelp(verb, body));
      return EXIT.ok;
    }
    return await body.handler(parsed);
  } catch (error) {
    const code = reportInputError(error);
    if (code === undefined) throw error;
    return code;
  }
}

/** `hasim help [command]`. */
async function help({ positionals }: Parsed): Promise<number> {
  const topic = positionals[0];
  if (topic === undefined) {
    out(mainHelp());
    return EXIT.ok;
  }
  const verb = VERBS.find((v) => v.name === topic);
  if (verb === undefined)
    throw new UsageError(`hasim help: unknown command '${topic}' (commands: ${verbNames()})`);
  out(verbHelp(verb, await verb.load()));
  return EXIT.ok;
}

function mainHelp(): string {
  const synopses = VERBS.map((v) => `${v.name} ${v.args}`);
  const width = Math.max(...synopses.map((s) => s.length)) + 2;
  const commands = VERBS.map((v, i) => `  ${synopses[i]?.padEnd(width)}${v.summary}`);
  return `hasim ${HASIM_VERSION} — deterministic simulator of a high-availability LLM API gateway

Usage: hasim <command> [options]

Commands:
${commands.join('\n')}

Exit codes: 0 ok, 1 the run or the replay failed (or was not deterministic), 2 a usage or input error,
3 an expectation failed.
Run 'hasim <command> --help' for a command's options.`;
}

function verbHelp(verb: Verb, body: VerbBody): string {
  const usage = [`hasim ${verb.name}`, verb.args, ...body.options.map((o) => `[${flagText(o)}]`)]
    .filter((part) => part !== '')
    .join(' ');
  const options = [...body.options, HELP_OPTION];
  const width = Math.max(...options.map((o) => flagText(o).length)) + 3;
  const optionLines = options.map((o) => `  ${flagText(o).padEnd(width)}${o.help}`);
  const sections = [`Usage: ${usage}`, verb.description];
  if (verb.argsHelp !== undefined) sections.push(verb.argsHelp);
  sections.push(`Options:\n${optionLines.join('\n')}`);
  return sections.join('\n\n');
}
