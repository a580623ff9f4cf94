import { status, type Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  JobMasterServiceService,
  type AcknowledgeCheckpointRequest,
  type AcknowledgeCheckpointResponse,
  type DeclineCheckpointRequest,
  type DeclineCheckpointResponse,
  type UpdateTaskExecutionStateRequest,
  type UpdateTaskExecutionStateResponse,
} from '../../../generated/tsflink/jobmaster/v1/jobmaster.js';
import { serviceError } from '../../../rpc/RpcService.js';
import { isExecutionState } from '../../executiongraph/ExecutionState.js';
import { SenderNotAuthorizedError, type JobMasterGateway } from '../JobMasterGateway.js';

/** A refused sender is answered PERMISSION_DENIED; any other failure as before. */
function refusal(error: unknown): ReturnType<typeof serviceError> | undefined {
  return error instanceof SenderNotAuthorizedError ? serviceError(status.PERMISSION_DENIED, error.message) : undefined;
}

/**
 * Serves the JobMasters of this JobManager to TaskExecutors over gRPC; every call names its job and goes to that job's
 * gateway. A call for a job that is not here, or with a state that is not an ExecutionState, is not accepted. Every call
 * names its sender (resource id and registration id); one the JobMaster refuses fails with PERMISSION_DENIED.
 */
export function addJobMasterService(server: Server, jobMaster: (jobId: string) => JobMasterGateway | undefined): void {
  server.addService(JobMasterServiceService, {
    updateTaskExecutionState(call: ServerUnaryCall<UpdateTaskExecutionStateRequest, UpdateTaskExecutionStateResponse>, callback: sendUnaryData<UpdateTaskExecutionStateResponse>) {
      const { jobId, attemptId, state, failure, resourceId, registrationId } = call.request;
      const gateway = jobMaster(jobId);
      if (!gateway || !isExecutionState(state)) {
        callback(null, { accepted: false });
        return;
      }
      gateway.updateTaskExecutionState({ attemptId, state, ...(failure ? { failure } : {}) }, { resourceId, registrationId }).then(
        (accepted) => callback(null, { accepted }),
        (error) => {
          const refused = refusal(error);
          if (refused) callback(refused);
          else callback(null, { accepted: false });
        },
      );
    },
    acknowledgeCheckpoint(call: ServerUnaryCall<AcknowledgeCheckpointRequest, AcknowledgeCheckpointResponse>, callback: sendUnaryData<AcknowledgeCheckpointResponse>) {
      const r = call.request;
      const ack = {
        attemptId: r.attemptId,
        checkpointId: r.checkpointId,
        subtaskState: r.subtaskState,
        metrics: { stateSize: r.stateSize, syncDurationMs: r.syncDurationMs, asyncDurationMs: r.asyncDurationMs, alignmentDurationMs: r.alignmentDurationMs, startDelayMs: r.startDelayMs },
      };
      const done = () => callback(null, {});
      (jobMaster(r.jobId)?.acknowledgeCheckpoint(ack, { resourceId: r.resourceId, registrationId: r.registrationId }) ?? Promise.resolve()).then(done, (error) =>
        refusal(error) ? callback(refusal(error)!) : done(),
      );
    },
    declineCheckpoint(call: ServerUnaryCall<DeclineCheckpointRequest, DeclineCheckpointResponse>, callback: sendUnaryData<DeclineCheckpointResponse>) {
      const { jobId, attemptId, checkpointId, reason, resourceId, registrationId } = call.request;
      const done = () => callback(null, {});
      (jobMaster(jobId)?.declineCheckpoint({ attemptId, checkpointId, reason }, { resourceId, registrationId }) ?? Promise.resolve()).then(done, (error) =>
        refusal(error) ? callback(refusal(error)!) : done(),
      );
    },
  });
}
