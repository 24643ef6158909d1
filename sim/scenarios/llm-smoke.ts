import { LlmError } from '../../src/ports/llm.ts';
import type { Simulation } from '../kernel/simulation.ts';
import { SimLlmUpstream } from '../llm/upstream.ts';
import { poissonArrivals } from '../workload/arrivals.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { LlmSmokeScenario } from './schema.ts';

/** What `kind: llm-smoke` reports at the end of a run. */
export interface LlmSmokeReport {
  readonly requests: number;
  readonly ok: number;
  readonly timeout: number;
  readonly rateLimited: number;
  readonly serverError: number;
  /** Latency of successful requests, in ms (nearest-rank quantiles). */
  readonly latencyMs: {
    readonly p50: number | null;
    readonly p95: number | null;
    readonly p99: number | null;
    readonly max: number;
  };
}

/** The client's timeout, as the abort reason it gives the upstream call. */
class ClientTimeout extends Error {
  override readonly name = 'ClientTimeout';
}

/**
 * The built-in end-to-end scenario: an open-loop Poisson client calls one simulated LLM upstream
 * with a client-side timeout that aborts the call. Exercises the kernel's timers, cancellation,
 * seeded forks and the trace. Trace events: `client invoke {id}`, then one of
 * `client ok {id, ms, tokens}` / `client fail {id, ms, error}`.
 */
export function startLlmSmoke(sim: Simulation, scenario: LlmSmokeScenario): () => LlmSmokeReport {
  const { clock, trace } = sim;
  const upstream = new SimLlmUpstream(scenario.upstream, { clock, random: sim.random.fork('llm') });
  const latency = new LatencyHistogram();
  const counts = { requests: 0, ok: 0, timeout: 0, rateLimited: 0, serverError: 0 };
  const { timeoutMs, maxTokens } = scenario.client;

  const request = async (id: number): Promise<void> => {
    counts.requests++;
    const start = clock.now();
    trace.emit('client', 'invoke', { id });
    const abort = new AbortController();
    const timer = clock.schedule(timeoutMs, () =>
      abort.abort(new ClientTimeout(`timeout after ${timeoutMs} ms`)),
    );
    try {
      const response = await upstream.complete(
        maxTokens === undefined ? { id, prompt: `prompt ${id}` } : { id, prompt: `prompt ${id}`, maxTokens },
        abort.signal,
      );
      const ms = clock.now() - start;
      counts.ok++;
      latency.record(ms);
      trace.emit('client', 'ok', { id, ms, tokens: response.outputTokens });
    } catch (error) {
      const ms = clock.now() - start;
      let kind: string;
      if (error instanceof ClientTimeout) {
        counts.timeout++;
        kind = 'timeout';
      } else if (error instanceof LlmError && error.status === 429) {
        counts.rateLimited++;
        kind = '429';
      } else if (error instanceof LlmError) {
        counts.serverError++;
        kind = String(error.status);
      } else {
        throw error;
      }
      trace.emit('client', 'fail', { id, ms, error: kind });
    } finally {
      timer.cancel();
    }
  };

  sim.spawn(
    () =>
      poissonArrivals(
        clock,
        sim.random.fork('client'),
        scenario.client.ratePerSecond,
        scenario.durationMs,
        (i) => {
          sim.spawn(() => request(i), { name: `request#${i}` });
        },
      ),
    { name: 'client' },
  );

  return () => ({
    ...counts,
    latencyMs: {
      p50: latency.quantile(0.5),
      p95: latency.quantile(0.95),
      p99: latency.quantile(0.99),
      max: latency.max,
    },
  });
}
