import { credentials, Metadata } from '@grpc/grpc-js';
import { TaskExecutorServiceClient, type TaskDeploymentDescriptor, type TriggerCheckpointRequest } from '../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import { deadlineIn, DEFAULT_CHANNEL_OPTIONS } from '../../rpc/RpcService.js';

/** gRPC clients of the TaskExecutors, one per address (Flink's TaskExecutorGateway as the JobMaster uses it). */
export class TaskExecutorClients {
  private readonly clients = new Map<string, TaskExecutorServiceClient>();

  submitTask(address: string, descriptor: TaskDeploymentDescriptor): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client(address).submitTask({ descriptor }, new Metadata(), { deadline: deadlineIn(30_000) }, (error) => (error ? reject(error) : resolve())),
    );
  }

  cancelTask(address: string, attemptId: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client(address).cancelTask({ attemptId }, new Metadata(), { deadline: deadlineIn(10_000) }, (error) => (error ? reject(error) : resolve())),
    );
  }

  triggerCheckpoint(address: string, request: TriggerCheckpointRequest): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client(address).triggerCheckpoint(request, new Metadata(), { deadline: deadlineIn(10_000) }, (error) => (error ? reject(error) : resolve())),
    );
  }

  notifyCheckpoint(address: string, attemptIds: string[], checkpointId: number, completed: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const client = this.client(address);
      const done = (error: Error | null) => (error ? reject(error) : resolve());
      if (completed) client.notifyCheckpointComplete({ attemptIds, checkpointId }, new Metadata(), { deadline: deadlineIn(10_000) }, done);
      else client.notifyCheckpointAborted({ attemptIds, checkpointId }, new Metadata(), { deadline: deadlineIn(10_000) }, done);
    });
  }

  /** Forgets a TaskExecutor that left the cluster. */
  remove(address: string): void {
    this.clients.get(address)?.close();
    this.clients.delete(address);
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private client(address: string): TaskExecutorServiceClient {
    let client = this.clients.get(address);
    if (!client) {
      client = new TaskExecutorServiceClient(address, credentials.createInsecure(), DEFAULT_CHANNEL_OPTIONS);
      this.clients.set(address, client);
    }
    return client;
  }
}
