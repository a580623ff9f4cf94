import type { Server, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import {
  JobMasterServiceService,
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
  });
}
