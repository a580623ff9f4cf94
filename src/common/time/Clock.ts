/**
 * Where components read the time (Flink's Clock). Injected, so that tests drive time by hand (ManualClock) instead of
 * waiting for it.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
}

/** The machine's clock. */
export const SystemClock: Clock = {
  now: () => Date.now(),
};
