import type { Clock } from '../../../src/common/time/Clock.js';

/** A clock that moves only when the test says so (Flink's ManualClock). */
export class ManualClock implements Clock {
  constructor(private time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  advanceTime(ms: number): void {
    if (ms < 0) throw new Error('Time does not go backwards.');
    this.time += ms;
  }
}
