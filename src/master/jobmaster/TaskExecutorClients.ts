import { credentials, Metadata } from '@grpc/grpc-js';
import {
  TaskExecutorServiceClient,
  type FileType,
  type LogInfo,
  type RequestFileUploadRequest,
  type RequestFileUploadResponse,
  type TaskDeploymentDescriptor,
  type TriggerCheckpointRequest,
} from '../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
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

  requestLogList(address: string): Promise<LogInfo[]> {
    return new Promise((resolve, reject) =>
      this.client(address).requestLogList({}, new Metadata(), { deadline: deadlineIn(10_000) }, (error, response) => (error ? reject(error) : resolve(response!.logs))),
    );
  }

  /** The TaskExecutor's log or stdout file; its last `maxBytes` bytes if it is longer. */
  requestFileUploadByType(address: string, type: FileType, maxBytes: number): Promise<Buffer> {
    return this.requestFileUpload(address, { file: { $case: 'type', value: type }, maxBytes });
  }

  /** A file of the TaskExecutor's log directory; its last `maxBytes` bytes if it is longer. */
  requestFileUploadByName(address: string, name: string, maxBytes: number): Promise<Buffer> {
    return this.requestFileUpload(address, { file: { $case: 'name', value: name }, maxBytes });
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

  private requestFileUpload(address: string, request: RequestFileUploadRequest): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const call = this.client(address).requestFileUpload(request, new Metadata(), { deadline: deadlineIn(60_000) });
      const chunks: Buffer[] = [];
      let length = 0;
      call.on('data', ({ chunk }: RequestFileUploadResponse) => {
        length += chunk.length;
        // What is buffered for a REST response stays bounded even if a TaskExecutor ignored maxBytes.
        if (length > request.maxBytes) {
          call.cancel();
          reject(new Error(`The TaskExecutor at ${address} sent more than the ${request.maxBytes} bytes asked for.`));
          return;
        }
        chunks.push(chunk);
      });
      call.on('error', reject);
      call.on('end', () => resolve(Buffer.concat(chunks)));
    });
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
