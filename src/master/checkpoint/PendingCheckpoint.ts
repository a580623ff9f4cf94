import type { ScheduledTask } from '../../common/time/ScheduledExecutor.js';
import type { SubtaskState } from '../../state/StateHandles.js';
import type { Execution } from '../executiongraph/ExecutionGraph.js';
import type { CheckpointMetadata } from './CheckpointMetadata.js';

/** A savepoint asked for through REST or the CLI (Flink's savepoint and stop-with-savepoint). */
export interface SavepointRequest {
  /**
   * The directory the savepoint goes into (as `savepoint-<job>-<random>`): an absolute path or `file:` URI as the user
   * gave it; the CheckpointCoordinator checks it (common/fileUris) before anything is written.
   */
  targetDirectory: string;
  /** Stop the job once the savepoint completes (`drain`: fire every window first). */
  terminate: boolean;
  drain: boolean;
}

export type CheckpointType = 'CHECKPOINT' | 'SAVEPOINT' | 'SYNC_SAVEPOINT';

/** Someone waiting for a checkpoint or savepoint (REST, CLI): resolved with its id and location once it completes. */
export interface CheckpointRequest {
  /** Undefined: a checkpoint (Flink's POST /jobs/:id/checkpoints). */
  savepoint: SavepointRequest | undefined;
  resolve(result: { checkpointId: number; location: string }): void;
  reject(error: Error): void;
}

export type AcknowledgeResult = 'SUCCESS' | 'DUPLICATE' | 'UNKNOWN';

/**
 * A checkpoint that was triggered and waits for its acknowledgements (Flink's PendingCheckpoint): which subtask
 * attempts still owe one, and the operator states collected so far by subtask.
 */
export class PendingCheckpoint {
  private readonly notYetAcknowledged: Map<string, Execution>;
  private readonly acknowledged = new Map<string, Execution>();
  private readonly operators: CheckpointMetadata['operators'] = {};
  /** Cancels the timeout once the checkpoint ends. */
  timeout: ScheduledTask | undefined;
  /** Whether the coordinator created the checkpoint's directory (only then is it removed when the checkpoint fails). */
  locationInitialized = false;
  private disposed = false;

  constructor(
    readonly checkpointId: number,
    readonly timestamp: number,
    /** Where the subtasks write their state files and the coordinator `_metadata`. */
    readonly directory: string,
    readonly request: CheckpointRequest | undefined,
    tasksToAcknowledge: readonly Execution[],
  ) {
    this.notYetAcknowledged = new Map(tasksToAcknowledge.map((e) => [e.attemptId, e]));
  }

  get savepoint(): SavepointRequest | undefined {
    return this.request?.savepoint;
  }

  get type(): CheckpointType {
    const savepoint = this.savepoint;
    return savepoint ? (savepoint.terminate ? 'SYNC_SAVEPOINT' : 'SAVEPOINT') : 'CHECKPOINT';
  }

  get isFullyAcknowledged(): boolean {
    return this.notYetAcknowledged.size === 0;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Every attempt the checkpoint involves. */
  tasks(): Execution[] {
    return [...this.acknowledged.values(), ...this.notYetAcknowledged.values()];
  }

  /** The attempts that have not acknowledged yet. */
  isAwaiting(attemptId: string): boolean {
    return this.notYetAcknowledged.has(attemptId);
  }

  /** Records one subtask's state; a second acknowledgement, or one of an attempt not involved, changes nothing. */
  acknowledgeTask(attemptId: string, state: SubtaskState): { result: AcknowledgeResult; execution?: Execution } {
    if (this.disposed) return { result: 'UNKNOWN' };
    const execution = this.notYetAcknowledged.get(attemptId);
    if (!execution) return { result: this.acknowledged.has(attemptId) ? 'DUPLICATE' : 'UNKNOWN' };
    this.notYetAcknowledged.delete(attemptId);
    this.acknowledged.set(attemptId, execution);
    const vertex = execution.vertex.jobVertex;
    for (const [operatorId, operatorState] of Object.entries(state.operators)) {
      const entry = (this.operators[operatorId] ??= { parallelism: vertex.parallelism, maxParallelism: vertex.maxParallelism, subtasks: {} });
      entry.subtasks[execution.subtaskIndex] = operatorState;
    }
    return { result: 'SUCCESS', execution };
  }

  /** What `_metadata` holds once every subtask acknowledged. */
  toMetadata(jobId: string): CheckpointMetadata {
    return { jobId, checkpointId: this.checkpointId, timestamp: this.timestamp, isSavepoint: this.savepoint !== undefined, operators: this.operators };
  }

  /** The checkpoint ended (completed or failed): no more acknowledgements are taken. */
  dispose(): void {
    this.disposed = true;
    this.timeout?.cancel();
  }
}
