import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  FileType,
  TaskExecutorServiceClient,
  type RequestFileUploadRequest,
  type RequestFileUploadResponse,
  type RequestThreadDumpResponse,
  type RequestThreadInfoSamplesResponse,
} from '../../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import { fencingToMetadata } from '../../../rpc/convert/fencing.js';
import { taskDeploymentDescriptorToProto } from '../../../rpc/convert/taskDeployment.js';
import type { RpcSecurity } from '../../../rpc/RpcSecurity.js';
import { deadlineIn } from '../../../rpc/RpcService.js';
import type {
  CheckpointTrigger,
  LogFileRequest,
  LogInfo,
  SubtaskStackSamples,
  TaskDeploymentDescriptor,
  TaskExecutorGateway,
} from '../../../taskmanager/TaskExecutorGateway.js';
import type { ThreadDumpInfo } from '../../../common/process/ThreadDump.js';
import type { TaskExecutorConnector } from '../ResourceManager.js';
import type { TaskExecutorFencingTokens } from '../types.js';

/** A TaskExecutor's gateway over gRPC: one client per TaskExecutor, closed when it leaves the cluster. */
export class RpcTaskExecutorGateway implements TaskExecutorGateway {
  private readonly client: TaskExecutorServiceClient;

  constructor(
    readonly address: string,
    security: RpcSecurity,
    /** The registration's fencing tokens, sent as metadata with every call (the TaskExecutor refuses calls without). */
    private readonly fencing: TaskExecutorFencingTokens,
  ) {
    this.client = new TaskExecutorServiceClient(address, security.channelCredentials(), security.channelOptions());
  }

  submitTask(descriptor: TaskDeploymentDescriptor): Promise<void> {
    return this.unary((done) => this.client.submitTask({ descriptor: taskDeploymentDescriptorToProto(descriptor) }, this.metadata(), { deadline: deadlineIn(30_000) }, done));
  }

  cancelTask(attemptId: string): Promise<void> {
    return this.unary((done) => this.client.cancelTask({ attemptId }, this.metadata(), { deadline: deadlineIn(10_000) }, done));
  }

  triggerCheckpoint(trigger: CheckpointTrigger): Promise<void> {
    return this.unary((done) => this.client.triggerCheckpoint(trigger, this.metadata(), { deadline: deadlineIn(10_000) }, done));
  }

  notifyCheckpointComplete(attemptIds: readonly string[], checkpointId: number): Promise<void> {
    return this.unary((done) => this.client.notifyCheckpointComplete({ attemptIds: [...attemptIds], checkpointId }, this.metadata(), { deadline: deadlineIn(10_000) }, done));
  }

  notifyCheckpointAborted(attemptIds: readonly string[], checkpointId: number): Promise<void> {
    return this.unary((done) => this.client.notifyCheckpointAborted({ attemptIds: [...attemptIds], checkpointId }, this.metadata(), { deadline: deadlineIn(10_000) }, done));
  }

  requestLogList(): Promise<LogInfo[]> {
    return new Promise((resolve, reject) =>
      this.client.requestLogList({}, this.metadata(), { deadline: deadlineIn(10_000) }, (error, response) => (error ? reject(error) : resolve(response!.logs))),
    );
  }

  async requestThreadDump(stackTraceMaxDepth: number): Promise<ThreadDumpInfo> {
    const response = await new Promise<RequestThreadDumpResponse>((resolve, reject) =>
      this.client.requestThreadDump({ stackTraceMaxDepth }, this.metadata(), { deadline: deadlineIn(10_000) }, (error, r) => (error ? reject(error) : resolve(r!))),
    );
    return { threadInfos: response.threadInfos };
  }

  async requestThreadInfoSamples(attemptIds: readonly string[], durationMs: number): Promise<SubtaskStackSamples[]> {
    const response = await new Promise<RequestThreadInfoSamplesResponse>((resolve, reject) =>
      this.client.requestThreadInfoSamples({ attemptIds: [...attemptIds], durationMs }, this.metadata(), { deadline: deadlineIn(durationMs + 10_000) }, (error, r) =>
        error ? reject(error) : resolve(r!),
      ),
    );
    return response.subtasks;
  }

  /**
   * The TaskExecutor's log or stdout file or a file of its log directory, its last `maxBytes` bytes at most, streamed:
   * resolves once the first chunk (or the end) arrived, undefined when the TaskExecutor has no such file.
   */
  async requestFileUpload(file: LogFileRequest, maxBytes: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    const request: RequestFileUploadRequest = {
      file: 'name' in file ? { $case: 'name', value: file.name } : { $case: 'type', value: file.type === 'LOG' ? FileType.FILE_TYPE_LOG : FileType.FILE_TYPE_STDOUT },
      maxBytes,
    };
    const call = this.client.requestFileUpload(request, this.metadata(), { deadline: deadlineIn(60_000) });
    const chunks = call[Symbol.asyncIterator]() as AsyncIterator<RequestFileUploadResponse>;
    let first: IteratorResult<RequestFileUploadResponse>;
    try {
      first = await chunks.next();
    } catch (error) {
      if ((error as ServiceError).code === status.NOT_FOUND) return undefined;
      throw error;
    }
    const address = this.address;
    return (async function* () {
      let length = 0;
      for (let next = first; !next.done; next = await chunks.next()) {
        length += next.value.chunk.length;
        // Whatever the TaskExecutor sends, no more than asked for is passed on.
        if (length > maxBytes) {
          call.cancel();
          throw new Error(`The TaskExecutor at ${address} sent more than the ${maxBytes} bytes asked for.`);
        }
        yield next.value.chunk;
      }
    })();
  }

  close(): void {
    this.client.close();
  }

  private metadata(): Metadata {
    return fencingToMetadata(this.fencing);
  }

  private unary(invoke: (done: (error: ServiceError | null) => void) => void): Promise<void> {
    return new Promise((resolve, reject) => invoke((error) => (error ? reject(error) : resolve())));
  }
}

/** Connects the ResourceManager to registering TaskExecutors over gRPC. */
export function grpcTaskExecutorConnector(security: RpcSecurity): TaskExecutorConnector {
  return {
    connect: (address, fencing) => new RpcTaskExecutorGateway(address, security, fencing),
    release: (gateway) => (gateway as RpcTaskExecutorGateway).close(),
  };
}
