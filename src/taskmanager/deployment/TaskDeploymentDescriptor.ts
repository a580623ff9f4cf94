import type { TaskRestore } from '../../state/StateHandles.js';

/** One channel of a job edge between two subtasks, and where its other end's TaskExecutor serves data. */
export interface ChannelDescriptor {
  channelId: string;
  /** host:port of the data (shuffle) server of the TaskExecutor running the channel's other end. */
  peerAddress: string;
}

/** The channels a subtask reads from one upstream vertex (Flink's InputGateDeploymentDescriptor). */
export interface InputGateDeploymentDescriptor {
  sourceVertexId: string;
  channels: ChannelDescriptor[];
}

/** The channels a subtask writes to one downstream vertex (Flink's ResultPartitionDeploymentDescriptor). */
export interface ResultPartitionDeploymentDescriptor {
  targetVertexId: string;
  shipStrategy: string;
  channels: ChannelDescriptor[];
  targetParallelism: number;
  targetMaxParallelism: number;
}

/** Everything a TaskExecutor needs to run one subtask attempt (Flink's TaskDeploymentDescriptor). */
export interface TaskDeploymentDescriptor {
  jobId: string;
  jobName: string;
  vertexId: string;
  vertexName: string;
  subtaskIndex: number;
  parallelism: number;
  maxParallelism: number;
  attemptId: string;
  attemptNumber: number;
  allocationId: string;
  slotIndex: number;
  /** The bundled job program (an ES module): every subtask rebuilds its operators from it. */
  jobModule: Uint8Array;
  programArgs: string[];
  defaultParallelism: number;
  /** The job graph's hash: the subtask checks that the program builds the same graph. */
  planHash: string;
  /** host:port of the JobManager RPC endpoint serving this job's JobMaster. */
  jobMasterAddress: string;
  /** The state to start from (Flink's JobManagerTaskRestore), when the job restores from a checkpoint. */
  taskRestore: TaskRestore | undefined;
  inputs: InputGateDeploymentDescriptor[];
  outputs: ResultPartitionDeploymentDescriptor[];
}
