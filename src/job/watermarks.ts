/** The lowest watermark: nothing has been seen yet (Flink's Long.MIN_VALUE). */
export const MIN_WATERMARK = Number.MIN_SAFE_INTEGER;
/** The watermark of a finished input: every window can fire. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

export type TimestampAssigner<T> = (event: T, recordTimestamp: number) => number;

/**
 * How a source derives event time and watermarks (Flink's WatermarkStrategy): bounded out-of-orderness
 * (watermark = highest timestamp − bound − 1), optional idleness after which a silent split stops holding back event
 * time, and a timestamp assigner (the record's own timestamp, e.g. Kafka's, when none is given).
 */
export class WatermarkStrategy<T> {
  private constructor(
    readonly kind: 'bounded-out-of-orderness' | 'none',
    readonly outOfOrdernessMs: number,
    readonly idlenessMs: number | undefined,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
  ) {}

  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(maxOutOfOrdernessMs >= 0)) throw new RangeError('maxOutOfOrderness must be >= 0 ms.');
    return new WatermarkStrategy<T>('bounded-out-of-orderness', maxOutOfOrdernessMs, undefined, undefined);
  }

  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return WatermarkStrategy.forBoundedOutOfOrderness<T>(0);
  }

  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('none', 0, undefined, undefined);
  }

  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (!(idleTimeoutMs > 0)) throw new RangeError('The idle timeout must be > 0 ms.');
    return new WatermarkStrategy<T>(this.kind, this.outOfOrdernessMs, idleTimeoutMs, this.timestampAssigner);
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.kind, this.outOfOrdernessMs, this.idlenessMs, assigner);
  }
}
