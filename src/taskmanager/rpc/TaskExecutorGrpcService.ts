import { status, type Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  TaskExecutorServiceService,
  type CancelTaskRequest,
  type CancelTaskResponse,
  type NotifyCheckpointAbortedRequest,
  type NotifyCheckpointAbortedResponse,
  type NotifyCheckpointCompleteRequest,
  type NotifyCheckpointCompleteResponse,
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

/** Serves the TaskExecutorGateway over gRPC. */
export function addTaskExecutorService(server: Server, gateway: TaskExecutorGateway): void {
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
  });
}
