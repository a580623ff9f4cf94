import { TsFlinkError } from './errors.js';
import { sleep } from './time/sleep.js';

/** Retries ran out (Flink's FutureUtils.RetryException); the last failure is the cause. */
export class RetryError extends TsFlinkError {}

export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  maxAttempts: number;
  /** Delay before the second attempt; each further delay is `multiplier` times the one before, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs?: number;
  /** 1 (the default): a fixed delay. */
  multiplier?: number;
  /** 0..1: each delay is spread randomly by ± this fraction (default 0). */
  jitter?: number;
  /** No further attempt starts after this time (epoch ms); the last failure is rethrown as it is. */
  deadline?: number;
  /**
   * Whether a failure may be retried. Only failures of calls that are safe to repeat belong here: a call that may have
   * taken effect (a POST whose request was sent) must not be retried unless it is idempotent.
   */
  isRetriable(error: unknown): boolean;
  /** Called before each wait (for logging). */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** Stops waiting and retrying; the last failure is rethrown. */
  signal?: AbortSignal;
}

/** What RetryError says when the attempts ran out, in Flink's words. */
export const RETRIES_EXHAUSTED_MESSAGE = 'Could not complete the operation. Number of retries has been exhausted.';

/**
 * Runs `action` until it succeeds, a failure is not retriable (rethrown as it is), the deadline passed or the signal
 * aborted (the last failure rethrown), or the attempts ran out (RetryError with the last failure as cause). The one
 * retry loop of tsflink: everything that retries goes through here with its own policy.
 */
export async function retry<T>(action: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const attempts = Math.max(1, policy.maxAttempts);
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await action(attempt);
    } catch (error) {
      if (!policy.isRetriable(error) || policy.signal?.aborted) throw error;
      if (attempt >= attempts) throw new RetryError(RETRIES_EXHAUSTED_MESSAGE, { cause: error });
      const jitter = policy.jitter ?? 0;
      const wait = Math.max(0, Math.round(delay * (1 + (jitter > 0 ? (Math.random() * 2 - 1) * jitter : 0))));
      if (policy.deadline !== undefined && Date.now() + wait > policy.deadline) throw error;
      policy.onRetry?.(error, attempt, wait);
      await sleep(wait, policy.signal);
      if (policy.signal?.aborted) throw error;
      delay = Math.min(delay * (policy.multiplier ?? 1), policy.maxDelayMs ?? Number.POSITIVE_INFINITY);
    }
  }
}

/**
 * Polls `probe` until it returns something other than undefined (resolving with it), with delays growing from
 * `initialDelayMs` by `multiplier` up to `maxDelayMs`. Fails when `deadline` passes (a TimeoutError) or the signal aborts.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: { initialDelayMs: number; maxDelayMs?: number; multiplier?: number; deadline?: number; description: string; signal?: AbortSignal },
): Promise<T> {
  let delay = options.initialDelayMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (options.deadline !== undefined && Date.now() + delay > options.deadline) throw new PollTimeoutError(`Timed out waiting for ${options.description}.`);
    await sleep(delay, options.signal);
    if (options.signal?.aborted) throw new PollTimeoutError(`Stopped waiting for ${options.description}.`);
    delay = Math.min(delay * (options.multiplier ?? 1), options.maxDelayMs ?? Number.POSITIVE_INFINITY);
  }
}

/** pollUntil's deadline passed. */
export class PollTimeoutError extends TsFlinkError {}
