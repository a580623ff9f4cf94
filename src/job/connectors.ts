/**
 * The connector contract: what a source or sink gives the runtime, and what the runtime gives it. Implementations live
 * with the connectors (e.g. `tsflink/connectors/kafka`); the runtime drives them inside a subtask.
 */

export interface ConnectorContext {
  jobId: string;
  /** Unique per execution attempt of the subtask (e.g. for private consumer group ids). */
  attemptId: string;
  subtaskIndex: number;
  parallelism: number;
  operatorName: string;
}

/** Where a source reader puts what it reads. Splits are the unit of watermarking (e.g. Kafka partitions). */
export interface ReaderOutput<T> {
  /** The reader owns this split now (its watermark counts, and it may go idle). */
  addSplit(splitId: string): void;
  /**
   * One record with the timestamp the external system gave it (or `undefined`) and its size in bytes as read (for
   * bounding what is buffered; 0 if unknown).
   */
  collect(record: T, splitId: string, recordTimestamp: number | undefined, sizeBytes?: number): void;
  /** A record that could not be read (e.g. malformed): counted and logged, never silently dropped. */
  reportError(splitId: string, message: string): void;
  /** The reader cannot go on (e.g. its client gave up): the subtask fails with this error. */
  fail(error: Error): void;
}

export interface SourceReader<T> {
  /** Starts reading into `output`; resolves once reading is under way. */
  start(output: ReaderOutput<T>): Promise<void>;
  /** Backpressure: stop fetching until `resume()`. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export interface Source<T> {
  readonly connectorName: string;
  createReader(context: ConnectorContext): SourceReader<T>;
}

export interface SinkWriter<T> {
  /** Writes a batch; resolves when the batch is acknowledged (at-least-once). */
  write(records: readonly T[]): Promise<void>;
  close(): Promise<void>;
}

export interface Sink<T> {
  readonly connectorName: string;
  createWriter(context: ConnectorContext): Promise<SinkWriter<T>>;
}
