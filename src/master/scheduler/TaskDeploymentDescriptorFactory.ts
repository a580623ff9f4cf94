import type { TaskRestore } from '../../state/StateHandles.js';
import type { TaskDeploymentDescriptor } from '../../taskmanager/TaskExecutorGateway.js';
import type { RestoreSource } from '../checkpoint/CheckpointCoordinator.js';
import { taskRestoreFor } from '../checkpoint/StateAssignmentOperation.js';
import type { Execution, ExecutionGraph } from '../executiongraph/ExecutionGraph.js';
import type { SlotAssignment } from './SlotProvider.js';

/** What every subtask of a job is deployed with, whatever its vertex. */
export interface JobDeploymentInfo {
  jobId: string;
  jobName: string;
  jobModule: Uint8Array;
  programArgs: string[];
  defaultParallelism: number;
  planHash: string;
}

/**
 * Builds the deployment descriptor of a subtask attempt (Flink's TaskDeploymentDescriptorFactory): where it runs, the
 * channels it reads and writes with the data addresses of their other ends, and the state it restores.
 * Channel ids are `<producer attempt>-<consumer attempt>`, so that a restarted job's channels never meet an earlier
 * attempt's.
 */
export class TaskDeploymentDescriptorFactory {
  constructor(
    private readonly job: JobDeploymentInfo,
    private readonly graph: ExecutionGraph,
    /** host:port where TaskExecutors reach this JobManager's RPC endpoint (known once it is bound). */
    private readonly jobMasterAddress: () => string,
  ) {}

  /** Every execution of the graph must have its location assigned before the first descriptor is built. */
  create(execution: Execution, slot: SlotAssignment, restoreFrom: RestoreSource | undefined): TaskDeploymentDescriptor {
    const vertex = execution.vertex.jobVertex;
    const dataAddressOf = (e: Execution) => e.location?.dataAddress ?? '';
    const channelId = (producer: Execution, consumer: Execution) => `${producer.attemptId}-${consumer.attemptId}`;
    return {
      jobId: this.job.jobId,
      jobName: this.job.jobName,
      vertexId: vertex.id,
      vertexName: vertex.name,
      subtaskIndex: execution.subtaskIndex,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      attemptId: execution.attemptId,
      attemptNumber: execution.attemptNumber,
      allocationId: slot.allocationId,
      slotIndex: slot.slotIndex,
      jobModule: this.job.jobModule,
      programArgs: this.job.programArgs,
      defaultParallelism: this.job.defaultParallelism,
      planHash: this.job.planHash,
      jobMasterAddress: this.jobMasterAddress(),
      taskRestore: this.taskRestore(execution, restoreFrom),
      inputs: vertex.inputs.map((edge) => {
        const producers = this.graph.vertex(edge.source.id)!.executions;
        const senders = edge.shipStrategy === 'FORWARD' ? [producers[execution.subtaskIndex]!] : producers;
        return { sourceVertexId: edge.source.id, channels: senders.map((p) => ({ channelId: channelId(p, execution), peerAddress: dataAddressOf(p) })) };
      }),
      outputs: vertex.outputs.map((edge) => {
        const target = this.graph.vertex(edge.target.id)!;
        const receivers = edge.shipStrategy === 'FORWARD' ? [target.executions[execution.subtaskIndex]!] : target.executions;
        return {
          targetVertexId: edge.target.id,
          shipStrategy: edge.shipStrategy,
          channels: receivers.map((c) => ({ channelId: channelId(execution, c), peerAddress: dataAddressOf(c) })),
          targetParallelism: target.parallelism,
          targetMaxParallelism: target.jobVertex.maxParallelism,
        };
      }),
    };
  }

  private taskRestore(execution: Execution, restoreFrom: RestoreSource | undefined): TaskRestore | undefined {
    if (!restoreFrom) return undefined;
    const restore = taskRestoreFor(restoreFrom.metadata, restoreFrom.directory, execution.vertex.jobVertex, execution.subtaskIndex);
    return restore && Object.keys(restore.operators).length > 0 ? restore : undefined;
  }
}
