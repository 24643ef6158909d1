import { LlmError } from '../../src/ports/llm.ts';

/**
 * A simulated provider's `LlmError`, made without a stack trace. A simulated failure is an
 * expected outcome that the gateway reads by status and message (a trace never shows a stack), and
 * V8 captures the stack of every Error it constructs: up to `Error.stackTraceLimit` frames, the
 * whole async request path here, once per failed call (a provider outage fails every call it
 * gets). With the limit at 0 while the error is made, V8 records no frames (`error.stack` is then
 * just `LlmError: message`); the limit is put back at once, so no other error is affected.
 */
export function llmError(status: number, message: string, retryAfterMs?: number): LlmError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new LlmError(status, message, retryAfterMs);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
