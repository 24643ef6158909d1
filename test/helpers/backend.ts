// One way to declare a suite behind a real-backend gate (test/integration/backends.ts): it runs
// when the backend answers, is skipped with the reason in its title when it does not, and under
// CI=true fails with one test that names what is missing.
import { describe, it } from 'vitest';
import type { BackendGate } from '../integration/backends.ts';

/**
 * Declares `body` as a suite titled `title` when `gate`'s backend is available; otherwise a
 * skipped suite, or (under `CI=true`) a suite whose one test fails, titled with the reason.
 */
export function describeWithBackend(gate: BackendGate, title: string, body: () => void): void {
  if (gate.mustFail) {
    describe(gate.title, () => it('has its backend', () => gate.assertAvailable()));
  } else if (gate.skip) {
    describe.skip(gate.title, () => it('skipped', () => {}));
  } else {
    describe(title, body);
  }
}
