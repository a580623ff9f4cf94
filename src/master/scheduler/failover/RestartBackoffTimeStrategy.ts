import type { Configuration } from '../../../common/config/Configuration.js';
import { RestartStrategyOptions } from '../../../common/config/options.js';
import { IllegalConfigurationError } from '../../../common/errors.js';

/** Decides whether a failed job restarts and after how long (Flink's RestartBackoffTimeStrategy). */
export interface RestartBackoffTimeStrategy {
  /** Records a failure; call before `canRestart`/`getBackoffTime`. */
  notifyFailure(now: number): void;
  canRestart(): boolean;
  getBackoffTime(): number;
  /** Flink's description, shown as the job's `restart-strategy`. */
  readonly description: string;
}

class NoRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  readonly description = 'Restart deactivated.';
  notifyFailure(): void {}
  canRestart(): boolean {
    return false;
  }
  getBackoffTime(): number {
    return 0;
  }
}

class FixedDelayRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  private failures = 0;

  constructor(
    private readonly maxAttempts: number,
    private readonly delayMs: number,
  ) {}

  get description(): string {
    return `Restart with fixed delay (${this.delayMs} ms). #${this.maxAttempts} restart attempts.`;
  }
  notifyFailure(): void {
    this.failures++;
  }
  canRestart(): boolean {
    return this.failures <= this.maxAttempts;
  }
  getBackoffTime(): number {
    return this.delayMs;
  }
}

class FailureRateRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  private readonly failures: number[] = [];

  constructor(
    private readonly maxFailuresPerInterval: number,
    private readonly intervalMs: number,
    private readonly delayMs: number,
  ) {}

  get description(): string {
    return `Failure rate restart with maximum of ${this.maxFailuresPerInterval} failures within interval ${this.intervalMs} ms and fixed delay ${this.delayMs} ms.`;
  }
  notifyFailure(now: number): void {
    this.failures.push(now);
    while (this.failures.length > 0 && this.failures[0]! < now - this.intervalMs) this.failures.shift();
  }
  canRestart(): boolean {
    return this.failures.length <= this.maxFailuresPerInterval;
  }
  getBackoffTime(): number {
    return this.delayMs;
  }
}

/** Flink 1.19+'s default with checkpointing: the delay grows by a factor per failure and resets after quiet periods. */
class ExponentialDelayRestartBackoffTimeStrategy implements RestartBackoffTimeStrategy {
  private currentBackoff: number;
  private lastFailure: number | undefined;
  private attempts = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly multiplier: number,
    private readonly resetThresholdMs: number,
    private readonly jitterFactor: number,
    private readonly attemptsBeforeReset: number,
    private readonly random: () => number = Math.random,
  ) {
    this.currentBackoff = initialMs;
  }

  get description(): string {
    return `ExponentialDelayRestartBackoffTimeStrategy(initialBackoffMS=${this.initialMs}, maxBackoffMS=${this.maxMs}, backoffMultiplier=${this.multiplier}, resetBackoffThresholdMS=${this.resetThresholdMs}, jitterFactor=${this.jitterFactor}, attemptsBeforeResetBackoff=${this.attemptsBeforeReset})`;
  }

  notifyFailure(now: number): void {
    if (this.lastFailure !== undefined && now - this.lastFailure >= this.resetThresholdMs) {
      this.currentBackoff = this.initialMs;
      this.attempts = 0;
    } else if (this.lastFailure !== undefined) {
      this.currentBackoff = Math.min(this.currentBackoff * this.multiplier, this.maxMs);
    }
    this.attempts++;
    this.lastFailure = now;
  }

  canRestart(): boolean {
    return this.attempts <= this.attemptsBeforeReset;
  }

  getBackoffTime(): number {
    const jitter = this.currentBackoff * this.jitterFactor * (this.random() * 2 - 1);
    return Math.max(0, Math.round(this.currentBackoff + jitter));
  }
}

/**
 * The strategy `restart-strategy.type` names; without one, Flink 1.20's default: exponential-delay when the job
 * checkpoints, no restart otherwise.
 */
export function createRestartBackoffTimeStrategy(config: Configuration, checkpointingEnabled: boolean): RestartBackoffTimeStrategy {
  const type = (config.get(RestartStrategyOptions.TYPE) ?? (checkpointingEnabled ? 'exponential-delay' : 'none')).toLowerCase();
  switch (type) {
    case 'none':
    case 'off':
    case 'disable':
      return new NoRestartBackoffTimeStrategy();
    case 'fixed-delay':
    case 'fixeddelay':
      return new FixedDelayRestartBackoffTimeStrategy(config.get(RestartStrategyOptions.FIXED_DELAY_ATTEMPTS), config.get(RestartStrategyOptions.FIXED_DELAY_DELAY));
    case 'failure-rate':
    case 'failurerate':
      return new FailureRateRestartBackoffTimeStrategy(
        config.get(RestartStrategyOptions.FAILURE_RATE_MAX_FAILURES),
        config.get(RestartStrategyOptions.FAILURE_RATE_INTERVAL),
        config.get(RestartStrategyOptions.FAILURE_RATE_DELAY),
      );
    case 'exponential-delay':
    case 'exponentialdelay':
      return new ExponentialDelayRestartBackoffTimeStrategy(
        config.get(RestartStrategyOptions.EXPONENTIAL_INITIAL_BACKOFF),
        config.get(RestartStrategyOptions.EXPONENTIAL_MAX_BACKOFF),
        Number(config.get(RestartStrategyOptions.EXPONENTIAL_MULTIPLIER)),
        config.get(RestartStrategyOptions.EXPONENTIAL_RESET_THRESHOLD),
        Number(config.get(RestartStrategyOptions.EXPONENTIAL_JITTER)),
        config.get(RestartStrategyOptions.EXPONENTIAL_ATTEMPTS_BEFORE_RESET),
      );
    default:
      throw new IllegalConfigurationError(
        `Unknown restart strategy '${type}' (restart-strategy.type): use none, fixed-delay, failure-rate or exponential-delay.`,
      );
  }
}
