import type { ConnectorContext, ReaderOutput, Source, SourceReader, SplitPosition, SplitState } from '../job/connectors.js';
import { MIN_WATERMARK, type WatermarkStrategy } from '../job/watermarks.js';

/** Flink's default auto-watermark interval. */
export const WATERMARK_INTERVAL_MS = 200;
/** Bytes read but not yet processed before the reader is paused (records of unknown size count as 64 bytes). */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const UNKNOWN_RECORD_SIZE = 64;

interface SplitProgress {
  /** Where the split resumes after the records emitted so far. */
  position: SplitPosition;
  maxTimestamp: number;
  lastActivity: number;
  idle: boolean;
}

export interface SourceDriverCallbacks {
  /** Process queued records in the task's mailbox (called when records arrive and none are scheduled). */
  schedule(): void;
  /**
   * A record the reader could not read: counted and reported, never silently dropped. Called from `emitQueued`, in
   * order with the records around it (its split's position has moved past it by then).
   */
  onReadError(splitId: string, message: string): void;
  /** The reader failed for good: the subtask must fail. */
  onFatalError(error: Error): void;
  /**
   * The subtask was idle and emits a record now: its consumers must count its input again before the record reaches
   * them. Otherwise event time that another input moved on while this one was idle would make the record late.
   */
  onActive(): void;
}

/**
 * Runs a source reader inside a subtask (Flink's SourceOperator): queues what the reader delivers for the task's
 * mailbox, pauses the reader while the queue is full (backpressure without blocking the reader's own loop), assigns
 * timestamps, and derives the watermark per split: the subtask's watermark is the minimum over its splits that are not
 * idle, and a subtask with no active split is idle, so it does not hold back event time downstream.
 */
export class SourceDriver<T> {
  private readonly reader: SourceReader<T>;
  /**
   * What the reader delivered and the task has not processed, in order, as parallel arrays (no object per record):
   * each entry's record, its timestamp from the reader, its split and the split's position after it. An entry the
   * reader could not read has no record and its reason in `queuedErrors`, by index.
   */
  private queuedRecords: T[] = [];
  private queuedTimestamps: Array<number | undefined> = [];
  private queuedSplits: string[] = [];
  private queuedPositions: Array<SplitPosition | undefined> = [];
  private queuedErrors: Map<number, string> | undefined;
  private queuedBytes = 0;
  private scheduled = false;
  private paused = false;
  private readonly splits = new Map<string, SplitProgress>();
  private emittedWatermark = MIN_WATERMARK;
  private idle = false;

  constructor(
    source: Source<T>,
    context: ConnectorContext,
    private readonly strategy: WatermarkStrategy<T>,
    private readonly callbacks: SourceDriverCallbacks,
    restoredSplits: readonly SplitState[] = [],
    private readonly now: () => number = Date.now,
  ) {
    this.reader = source.createReader(context, restoredSplits);
  }

  async start(): Promise<void> {
    const output: ReaderOutput<T> = {
      addSplit: (splitId, position) => {
        if (!this.splits.has(splitId)) this.splits.set(splitId, { position, maxTimestamp: MIN_WATERMARK, lastActivity: this.now(), idle: false });
      },
      collect: (record, split, timestamp, sizeBytes, position) => {
        this.enqueue(record, split, timestamp, position, sizeBytes);
      },
      // Queued like a record: the split's position moves past it only after the records before it are processed, so
      // a checkpoint never skips a record that was read before the bad one, and never reads the bad one again.
      reportError: (split, message, position) => {
        (this.queuedErrors ??= new Map()).set(this.queuedRecords.length, message);
        this.enqueue(undefined as T, split, undefined, position, 0);
      },
      fail: (error) => this.callbacks.onFatalError(error),
    };
    await this.reader.start(output);
    // Idleness counts from when the reader can deliver, not from when it was asked to start: a reader that takes a
    // while to connect must not be declared idle, or other subtasks would carry event time past its records.
    const now = this.now();
    for (const state of this.splits.values()) state.lastActivity = now;
  }

  private enqueue(record: T, split: string, timestamp: number | undefined, position: SplitPosition | undefined, sizeBytes: number): void {
    this.queuedRecords.push(record);
    this.queuedTimestamps.push(timestamp);
    this.queuedSplits.push(split);
    this.queuedPositions.push(position);
    this.queuedBytes += sizeBytes || UNKNOWN_RECORD_SIZE;
    if (!this.scheduled) {
      this.scheduled = true;
      this.callbacks.schedule();
    }
    if (!this.paused && this.queuedBytes >= MAX_QUEUED_BYTES) {
      this.paused = true;
      this.reader.pause();
    }
  }

  /**
   * Hands every queued record to `emit` with its event timestamp (as the watermark strategy assigns it), and records
   * each split's progress. Split bookkeeping happens once per run of records from the same split, not per record.
   */
  emitQueued(emit: (record: T, timestamp: number | undefined, split: string, position: SplitPosition) => void): void {
    const records = this.queuedRecords;
    const timestamps = this.queuedTimestamps;
    const splits = this.queuedSplits;
    const positions = this.queuedPositions;
    const errors = this.queuedErrors;
    this.queuedRecords = [];
    this.queuedTimestamps = [];
    this.queuedSplits = [];
    this.queuedPositions = [];
    this.queuedErrors = undefined;
    this.queuedBytes = 0;
    this.scheduled = false;
    const assigner = this.strategy.timestampAssigner;
    const now = this.now();
    let currentSplit: string | undefined;
    let state: SplitProgress | undefined;
    for (let i = 0; i < records.length; i++) {
      const split = splits[i]!;
      const position = positions[i];
      const error = errors?.get(i);
      if (error !== undefined) {
        // Past it, but not activity: a split that delivers nothing but unreadable records still goes idle, so it
        // cannot hold back event time.
        const progress = this.splits.get(split);
        if (progress && position !== undefined) progress.position = position;
        this.callbacks.onReadError(split, error);
        continue;
      }
      if (split !== currentSplit) {
        currentSplit = split;
        state = this.splits.get(split);
        if (state) {
          state.lastActivity = now;
          state.idle = false;
        }
      }
      const record = records[i]!;
      const recordTimestamp = timestamps[i];
      const timestamp = assigner ? assigner(record, recordTimestamp ?? MIN_WATERMARK) : recordTimestamp;
      if (state) {
        if (timestamp !== undefined && timestamp > state.maxTimestamp) state.maxTimestamp = timestamp;
        state.position = position!;
      }
      if (this.idle) {
        // Active again from this record on, not from the next periodic watermark.
        this.idle = false;
        this.callbacks.onActive();
      }
      emit(record, timestamp, split, position!);
    }
  }

  /** Stop with savepoint: no more fetching until `resume()`. */
  pause(): void {
    if (!this.paused) {
      this.paused = true;
      this.reader.pause();
    }
  }

  resume(): void {
    this.paused = false;
    this.reader.resume();
  }

  /** Backpressure released: let the reader fetch again. */
  resumeIfDrained(): void {
    if (this.paused && this.queuedBytes < MAX_QUEUED_BYTES / 2) {
      this.paused = false;
      // Time spent paused by backpressure is not idleness: the splits have data the task could not take yet.
      const now = this.now();
      for (const state of this.splits.values()) state.lastActivity = now;
      this.reader.resume();
    }
  }

  /**
   * Called every WATERMARK_INTERVAL_MS: the watermark to emit if it advanced, and whether the subtask's idleness
   * changed.
   */
  periodicWatermark(): { watermark?: number; idle?: boolean } {
    if (this.strategy.kind === 'none') return {};
    const now = this.now();
    const idleness = this.strategy.idlenessMs;
    let min = Number.POSITIVE_INFINITY;
    for (const state of this.splits.values()) {
      if (idleness !== undefined && !this.paused && this.queuedRecords.length === 0 && now - state.lastActivity >= idleness) state.idle = true;
      if (!state.idle && state.maxTimestamp !== MIN_WATERMARK) min = Math.min(min, state.maxTimestamp);
      else if (!state.idle) min = Math.min(min, MIN_WATERMARK);
    }
    const result: { watermark?: number; idle?: boolean } = {};
    const allIdle = [...this.splits.values()].every((s) => s.idle);
    if (allIdle !== this.idle) {
      this.idle = allIdle;
      result.idle = allIdle;
    }
    if (min !== Number.POSITIVE_INFINITY && min !== MIN_WATERMARK) {
      const watermark = min - this.strategy.outOfOrdernessMs - 1;
      if (watermark > this.emittedWatermark) {
        this.emittedWatermark = watermark;
        result.watermark = watermark;
      }
    }
    return result;
  }

  /** Where the record before `position` of a split was read, for log lines (the reader's words if it has any). */
  describeRecord(splitId: string, position: SplitPosition): string {
    return this.reader.describeRecord?.(splitId, position) ?? `the record before position ${position}`;
  }

  /** Every split with the position after the records emitted so far (a checkpoint's source state). */
  snapshotSplits(): SplitState[] {
    return [...this.splits].map(([splitId, progress]) => ({ splitId, position: String(progress.position) }));
  }

  notifyCheckpointComplete(checkpointId: number, splits: readonly SplitState[]): Promise<void> {
    return this.reader.notifyCheckpointComplete?.(checkpointId, splits) ?? Promise.resolve();
  }

  get splitIds(): string[] {
    return [...this.splits.keys()];
  }

  get currentWatermark(): number {
    return this.emittedWatermark;
  }

  async close(): Promise<void> {
    await this.reader.close();
  }
}
