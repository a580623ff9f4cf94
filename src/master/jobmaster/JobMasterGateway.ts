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

/** What subtasks report about checkpoints (Flink's CheckpointCoordinatorGateway). */
export interface CheckpointCoordinatorGateway {
  acknowledgeCheckpoint(ack: AcknowledgeCheckpoint): Promise<void>;
  declineCheckpoint(decline: DeclineCheckpoint): Promise<void>;
}

/**
 * What TaskExecutors tell the JobMaster of one job (Flink's JobMasterGateway). Implemented by the JobMaster and, across
 * processes, by the gRPC client in the TaskExecutor. Messages of an attempt the JobMaster no longer runs are ignored.
 */
export interface JobMasterGateway extends CheckpointCoordinatorGateway {
  /** Resolves false when the JobMaster does not know the attempt (an earlier attempt, another job). */
  updateTaskExecutionState(state: TaskExecutionState): Promise<boolean>;
}
