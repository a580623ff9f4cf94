import { status, type Metadata, type Server, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import {
  FileType,
  TaskExecutorServiceService,
  type CancelTaskRequest,
  type CancelTaskResponse,
  type NotifyCheckpointAbortedRequest,
  type NotifyCheckpointAbortedResponse,
  type NotifyCheckpointCompleteRequest,
  type NotifyCheckpointCompleteResponse,
  type RequestFileUploadRequest,
  type RequestFileUploadResponse,
  type RequestLogListRequest,
  type RequestLogListResponse,
  type RequestThreadDumpRequest,
  type RequestThreadDumpResponse,
  type RequestThreadInfoSamplesRequest,
  type RequestThreadInfoSamplesResponse,
  type SubmitTaskRequest,
  type SubmitTaskResponse,
  type TriggerCheckpointRequest,
  type TriggerCheckpointResponse,
} from '../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import { fencingFromMetadata } from '../../rpc/convert/fencing.js';
import { taskDeploymentDescriptorFromProto } from '../../rpc/convert/taskDeployment.js';
import { serviceError } from '../../rpc/RpcService.js';
import type { FencedTaskExecutorGateway, LogFileRequest, TaskExecutorGateway } from '../TaskExecutorGateway.js';

/** Thrown for a call whose fencing tokens the TaskExecutor refused: answered PERMISSION_DENIED. */
class FencingTokenRefused extends Error {}

/**
 * Serves a TaskExecutorGateway to the JobManager over gRPC: the wire adapter. Every call's fencing tokens (metadata
 * tsflink-resource-manager-id, tsflink-registration-id) go to the TaskExecutor first; a refused call fails with
 * PERMISSION_DENIED and is not handed on.
 */
export function addTaskExecutorService(server: Server, gateway: FencedTaskExecutorGateway): void {
  const fenced = async (metadata: Metadata) => {
    const refusal = await gateway.checkFencingTokens(fencingFromMetadata(metadata));
    if (refusal !== undefined) throw new FencingTokenRefused(refusal);
  };
  const unary =
    <Req, Res>(handle: (request: Req) => Promise<Res>, failureCode: status) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) =>
      fenced(call.metadata)
        .then(() => handle(call.request))
        .then(
          (response) => callback(null, response),
          (error: Error) => callback(serviceError(error instanceof FencingTokenRefused ? status.PERMISSION_DENIED : failureCode, error.message)),
        );

  server.addService(TaskExecutorServiceService, {
    submitTask: unary<SubmitTaskRequest, SubmitTaskResponse>(async ({ descriptor }) => {
      if (!descriptor) throw new Error('SubmitTask needs a task deployment descriptor.');
      await gateway.submitTask(taskDeploymentDescriptorFromProto(descriptor));
      return {};
    }, status.FAILED_PRECONDITION),
    cancelTask: unary<CancelTaskRequest, CancelTaskResponse>(async ({ attemptId }) => {
      await gateway.cancelTask(attemptId);
      return {};
    }, status.INTERNAL),
    triggerCheckpoint: unary<TriggerCheckpointRequest, TriggerCheckpointResponse>(async (trigger) => {
      await gateway.triggerCheckpoint(trigger);
      return {};
    }, status.NOT_FOUND),
    notifyCheckpointComplete: unary<NotifyCheckpointCompleteRequest, NotifyCheckpointCompleteResponse>(async ({ attemptIds, checkpointId }) => {
      await gateway.notifyCheckpointComplete(attemptIds, checkpointId);
      return {};
    }, status.INTERNAL),
    notifyCheckpointAborted: unary<NotifyCheckpointAbortedRequest, NotifyCheckpointAbortedResponse>(async ({ attemptIds, checkpointId }) => {
      await gateway.notifyCheckpointAborted(attemptIds, checkpointId);
      return {};
    }, status.INTERNAL),
    requestLogList: unary<RequestLogListRequest, RequestLogListResponse>(async () => ({ logs: await gateway.requestLogList() }), status.INTERNAL),
    requestThreadDump: unary<RequestThreadDumpRequest, RequestThreadDumpResponse>(
      async ({ stackTraceMaxDepth }) => ({ threadInfos: (await gateway.requestThreadDump(stackTraceMaxDepth)).threadInfos }),
      status.INTERNAL,
    ),
    requestThreadInfoSamples: unary<RequestThreadInfoSamplesRequest, RequestThreadInfoSamplesResponse>(
      async ({ attemptIds, durationMs }) => ({ subtasks: await gateway.requestThreadInfoSamples(attemptIds, durationMs) }),
      status.INVALID_ARGUMENT,
    ),
    requestFileUpload(call: ServerWritableStream<RequestFileUploadRequest, RequestFileUploadResponse>) {
      fenced(call.metadata)
        .then(() => requestFileUpload(call, gateway))
        .catch((error: Error) => call.emit('error', serviceError(error instanceof FencingTokenRefused ? status.PERMISSION_DENIED : status.INTERNAL, error.message)));
    },
  });
}

/** Streams a file of the log directory (Flink's requestFileUploadByType / requestFileUploadByName), with backpressure. */
async function requestFileUpload(call: ServerWritableStream<RequestFileUploadRequest, RequestFileUploadResponse>, gateway: TaskExecutorGateway): Promise<void> {
  const { file, maxBytes } = call.request;
  let request: LogFileRequest;
  if (file?.$case === 'name') request = { name: file.value };
  else if (file?.value === FileType.FILE_TYPE_LOG) request = { type: 'LOG' };
  else if (file?.value === FileType.FILE_TYPE_STDOUT) request = { type: 'STDOUT' };
  else {
    call.emit('error', serviceError(status.INVALID_ARGUMENT, 'RequestFileUpload needs a file type or a file name.'));
    return;
  }
  const chunks = await gateway.requestFileUpload(request, maxBytes);
  if (!chunks) {
    call.emit('error', serviceError(status.NOT_FOUND, `The file ${'name' in request ? request.name : request.type} does not exist on the TaskExecutor.`));
    return;
  }
  for await (const chunk of chunks) {
    if (call.cancelled) return;
    if (!call.write({ chunk: Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) })) await drainedOrCancelled(call);
  }
  call.end();
}

/** A cancelled call never drains. */
function drainedOrCancelled(call: ServerWritableStream<RequestFileUploadRequest, RequestFileUploadResponse>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('cancelled', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
  });
}
