import { admitted, failed, type Outcome, refused } from '../outcome.ts';
import { DegradeException } from './degrade/errors.ts';
import type { Entry } from './entry.ts';
import { FlowException } from './flow/errors.ts';

// The Outcome side of `Sentinel.attempt` (and the thenable test `run` shares): what an admitted
// call's result or error, or a refusal, becomes.

/** True for a promise or any other thenable (what `run`/`attempt` await before the entry exits). */
export function isThenable<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

const FLOW_GRADE_NAMES: Readonly<Record<number, string>> = { 0: 'THREAD', 1: 'QPS' };
const DEGRADE_GRADE_NAMES: Readonly<Record<number, string>> = {
  0: 'RT',
  1: 'EXCEPTION_RATIO',
  2: 'EXCEPTION_COUNT',
};

// `attempt` once the entry is admitted: run `fn`, record its error as `run` does, exit.
export function attemptAdmitted<T>(entry: Entry, fn: () => T | PromiseLike<T>): Promise<Outcome<T>> {
  let v: T | PromiseLike<T>;
  try {
    v = fn();
  } catch (error) {
    return attemptFailed(entry, error);
  }
  if (isThenable(v)) {
    return Promise.resolve(v).then(
      (value) => {
        entry.exit();
        return admitted(value);
      },
      (error: unknown) => {
        entry.setError(error);
        entry.exit();
        return failed<T>(error);
      },
    );
  }
  try {
    entry.exit();
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.resolve(admitted(v));
}

function attemptFailed<T>(entry: Entry, error: unknown): Promise<Outcome<T>> {
  try {
    entry.setError(error);
    entry.exit();
  } catch (exitError) {
    return Promise.reject(exitError);
  }
  return Promise.resolve(failed<T>(error));
}

// A refusal becomes its Outcome; anything else thrown while entering is a bug and rejects.
export function settleRefusal<T>(error: unknown): Promise<Outcome<T>> {
  if (error instanceof FlowException) {
    const { resource, grade } = error.rule;
    return Promise.resolve(
      refused<T>({ by: 'flow-rule', resource, grade: FLOW_GRADE_NAMES[grade] ?? String(grade) }),
    );
  }
  if (error instanceof DegradeException) {
    const { resource, grade } = error.rule;
    return Promise.resolve(
      refused<T>({ by: 'degrade-rule', resource, grade: DEGRADE_GRADE_NAMES[grade] ?? String(grade) }),
    );
  }
  return Promise.reject(error);
}
