import { createHmac, randomBytes } from 'node:crypto';
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
 * attempt's. Attempt ids appear in logs and REST, so a channel id is no secret: each channel also gets a subscription
 * secret, an HMAC of its id under a key only this factory holds, handed only to the channel's producer and consumer;
 * the producer's TaskExecutor sends the channel only to a subscriber presenting it.
 */
export class TaskDeploymentDescriptorFactory {
  /** The key of the channels' subscription secrets: random per JobMaster, never leaves it. */
  private readonly channelKey = randomBytes(32);

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
    const channel = (producer: Execution, consumer: Execution, peer: Execution) => {
      const id = channelId(producer, consumer);
      return { channelId: id, peerAddress: dataAddressOf(peer), subscriptionSecret: this.subscriptionSecret(id) };
    };
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
        return { sourceVertexId: edge.source.id, channels: senders.map((p) => channel(p, execution, p)) };
      }),
      outputs: vertex.outputs.map((edge) => {
        const target = this.graph.vertex(edge.target.id)!;
        const receivers = edge.shipStrategy === 'FORWARD' ? [target.executions[execution.subtaskIndex]!] : target.executions;
        return {
          targetVertexId: edge.target.id,
          shipStrategy: edge.shipStrategy,
          channels: receivers.map((c) => channel(execution, c, c)),
          targetParallelism: target.parallelism,
          targetMaxParallelism: target.jobVertex.maxParallelism,
        };
      }),
    };
  }

  /** 128 bits of HMAC-SHA256 of the channel id: the same for both ends of a channel, unguessable without the key. */
  private subscriptionSecret(channelId: string): string {
    return createHmac('sha256', this.channelKey).update(channelId).digest('hex').slice(0, 32);
  }

  private taskRestore(execution: Execution, restoreFrom: RestoreSource | undefined): TaskRestore | undefined {
    if (!restoreFrom) return undefined;
    const restore = taskRestoreFor(restoreFrom.metadata, restoreFrom.directory, execution.vertex.jobVertex, execution.subtaskIndex);
    return restore && Object.keys(restore.operators).length > 0 ? restore : undefined;
  }
}
