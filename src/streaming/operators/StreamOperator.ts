import type { OperatorSubtaskState } from '../../state/StateHandles.js';

/** Where an operator sends what it produces: the next operator of its chain, or the task's outputs. */
export interface Output {
  collect(value: unknown, timestamp: number | undefined): void;
  emitWatermark(timestamp: number): void;
}

/** One operator of a chain (Flink's StreamOperator), driven by its task's mailbox: never two calls at once. */
export interface StreamOperator {
  readonly name: string;
  open(): Promise<void>;
  processElement(value: unknown, timestamp: number | undefined): void;
  /** Event time advanced; the operator fires what is due and forwards the watermark. */
  processWatermark(timestamp: number): void;
  /** Called after each unit of work (an input batch, a timer): finish asynchronous work such as sink writes. */
  flush(): Promise<void>;
  /** The input ended cleanly: emit and commit what is left (Flink's finish()). Not called on cancel or failure. */
  finish?(): Promise<void>;
  /** Releases resources; after finish() on a clean end, alone on cancel or failure. */
  close(): Promise<void>;
  /**
   * The operator's own part of checkpoint `checkpointId` at the barrier (keyed state is snapshotted by the task):
   * e.g. a sink writer's pre-committed transaction. The task's mailbox waits for it.
   */
  snapshotState?(checkpointId: number): Promise<OperatorSubtaskState | undefined>;
  notifyCheckpointComplete?(checkpointId: number): Promise<void>;
  notifyCheckpointAborted?(checkpointId: number): Promise<void>;
}

/** Runtime services an operator may use. */
export interface OperatorContext {
  subtaskIndex: number;
  parallelism: number;
  maxParallelism: number;
  currentWatermark(): number;
  /** Runs `callback` in the task's mailbox at (or after) wall-clock time `time`. */
  registerProcessingTimer(time: number, callback: () => void): void;
  countLateRecord(): void;
  attemptNumber: number;
}

/** Base for stateless one-input operators. */
export abstract class AbstractStreamOperator implements StreamOperator {
  constructor(
    readonly name: string,
    protected readonly output: Output,
  ) {}

  async open(): Promise<void> {}
  abstract processElement(value: unknown, timestamp: number | undefined): void;
  processWatermark(timestamp: number): void {
    this.output.emitWatermark(timestamp);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
