/**
 * Executable invariants (TigerBeetle's `assert`): a broken invariant is a bug in hasim, never a
 * user error, so it throws an `AssertionError` that fails the run loudly with its message. Use
 * after a state change, on the positive space and the negative space: `assert(tokens <= capacity)`.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

/** Throws an `AssertionError` with `message` unless `condition` holds. */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'function' ? message() : message);
}

/**
 * Documents that both outcomes of `condition` are legal here (TigerBeetle's `maybe`): it checks
 * nothing, and says to a reader that neither branch is a bug.
 */
export function maybe(_condition: boolean): void {}

/** `value`, asserted present: for an index or map lookup that an invariant guarantees. */
export function present<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new AssertionError(`${what} is missing`);
  return value;
}
