import { MAX_WATERMARK, MIN_WATERMARK } from '../job/watermarks.js';
import { ComponentMetricGroup, sanitizeMetricName, type MetricEntry } from './MetricGroup.js';

/**
 * The I/O of one subtask as plain fields (cheap to bump on the hot path), read by the metric gauges and by the
 * JobManager's per-vertex `metrics` (Flink's IOMetrics).
 */
export interface TaskIOCounters {
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
  buffersOut: number;
  lateRecordsDropped: number;
  /**
   * Records that went to the error path instead of through the subtask (Flink's `numRecordsInErrors`): read but not
   * deserializable, or without a key the key selector could extract.
   */
  recordsInErrors: number;
  currentInputWatermark: number;
  /** Accumulated milliseconds waiting for input (idle) and for output capacity (backpressured). */
  idleMs: number;
  backPressuredMs: number;
}

/** What a subtask reports: its I/O totals for the REST vertex views, and every metric it has. */
export interface TaskMetricsSnapshot {
  io: TaskIOSummary;
  entries: MetricEntry[];
}

/** Flink's IOMetrics of one subtask (REST `metrics` of vertices and subtasks). */
export interface TaskIOSummary {
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
  accumulatedBusyMs: number;
  accumulatedIdleMs: number;
  accumulatedBackPressuredMs: number;
}

/**
 * A watermark as Flink reports it: tsflink's bounds (safe integers) as Java's Long.MIN_VALUE ("no watermark yet") and
 * Long.MAX_VALUE (end of input), which a JavaScript number cannot hold exactly.
 */
export function watermarkValue(watermark: number): number | string {
  if (watermark <= MIN_WATERMARK) return '-9223372036854775808';
  if (watermark >= MAX_WATERMARK) return '9223372036854775807';
  return watermark;
}

/** Per-operator counts of a chain (Flink's OperatorIOMetricGroup). */
export class OperatorMetricGroup extends ComponentMetricGroup {
  recordsIn = 0;
  recordsOut = 0;
  currentInputWatermark = MIN_WATERMARK;
  currentOutputWatermark = MIN_WATERMARK;

  constructor(readonly operatorName: string, views: ComponentMetricGroup) {
    super('', views);
    this.gauge('numRecordsIn', () => this.recordsIn);
    this.gauge('numRecordsOut', () => this.recordsOut);
    this.meter('numRecordsInPerSecond', { getCount: () => this.recordsIn });
    this.meter('numRecordsOutPerSecond', { getCount: () => this.recordsOut });
    this.gauge('currentInputWatermark', () => watermarkValue(this.currentInputWatermark));
    this.gauge('currentOutputWatermark', () => watermarkValue(this.currentOutputWatermark));
  }
}

/**
 * The metrics of one subtask (Flink's TaskMetricGroup with its TaskIOMetricGroup): record and byte counts with their
 * rates, watermarks, and where the time goes — idle (waiting for input), backpressured (waiting for output capacity)
 * and busy (the rest), each in milliseconds per second over the last minute. A wait in progress counts already, so a
 * task blocked for a minute shows it while it is blocked.
 */
export class TaskMetricGroup extends ComponentMetricGroup {
  readonly io: TaskIOCounters = {
    recordsIn: 0,
    recordsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    buffersOut: 0,
    lateRecordsDropped: 0,
    recordsInErrors: 0,
    currentInputWatermark: MIN_WATERMARK,
    idleMs: 0,
    backPressuredMs: 0,
  };
  private readonly operators: OperatorMetricGroup[] = [];
  private readonly started = Date.now();
  private idleSince: number | undefined;
  private backPressuredSince: number | undefined;
  /** Durations of the newest checkpoint this subtask took. */
  lastAlignmentMs = 0;
  lastStartDelayMs = 0;

  constructor() {
    super();
    const io = this.io;
    this.gauge('numRecordsIn', () => io.recordsIn);
    this.gauge('numRecordsOut', () => io.recordsOut);
    this.gauge('numBytesIn', () => io.bytesIn);
    this.gauge('numBytesOut', () => io.bytesOut);
    this.gauge('numBuffersOut', () => io.buffersOut);
    this.meter('numRecordsInPerSecond', { getCount: () => io.recordsIn });
    this.meter('numRecordsOutPerSecond', { getCount: () => io.recordsOut });
    this.meter('numBytesInPerSecond', { getCount: () => io.bytesIn });
    this.meter('numBytesOutPerSecond', { getCount: () => io.bytesOut });
    this.meter('numBuffersOutPerSecond', { getCount: () => io.buffersOut });
    this.gauge('currentInputWatermark', () => watermarkValue(io.currentInputWatermark));
    this.gauge('numLateRecordsDropped', () => io.lateRecordsDropped);
    this.gauge('numRecordsInErrors', () => io.recordsInErrors);
    const idle = this.meter('idleTimeMsPerSecond', { getCount: () => this.idleMsNow() });
    const backPressured = this.meter('backPressuredTimeMsPerSecond', { getCount: () => this.backPressuredMsNow() });
    this.gauge('busyTimeMsPerSecond', () => Math.max(0, 1000 - idle.getRate() - backPressured.getRate()));
    this.gauge('softBackPressuredTimeMsPerSecond', () => backPressured.getRate());
    this.gauge('hardBackPressuredTimeMsPerSecond', () => 0);
    this.gauge('isBackPressured', () => this.backPressuredSince !== undefined);
    this.gauge('checkpointAlignmentTime', () => this.lastAlignmentMs * 1_000_000);
    this.gauge('checkpointStartDelayNanos', () => this.lastStartDelayMs * 1_000_000);
  }

  addOperator(name: string): OperatorMetricGroup {
    const group = new OperatorMetricGroup(sanitizeMetricName(name), this);
    this.operators.push(group);
    return group;
  }

  idleStarted(now = Date.now()): void {
    this.idleSince = now;
  }
  idleEnded(now = Date.now()): void {
    if (this.idleSince !== undefined) this.io.idleMs += now - this.idleSince;
    this.idleSince = undefined;
  }
  backPressureStarted(now = Date.now()): void {
    this.backPressuredSince = now;
  }
  backPressureEnded(now = Date.now()): void {
    if (this.backPressuredSince !== undefined) this.io.backPressuredMs += now - this.backPressuredSince;
    this.backPressuredSince = undefined;
  }

  snapshot(now = Date.now()): TaskMetricsSnapshot {
    const entries = this.dump('', []);
    for (const operator of this.operators) operator.dump(operator.operatorName, entries);
    const idle = this.idleMsNow(now);
    const backPressured = this.backPressuredMsNow(now);
    return {
      io: {
        recordsIn: this.io.recordsIn,
        recordsOut: this.io.recordsOut,
        bytesIn: this.io.bytesIn,
        bytesOut: this.io.bytesOut,
        accumulatedIdleMs: idle,
        accumulatedBackPressuredMs: backPressured,
        accumulatedBusyMs: Math.max(0, now - this.started - idle - backPressured),
      },
      entries,
    };
  }

  private idleMsNow(now = Date.now()): number {
    return this.io.idleMs + (this.idleSince === undefined ? 0 : now - this.idleSince);
  }
  private backPressuredMsNow(now = Date.now()): number {
    return this.io.backPressuredMs + (this.backPressuredSince === undefined ? 0 : now - this.backPressuredSince);
  }
}
