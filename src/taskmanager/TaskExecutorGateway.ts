import type { TaskExecutorFencingTokens } from '../master/resourcemanager/ResourceManagerGateway.js';
import type { TaskDeploymentDescriptor } from './deployment/TaskDeploymentDescriptor.js';

export type {
  ChannelDescriptor,
  InputGateDeploymentDescriptor,
  ResultPartitionDeploymentDescriptor,
  TaskDeploymentDescriptor,
} from './deployment/TaskDeploymentDescriptor.js';

import type { ThreadDumpInfo } from '../common/process/ThreadDump.js';
import type { StackSample } from './task/thread-protocol.js';
/** What the JobMaster asks a source subtask to do for a checkpoint or savepoint (Flink's CheckpointOptions with it). */
export interface CheckpointTrigger {
  attemptId: string;
  checkpointId: number;
  timestamp: number;
  /** The directory the subtasks write their state files into. */
  targetLocation: string;
  /** Stop with savepoint: the sources end once the savepoint completes. */
  terminate: boolean;
  /** With `terminate`: flush event time (fire every window) before the barrier. */
  drain: boolean;
}

/** A file of the TaskExecutor's log directory, as REST lists them. */
export interface LogInfo {
  name: string;
  size: number;
  mtime: number;
}

/** Which log file to send: the process's log or stdout file, or a file of its log directory by name. */
export type LogFileRequest = { type: 'LOG' | 'STDOUT' } | { name: string };

/**
 * What the JobManager asks of a TaskExecutor (Flink's TaskExecutorGateway). Implemented by the TaskExecutor itself and,
 * across processes, by the gRPC client in the JobManager; JobMaster, CheckpointCoordinator and REST depend on this only.
 * Every call is idempotent: a deployment is keyed by its attempt id, cancelling an ended attempt does nothing.
 */
export interface TaskExecutorGateway {
  /** Starts a subtask attempt; rejects if this TaskExecutor cannot run it (no such slot, the slot is taken, no capacity). */
  submitTask(descriptor: TaskDeploymentDescriptor): Promise<void>;
  cancelTask(attemptId: string): Promise<void>;
  /** A source subtask takes the checkpoint and sends its barrier downstream; rejects if the attempt does not run here. */
  triggerCheckpoint(trigger: CheckpointTrigger): Promise<void>;
  /** Checkpoint `checkpointId` completed on every subtask (sinks commit now). */
  notifyCheckpointComplete(attemptIds: readonly string[], checkpointId: number): Promise<void>;
  notifyCheckpointAborted(attemptIds: readonly string[], checkpointId: number): Promise<void>;
  requestLogList(): Promise<LogInfo[]>;
  /** The file's last `maxBytes` bytes at most, in chunks as they are read; undefined if there is no such file. */
  requestFileUpload(file: LogFileRequest, maxBytes: number): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** The TaskExecutor's threads and what each does (Flink's requestThreadDump). */
  requestThreadDump(stackTraceMaxDepth: number): Promise<ThreadDumpInfo>;
  /**
   * On-CPU stack samples of the threads of those of `attemptIds` that run here, each sampled for `durationMs` (at most
   * MAX_SAMPLING_DURATION_MS of common/process/StackSampling; Flink's requestThreadInfoSamples, for flame graphs).
   */
  requestThreadInfoSamples(attemptIds: readonly string[], durationMs: number): Promise<SubtaskStackSamples[]>;
}

export interface SubtaskStackSamples {
  attemptId: string;
  samples: StackSample[];
}

/**
 * A TaskExecutorGateway that checks the fencing tokens of a call (Flink's FencedRpcEndpoint) before the RPC layer hands
 * the call on: only the JobManager the TaskExecutor is registered with may call it.
 */
export interface FencedTaskExecutorGateway extends TaskExecutorGateway {
  /** Why a call carrying `tokens` is refused, or undefined if it may proceed. */
  checkFencingTokens(tokens: TaskExecutorFencingTokens): Promise<string | undefined>;
}
