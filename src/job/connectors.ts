import type { MetricGroup } from './metrics.js';
/**
 * The connector contract: what a source or sink gives the runtime, and what the runtime gives it. Implementations live
 * with the connectors (e.g. `tsflink/connectors/kafka`); the runtime drives them inside a subtask.
 */

export interface ConnectorContext {
  /** The operator's metric group: what the connector registers here is reported with the operator's metrics. */
  metricGroup: MetricGroup;
  jobId: string;
  /** Unique per execution attempt of the subtask (e.g. for private consumer group ids). */
  attemptId: string;
  /** 0 for the first run of the subtask, +1 with every restart. */
  attemptNumber: number;
  subtaskIndex: number;
  parallelism: number;
  operatorName: string;
  /** The operator's stable id (the same across restarts and rescaling), e.g. for Kafka transactional ids. */
  operatorId: string;
}

/**
 * Where a split resumes, as its reader gives it: a string, or a number (e.g. a Kafka offset) that the runtime keeps as
 * a number while records flow and stores as its decimal text in a checkpoint's SplitState.
 */
export type SplitPosition = string | number;

/** A source split and where its reader resumes (e.g. a Kafka partition and its next offset). */
export interface SplitState {
  splitId: string;
  position: string;
}

/** Where a source reader puts what it reads. Splits are the unit of watermarking (e.g. Kafka partitions). */
export interface ReaderOutput<T> {
  /**
   * The reader owns this split now (its watermark counts, and it may go idle), starting at `position`: the split's
   * checkpointed state until a record of it is processed.
   */
  addSplit(splitId: string, position: string): void;
  /**
   * One record with the timestamp the external system gave it (or `undefined`), its size in bytes as read (for
   * bounding what is buffered; 0 if unknown), and the split's position after it (what a checkpoint stores once the
   * record is processed, so a restore resumes right after it).
   */
  collect(record: T, splitId: string, recordTimestamp: number | undefined, sizeBytes: number, position: SplitPosition): void;
  /**
   * A record that could not be read (e.g. malformed): counted in `numRecordsInErrors` and logged (the first few per
   * subtask), never silently dropped, and skipped. `message` says where it was (e.g. topic, partition and offset) and
   * why; `position` is the split's position after it, stored by the next checkpoint once the records before it are
   * processed, so a restore does not read it again.
   */
  reportError(splitId: string, message: string, position?: SplitPosition): void;
  /** The reader cannot go on (e.g. its client gave up): the subtask fails with this error. */
  fail(error: Error): void;
}

export interface SourceReader<T> {
  /** Starts reading into `output`; resolves once reading is under way. */
  start(output: ReaderOutput<T>): Promise<void>;
  /**
   * Checkpoint `checkpointId` completed with these split positions (e.g. commit them to Kafka for lag monitoring).
   * Not awaited by the task; a rejection is logged as a warning and changes nothing else.
   */
  notifyCheckpointComplete?(checkpointId: number, splits: readonly SplitState[]): Promise<void>;
  /**
   * Where the record a split's `position` follows was read, in the source's words, for the log line of a record that
   * goes to the error path after the reader emitted it (e.g. `topic input, partition 0, offset 41`).
   */
  describeRecord?(splitId: string, position: SplitPosition): string;
  /** Backpressure: stop fetching until `resume()`. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export interface Source<T> {
  readonly connectorName: string;
  /**
   * `restoredSplits` are the splits of every subtask of the checkpoint the job restores from (empty on a fresh
   * start): the reader resumes those it owns at their positions.
   */
  createReader(context: ConnectorContext, restoredSplits: readonly SplitState[]): SourceReader<T>;
}

export interface SinkWriter<T> {
  /** Writes a batch, called after every unit of work of the subtask. */
  write(records: readonly T[]): Promise<void>;
  /**
   * Checkpoint barrier: everything written before belongs to checkpoint `checkpointId`. Resolves with the writer's
   * state for that checkpoint (plain data: objects, arrays, strings, numbers, booleans, Uint8Array), or undefined.
   * An at-least-once writer makes sure everything written so far is acknowledged before it resolves.
   */
  snapshotState?(checkpointId: number): Promise<unknown>;
  /** Checkpoint `checkpointId` completed on every subtask (e.g. commit its transaction). */
  notifyCheckpointComplete?(checkpointId: number): Promise<void>;
  /** Checkpoint `checkpointId` will never complete. */
  notifyCheckpointAborted?(checkpointId: number): Promise<void>;
  /** The clean end of the input: write out (and commit) everything, then release resources. */
  close(): Promise<void>;
  /**
   * The task is cancelled or failed: release resources without committing anything a checkpoint did not cover (a
   * restore resends what its checkpoint holds). Writers without `abort` get `close()`.
   */
  abort?(): Promise<void>;
}

/** One subtask's sink writer state in the checkpoint a job restores from. */
export interface RestoredSinkState {
  /** The subtask that wrote it, and the parallelism of the job that took the checkpoint. */
  subtaskIndex: number;
  parallelism: number;
  checkpointId: number;
  state: unknown;
}

export interface Sink<T> {
  readonly connectorName: string;
  /**
   * `restored` holds the writer state of every subtask of the checkpoint the job restores from (empty on a fresh
   * start), whatever the parallelism then: old subtask i belongs to new subtask i % parallelism.
   */
  createWriter(context: ConnectorContext, restored: readonly RestoredSinkState[]): Promise<SinkWriter<T>>;
}
