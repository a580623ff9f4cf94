import type { TaskMetricsSnapshot } from '../../metrics/TaskMetricGroup.js';
import type { TaskRestore } from '../../state/StateHandles.js';
import type { MessagePort } from 'node:worker_threads';
import type { TaskDeploymentDescriptor } from '../deployment/TaskDeploymentDescriptor.js';

/**
 * Messages between a TaskExecutor's main thread and a subtask's worker thread. Channel messages carry the channel id;
 * the main thread routes them between local subtasks and to other TaskExecutors.
 */
export type ChannelMessage =
  | { type: 'data'; channel: string; bytes: Uint8Array; records: number }
  | { type: 'watermark'; channel: string; timestamp: number }
  | { type: 'idle'; channel: string; idle: boolean }
  /** The producer ended; `drained` false: stopped with a savepoint, nothing more may fire downstream. */
  | { type: 'end'; channel: string; drained: boolean }
  | { type: 'credit'; channel: string; credits: number }
  | { type: 'barrier'; channel: string; checkpointId: number; timestamp: number; targetLocation: string };

/** Checkpoint `checkpointId` as one subtask took it: its state (msgpack SubtaskState) and Flink's CheckpointMetrics. */
export interface CheckpointAck {
  type: 'checkpointAck';
  checkpointId: number;
  subtaskState: Uint8Array;
  stateSize: number;
  syncDurationMs: number;
  asyncDurationMs: number;
  alignmentDurationMs: number;
  startDelayMs: number;
}

/** A call stack seen by a thread's sampling profiler, outermost frame first, and how many samples found it there. */
export interface StackSample {
  frames: string[];
  count: number;
}

export type ToTaskThread =
  | ChannelMessage
  | { type: 'cancel' }
  /** Source subtasks only: take checkpoint `checkpointId` and send its barrier downstream. */
  | { type: 'triggerCheckpoint'; checkpointId: number; timestamp: number; targetLocation: string; terminate: boolean; drain: boolean }
  | { type: 'checkpointComplete'; checkpointId: number }
  | { type: 'checkpointAborted'; checkpointId: number }
  /** On-CPU stack samples of the subtask's thread for `durationMs` (flame graphs); answered with `stackSamples`. */
  | { type: 'sampleStacks'; requestId: number; durationMs: number };

export type FromTaskThread =
  | ChannelMessage
  /** The subtask runs; `threadId` names its worker thread (for thread dumps). */
  | { type: 'running'; threadId: number }
  /** The last message of a subtask: everything it sent before is on its way. */
  | { type: 'done' }
  | { type: 'metrics'; metrics: TaskMetricsSnapshot }
  | CheckpointAck
  | { type: 'checkpointDecline'; checkpointId: number; reason: string }
  | { type: 'log'; level: 'INFO' | 'WARN' | 'ERROR'; message: string }
  | { type: 'stackSamples'; requestId: number; samples: StackSample[]; error?: string };

/**
 * The subtask as the worker thread needs it: the TaskDeploymentDescriptor without what only the TaskExecutor uses
 * (slot, module bytes, JobMaster address), with where the TaskExecutor put the module and the subtask's local state.
 */
/** A channel as the subtask's thread knows it: without its subscription secret, which stays on the TaskExecutor. */
export interface ThreadChannelDescriptor {
  channelId: string;
  peerAddress: string;
}

export interface TaskThreadDescriptor
  extends Omit<TaskDeploymentDescriptor, 'allocationId' | 'slotIndex' | 'jobModule' | 'jobMasterAddress' | 'taskRestore' | 'inputs' | 'outputs'> {
  inputs: Array<{ sourceVertexId: string; channels: ThreadChannelDescriptor[] }>;
  outputs: Array<Omit<TaskDeploymentDescriptor['outputs'][number], 'channels'> & { channels: ThreadChannelDescriptor[] }>;
  /** file: URL of the job module on this TaskExecutor. */
  jobModuleUrl: string;
  /** Where this subtask keeps its local state (LevelDB); private to this execution attempt. */
  localStateDirectory: string;
  /** The state to start from (JobManagerTaskRestore), if the job restores from a checkpoint. */
  restore: TaskRestore | undefined;
}

export interface TaskThreadInput {
  descriptor: TaskThreadDescriptor;
  port: MessagePort;
}

export interface SerializedFailure {
  name: string;
  message: string;
  stack: string;
}

export interface TaskThreadResult {
  state: 'FINISHED' | 'CANCELED' | 'FAILED';
  failure?: SerializedFailure;
}

export function serializeFailure(error: unknown): SerializedFailure {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? `${error.name}: ${error.message}` };
  return { name: 'Error', message: String(error), stack: String(error) };
}
