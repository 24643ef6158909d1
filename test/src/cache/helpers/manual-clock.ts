// A Clock whose time moves only when the test says so, for code that reads `now()` outside a
// Simulation (contract bodies). `sleep` and `schedule` are not supported: use a Simulation for those.
import type { Clock, TimerHandle } from '../../../../src/ports/clock.ts';

export class ManualClock implements Clock {
  constructor(public nowMs = 0) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): void {
    this.nowMs += ms;
  }
  sleep(): Promise<void> {
    throw new Error('ManualClock.sleep: use a Simulation for code that sleeps');
  }
  schedule(): TimerHandle {
    throw new Error('ManualClock.schedule: use a Simulation for code that schedules');
  }
}
