/**
 * Lets promise callbacks (and what they schedule with setImmediate) run: a few turns of the event loop, no timers.
 * Enough for components driven by a ManuallyTriggeredScheduledExecutor and in-memory fakes; messages on a
 * MessagePort or a socket may take longer, wait for them with RecordedCalls.waitFor instead.
 */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
