import type { Clock } from '../common/time/Clock.js';
import type { ScheduledExecutor, ScheduledTask } from '../common/time/ScheduledExecutor.js';

/**
 * A task's processing time (Flink's ProcessingTimeService): reads the task's Clock and runs timers on its
 * ScheduledExecutor, so tests drive both by hand. The actions run outside the mailbox: whoever touches operators from
 * one puts a mail. `shutdown()` cancels everything still pending.
 */
export class ProcessingTimeService {
  private readonly pending = new Set<ScheduledTask>();

  constructor(
    private readonly clock: Clock,
    private readonly executor: ScheduledExecutor,
  ) {}

  getCurrentProcessingTime(): number {
    return this.clock.now();
  }

  /** Runs `action` once, at (or after) processing time `time`. */
  registerTimer(time: number, action: () => void): void {
    const task = this.executor.schedule(Math.max(0, time - this.clock.now()), () => {
      this.pending.delete(task);
      action();
    });
    this.pending.add(task);
  }

  /** Runs `action` every `periodMs`, the first time `periodMs` from now. */
  scheduleAtFixedRate(periodMs: number, action: () => void): void {
    this.pending.add(this.executor.scheduleAtFixedRate(periodMs, periodMs, action));
  }

  shutdown(): void {
    for (const task of this.pending) task.cancel();
    this.pending.clear();
  }
}
