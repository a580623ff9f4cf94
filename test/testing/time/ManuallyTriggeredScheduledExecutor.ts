import type { ScheduledExecutor, ScheduledTask } from '../../../src/common/time/ScheduledExecutor.js';
import { ManualClock } from './ManualClock.js';

interface Entry {
  due: number;
  seq: number;
  period: number | undefined;
  action: () => void;
  cancelled: boolean;
}

/**
 * A ScheduledExecutor for unit tests (Flink's ManuallyTriggeredScheduledExecutorService): nothing runs until the test
 * advances time, and then every task that became due runs, in the order of its due time, with the clock set to it.
 */
export class ManuallyTriggeredScheduledExecutor implements ScheduledExecutor {
  private readonly entries: Entry[] = [];
  private seq = 0;

  constructor(readonly clock: ManualClock = new ManualClock()) {}

  schedule(delayMs: number, action: () => void): ScheduledTask {
    return this.add(Math.max(0, delayMs), undefined, action);
  }

  scheduleAtFixedRate(initialDelayMs: number, periodMs: number, action: () => void): ScheduledTask {
    return this.add(Math.max(0, initialDelayMs), Math.max(1, periodMs), action);
  }

  /** Moves the clock forward by `ms`, running each task as its due time is reached. */
  advanceTime(ms: number): void {
    const target = this.clock.now() + ms;
    for (;;) {
      const next = this.nextDue();
      if (!next || next.due > target) break;
      this.clock.advanceTime(next.due - this.clock.now());
      this.run(next);
    }
    this.clock.advanceTime(target - this.clock.now());
  }

  /** Runs the tasks that are due now (e.g. ones scheduled with delay 0). */
  triggerScheduledTasks(): void {
    this.advanceTime(0);
  }

  /** The delays from now of the pending tasks, soonest first. */
  pendingDelays(): number[] {
    return this.live()
      .sort((a, b) => a.due - b.due || a.seq - b.seq)
      .map((e) => e.due - this.clock.now());
  }

  get numPendingTasks(): number {
    return this.live().length;
  }

  private add(delayMs: number, period: number | undefined, action: () => void): ScheduledTask {
    const entry: Entry = { due: this.clock.now() + delayMs, seq: this.seq++, period, action, cancelled: false };
    this.entries.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  private live(): Entry[] {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]!.cancelled) this.entries.splice(i, 1);
    return [...this.entries];
  }

  private nextDue(): Entry | undefined {
    let next: Entry | undefined;
    for (const e of this.live()) if (!next || e.due < next.due || (e.due === next.due && e.seq < next.seq)) next = e;
    return next;
  }

  private run(entry: Entry): void {
    if (entry.period === undefined) {
      entry.cancelled = true;
    } else {
      entry.due += entry.period;
      entry.seq = this.seq++;
    }
    entry.action();
  }
}
