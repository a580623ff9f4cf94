import type { Clock } from '../common/time/Clock.js';
import type { SplitState } from '../job/connectors.js';
import type { TaskMetricGroup } from '../metrics/TaskMetricGroup.js';
import { encodeState, type SubtaskState } from '../state/StateHandles.js';
import type { FromTaskThread, TaskThreadDescriptor } from '../taskmanager/task/thread-protocol.js';
import type { OperatorChain } from './OperatorChain.js';

/** A checkpoint as a barrier (or a source's trigger) announces it. */
export interface CheckpointMetaData {
  checkpointId: number;
  /** When the JobManager triggered it. */
  timestamp: number;
  /** The checkpoint's directory, where the asynchronous part writes the state files. */
  targetLocation: string;
}

/**
 * A subtask's side of checkpoints (Flink's SubtaskCheckpointCoordinatorImpl): at a barrier it sends the barrier
 * downstream, runs the synchronous part of every snapshot in the mailbox (source positions, sink pre-commit, the keyed
 * backend's write-through and LevelDB snapshot), then the asynchronous part (writing the state file) while processing
 * goes on, and acknowledges the checkpoint with its state and metrics, or declines it. Remembers the source positions
 * of each checkpoint until it completes (the reader may commit them then) or is aborted, and tells the operators.
 */
export class SubtaskCheckpointCoordinator {
  /** Source positions per checkpoint, until the checkpoint completes or is aborted. */
  private readonly pendingSourcePositions = new Map<number, readonly SplitState[]>();
  private lastSnapshotId = 0;
  private lastCompletedId = 0;

  constructor(
    private readonly descriptor: TaskThreadDescriptor,
    private readonly chain: OperatorChain,
    private readonly send: (message: FromTaskThread) => void,
    private readonly metricGroup: TaskMetricGroup,
    private readonly clock: Clock,
  ) {}

  /** The newest checkpoint this subtask took a snapshot for. */
  get latestSnapshotId(): number {
    return this.lastSnapshotId;
  }

  /** The newest checkpoint this subtask was told completed. */
  get latestCompletedId(): number {
    return this.lastCompletedId;
  }

  /**
   * Takes checkpoint `metadata.checkpointId` (the barrier goes downstream first). Resolves when the synchronous part
   * is done; the acknowledgement (or decline) follows once the asynchronous part is.
   */
  async checkpointState(metadata: CheckpointMetaData, alignmentDurationMs: number): Promise<void> {
    const { checkpointId, timestamp, targetLocation } = metadata;
    const started = this.clock.now();
    const d = this.descriptor;
    const chain = this.chain;
    this.lastSnapshotId = Math.max(this.lastSnapshotId, checkpointId);
    chain.broadcastCheckpointBarrier(checkpointId, timestamp, targetLocation);
    const operators: SubtaskState['operators'] = {};
    const asyncParts: Array<Promise<void>> = [];
    try {
      if (chain.source) {
        const splits = chain.source.snapshotSplits();
        operators[chain.sourceOperatorId!] = { splits };
        this.pendingSourcePositions.set(checkpointId, splits);
      }
      for (const operator of chain.operators) {
        const state = await operator.snapshotState?.(checkpointId);
        const operatorId = chain.operatorId(operator);
        if (state) operators[operatorId] = { ...operators[operatorId], ...state };
      }
      const keyed = chain.keyedState;
      if (keyed) {
        const { operatorId, backend } = keyed;
        const write = await backend.snapshot(targetLocation, `${operatorId}-${d.subtaskIndex}-${d.attemptNumber}.keyed`);
        asyncParts.push(write().then((handle) => void (operators[operatorId] = { ...operators[operatorId], keyed: [handle] })));
      }
    } catch (error) {
      this.declineCheckpoint(checkpointId, `Snapshot of ${d.vertexName} failed: ${(error as Error).message}`);
      return;
    }
    const syncDone = this.clock.now();
    void Promise.all(asyncParts).then(
      () => this.acknowledge(checkpointId, operators, { started, syncDone, timestamp, alignmentDurationMs }),
      (error: Error) => this.declineCheckpoint(checkpointId, `Writing the state of ${d.vertexName} failed: ${error.message}`),
    );
  }

  declineCheckpoint(checkpointId: number, reason: string): void {
    this.send({ type: 'checkpointDecline', checkpointId, reason });
  }

  /** Checkpoint `checkpointId` completed: the source may commit its positions, the operators (sinks) commit. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    this.lastCompletedId = Math.max(this.lastCompletedId, checkpointId);
    const splits = this.pendingSourcePositions.get(checkpointId);
    for (const id of this.pendingSourcePositions.keys()) if (id <= checkpointId) this.pendingSourcePositions.delete(id);
    if (splits) {
      this.chain.source?.notifyCheckpointComplete(checkpointId, splits).catch((error: Error) => {
        this.send({ type: 'log', level: 'WARN', message: `The source could not act on completed checkpoint ${checkpointId}: ${error.message}` });
      });
    }
    for (const operator of this.chain.operators) await operator.notifyCheckpointComplete?.(checkpointId);
  }

  /** Checkpoint `checkpointId` will never complete: its source positions are dropped, the operators told. */
  async notifyCheckpointAborted(checkpointId: number): Promise<void> {
    this.pendingSourcePositions.delete(checkpointId);
    for (const operator of this.chain.operators) await operator.notifyCheckpointAborted?.(checkpointId);
  }

  /** The asynchronous part is done: the state and Flink's CheckpointMetrics go to the JobManager. */
  private acknowledge(
    checkpointId: number,
    operators: SubtaskState['operators'],
    times: { started: number; syncDone: number; timestamp: number; alignmentDurationMs: number },
  ): void {
    const { started, syncDone, timestamp, alignmentDurationMs } = times;
    const subtaskState = encodeState({ operators });
    let stateSize = subtaskState.length;
    for (const state of Object.values(operators)) for (const handle of state.keyed ?? []) stateSize += handle.size;
    const startDelayMs = Math.max(0, started - timestamp - alignmentDurationMs);
    this.metricGroup.lastAlignmentMs = alignmentDurationMs;
    this.metricGroup.lastStartDelayMs = startDelayMs;
    this.send({
      type: 'checkpointAck',
      checkpointId,
      subtaskState,
      stateSize,
      syncDurationMs: syncDone - started,
      asyncDurationMs: this.clock.now() - syncDone,
      alignmentDurationMs,
      startDelayMs,
    });
  }
}
