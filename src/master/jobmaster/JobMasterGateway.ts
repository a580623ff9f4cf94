import type { ExecutionState } from '../executiongraph/ExecutionState.js';

export type { ExecutionState } from '../executiongraph/ExecutionState.js';

/** Why a subtask failed, as it crosses threads and processes: rebuilt by name, never as a live Error. */
export interface TaskFailure {
  name: string;
  message: string;
  stack: string;
}

/** A subtask attempt's new state (Flink's TaskExecutionState). */
export interface TaskExecutionState {
  attemptId: string;
  state: ExecutionState;
  failure?: TaskFailure;
}

/** What a subtask measured while taking its part of a checkpoint (Flink's CheckpointMetrics). */
export interface CheckpointMetrics {
  stateSize: number;
  syncDurationMs: number;
  asyncDurationMs: number;
  alignmentDurationMs: number;
  startDelayMs: number;
}

/** A subtask's part of checkpoint `checkpointId` (Flink's AcknowledgeCheckpoint). */
export interface AcknowledgeCheckpoint {
  attemptId: string;
  checkpointId: number;
  /** The subtask's snapshot, msgpack-encoded SubtaskState (decoded by the CheckpointCoordinator). */
  subtaskState: Uint8Array;
  metrics: CheckpointMetrics;
}

/** A subtask could not take its part of checkpoint `checkpointId` (Flink's DeclineCheckpoint). */
export interface DeclineCheckpoint {
  attemptId: string;
  checkpointId: number;
  reason: string;
}

/**
 * Who sends a message about a subtask attempt: the TaskExecutor's resource id (Flink's ResourceID) and its current
 * registration id at the ResourceManager (Flink's InstanceID, here also the registration's secret). The JobMaster acts
 * on the message only if the attempt is deployed to that TaskExecutor and the registration is its current one.
 */
export interface TaskExecutorIdentity {
  resourceId: string;
  registrationId: string;
}

/** A message the JobMaster refused to act on: its sender may not speak for the attempt (gRPC PERMISSION_DENIED). */
export class SenderNotAuthorizedError extends Error {
  override readonly name = 'SenderNotAuthorizedError';
}

/** What subtasks report about checkpoints (Flink's CheckpointCoordinatorGateway). */
export interface CheckpointCoordinatorGateway {
  /** Rejects with SenderNotAuthorizedError when `sender` does not run the attempt. */
  acknowledgeCheckpoint(ack: AcknowledgeCheckpoint, sender: TaskExecutorIdentity): Promise<void>;
  declineCheckpoint(decline: DeclineCheckpoint, sender: TaskExecutorIdentity): Promise<void>;
}

/**
 * What TaskExecutors tell the JobMaster of one job (Flink's JobMasterGateway). Implemented by the JobMaster and, across
 * processes, by the gRPC client in the TaskExecutor. Messages of an attempt the JobMaster no longer runs are ignored.
 */
export interface JobMasterGateway extends CheckpointCoordinatorGateway {
  /**
   * Resolves false when the JobMaster does not know the attempt (an earlier attempt, another job); rejects with
   * SenderNotAuthorizedError when `sender` does not run the attempt.
   */
  updateTaskExecutionState(state: TaskExecutionState, sender: TaskExecutorIdentity): Promise<boolean>;
}
