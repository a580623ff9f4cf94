import type { Counter, GaugeValue } from '../job/metrics.js';

export class SimpleCounter implements Counter {
  private count = 0;
  inc(n = 1): void {
    this.count += n;
  }
  dec(n = 1): void {
    this.count -= n;
  }
  getCount(): number {
    return this.count;
  }
}

export class Gauge {
  constructor(readonly read: () => GaugeValue) {}
}

/** How often views (rates) take a sample, and over how long they average: Flink's MeterView defaults. */
export const VIEW_UPDATE_INTERVAL_MS = 5_000;
export const DEFAULT_TIME_SPAN_MS = 60_000;

/**
 * Events per second over the last `timeSpanMs` (Flink's MeterView): a ring of samples of a counter, taken every
 * VIEW_UPDATE_INTERVAL_MS. Over a counter of milliseconds it gives milliseconds per second (busyTimeMsPerSecond).
 * Until the span has passed once, the rate is over the time since creation.
 */
/** Anything with a count: a counter, or a plain field read through a closure. */
export interface Countable {
  getCount(): number;
}

export class MeterView {
  private readonly samples: number[];
  private readonly sampleTimes: number[];
  private index = 0;
  private filled = 1;
  private rate = 0;

  constructor(
    readonly counter: Countable,
    timeSpanMs = DEFAULT_TIME_SPAN_MS,
    now = Date.now(),
  ) {
    const size = Math.max(1, Math.round(timeSpanMs / VIEW_UPDATE_INTERVAL_MS)) + 1;
    this.samples = new Array<number>(size).fill(counter.getCount());
    this.sampleTimes = new Array<number>(size).fill(now);
  }

  /** Takes a sample; called by the owner's view updater. */
  update(now = Date.now()): void {
    this.index = (this.index + 1) % this.samples.length;
    this.samples[this.index] = this.counter.getCount();
    this.sampleTimes[this.index] = now;
    this.filled = Math.min(this.filled + 1, this.samples.length);
    const oldest = this.filled < this.samples.length ? 0 : (this.index + 1) % this.samples.length;
    const elapsed = now - this.sampleTimes[oldest]!;
    this.rate = elapsed > 0 ? ((this.samples[this.index]! - this.samples[oldest]!) * 1000) / elapsed : 0;
  }

  getRate(): number {
    return this.rate;
  }
}

export type Metric = Counter | Gauge | MeterView;

export function metricValue(metric: Metric): GaugeValue {
  if (metric instanceof Gauge) return metric.read();
  if (metric instanceof MeterView) return metric.getRate();
  return metric.getCount();
}
