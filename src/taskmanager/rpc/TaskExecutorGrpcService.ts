import { status, type Server, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { readLogFile, type LogFileLocation } from '../../common/process/LogFileLocation.js';
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
  type TriggerCheckpointRequest,
  type TriggerCheckpointResponse,
  type SubmitTaskRequest,
  type SubmitTaskResponse,
  type TaskDeploymentDescriptor,
} from '../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import { serviceError } from '../../rpc/RpcService.js';

/** What the TaskExecutor does for the JobMaster. */
export interface TaskExecutorGateway {
  submitTask(descriptor: TaskDeploymentDescriptor): void;
  cancelTask(attemptId: string): void;
  triggerCheckpoint(request: TriggerCheckpointRequest): void;
  notifyCheckpoint(attemptIds: readonly string[], checkpointId: number, completed: boolean): void;
}

/** Serves the TaskExecutorGateway over gRPC, and the files of the TaskExecutor's log directory. */
export function addTaskExecutorService(server: Server, gateway: TaskExecutorGateway, logFiles: LogFileLocation): void {
  server.addService(TaskExecutorServiceService, {
    submitTask(call: ServerUnaryCall<SubmitTaskRequest, SubmitTaskResponse>, callback: sendUnaryData<SubmitTaskResponse>) {
      const descriptor = call.request.descriptor;
      if (!descriptor) {
        callback(serviceError(status.INVALID_ARGUMENT, 'SubmitTask needs a task deployment descriptor.'));
        return;
      }
      try {
        gateway.submitTask(descriptor);
        callback(null, {});
      } catch (error) {
        callback(serviceError(status.FAILED_PRECONDITION, (error as Error).message));
      }
    },
    cancelTask(call: ServerUnaryCall<CancelTaskRequest, CancelTaskResponse>, callback: sendUnaryData<CancelTaskResponse>) {
      gateway.cancelTask(call.request.attemptId);
      callback(null, {});
    },
    triggerCheckpoint(call: ServerUnaryCall<TriggerCheckpointRequest, TriggerCheckpointResponse>, callback: sendUnaryData<TriggerCheckpointResponse>) {
      try {
        gateway.triggerCheckpoint(call.request);
        callback(null, {});
      } catch (error) {
        callback(serviceError(status.NOT_FOUND, (error as Error).message));
      }
    },
    notifyCheckpointComplete(call: ServerUnaryCall<NotifyCheckpointCompleteRequest, NotifyCheckpointCompleteResponse>, callback: sendUnaryData<NotifyCheckpointCompleteResponse>) {
      gateway.notifyCheckpoint(call.request.attemptIds, call.request.checkpointId, true);
      callback(null, {});
    },
    notifyCheckpointAborted(call: ServerUnaryCall<NotifyCheckpointAbortedRequest, NotifyCheckpointAbortedResponse>, callback: sendUnaryData<NotifyCheckpointAbortedResponse>) {
      gateway.notifyCheckpoint(call.request.attemptIds, call.request.checkpointId, false);
      callback(null, {});
    },
    requestLogList(_call: ServerUnaryCall<RequestLogListRequest, RequestLogListResponse>, callback: sendUnaryData<RequestLogListResponse>) {
      logFiles.listLogs().then(
        (logs) => callback(null, { logs }),
        (error: Error) => callback(serviceError(status.INTERNAL, error.message)),
      );
    },
    requestFileUpload(call: ServerWritableStream<RequestFileUploadRequest, RequestFileUploadResponse>) {
      requestFileUpload(call, logFiles).catch((error: Error) => call.emit('error', serviceError(status.INTERNAL, error.message)));
    },
  });
}

/**
 * Streams a file of the log directory (Flink's requestFileUploadByType / requestFileUploadByName). The name comes from
 * the network: LogFileLocation.open decides what it may reach.
 */
async function requestFileUpload(call: ServerWritableStream<RequestFileUploadRequest, RequestFileUploadResponse>, logFiles: LogFileLocation): Promise<void> {
  const { file, maxBytes } = call.request;
  let name: string;
  let fileTag: string;
  if (file?.$case === 'name') {
    name = fileTag = file.value;
  } else if (file?.value === FileType.FILE_TYPE_LOG || file?.value === FileType.FILE_TYPE_STDOUT) {
    const type = file.value === FileType.FILE_TYPE_LOG ? 'LOG' : 'STDOUT';
    name = logFiles.fileName(type);
    fileTag = type;
  } else {
    call.emit('error', serviceError(status.INVALID_ARGUMENT, 'RequestFileUpload needs a file type or a file name.'));
    return;
  }
  const handle = await logFiles.open(name);
  if (!handle) {
    call.emit('error', serviceError(status.NOT_FOUND, `The file ${fileTag} does not exist on the TaskExecutor.`));
    return;
  }
  for await (const chunk of readLogFile(handle, maxBytes)) {
    if (call.cancelled) return;
    if (!call.write({ chunk })) await drainedOrCancelled(call);
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
