import type { Server, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import {
  JobMasterServiceService,
  type AcknowledgeCheckpointRequest,
  type AcknowledgeCheckpointResponse,
  type DeclineCheckpointRequest,
  type DeclineCheckpointResponse,
  type UpdateTaskExecutionStateRequest,
  type UpdateTaskExecutionStateResponse,
} from '../../../generated/tsflink/jobmaster/v1/jobmaster.js';
import type { Dispatcher } from '../../dispatcher/Dispatcher.js';

/** Serves the JobMasters of this JobManager to TaskExecutors; calls are routed to the job they name. */
export function addJobMasterService(server: Server, dispatcher: Dispatcher): void {
  server.addService(JobMasterServiceService, {
    updateTaskExecutionState(
      call: ServerUnaryCall<UpdateTaskExecutionStateRequest, UpdateTaskExecutionStateResponse>,
      callback: sendUnaryData<UpdateTaskExecutionStateResponse>,
    ) {
      const { jobId, attemptId, state, failure } = call.request;
      const job = dispatcher.getJob(jobId);
      const accepted = job ? job.updateTaskExecutionState(attemptId, state, failure) : false;
      callback(null, { accepted });
    },
    acknowledgeCheckpoint(call: ServerUnaryCall<AcknowledgeCheckpointRequest, AcknowledgeCheckpointResponse>, callback: sendUnaryData<AcknowledgeCheckpointResponse>) {
      const r = call.request;
      dispatcher.getJob(r.jobId)?.acknowledgeCheckpoint(r.attemptId, r.checkpointId, r.subtaskState, {
        stateSize: r.stateSize,
        syncDurationMs: r.syncDurationMs,
        asyncDurationMs: r.asyncDurationMs,
        alignmentDurationMs: r.alignmentDurationMs,
        startDelayMs: r.startDelayMs,
      });
      callback(null, {});
    },
    declineCheckpoint(call: ServerUnaryCall<DeclineCheckpointRequest, DeclineCheckpointResponse>, callback: sendUnaryData<DeclineCheckpointResponse>) {
      const r = call.request;
      dispatcher.getJob(r.jobId)?.declineCheckpoint(r.attemptId, r.checkpointId, r.reason);
      callback(null, {});
    },
  });
}
