/** A scheduled action that has not run yet can be cancelled; cancelling a finished one does nothing. */
export interface ScheduledTask {
  cancel(): void;
}

/**
 * Runs actions later (Flink's ScheduledExecutor). Components that wait for time (heartbeat timeouts, checkpoint
 * intervals, restart backoffs) take one, so that unit tests trigger them with ManuallyTriggeredScheduledExecutor
 * instead of sleeping. Actions run on the event loop, one at a time; an action that throws is a bug of the action.
 */
export interface ScheduledExecutor {
  /** Runs `action` once, `delayMs` from now. */
  schedule(delayMs: number, action: () => void): ScheduledTask;
  /** Runs `action` every `periodMs`, the first time `initialDelayMs` from now, until cancelled. */
  scheduleAtFixedRate(initialDelayMs: number, periodMs: number, action: () => void): ScheduledTask;
}

/**
 * The event loop's timers. Pending timers do not keep the process alive: components stop their schedules when they
 * close, and a process ends when its servers and streams end.
 */
export const SystemScheduledExecutor: ScheduledExecutor = {
  schedule(delayMs, action) {
    const timer = setTimeout(action, Math.max(0, delayMs));
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  scheduleAtFixedRate(initialDelayMs, periodMs, action) {
    let interval: NodeJS.Timeout | undefined;
    const first = setTimeout(() => {
      interval = setInterval(action, Math.max(1, periodMs));
      interval.unref();
      action();
    }, Math.max(0, initialDelayMs));
    first.unref();
    return {
      cancel: () => {
        clearTimeout(first);
        clearInterval(interval);
      },
    };
  },
};
