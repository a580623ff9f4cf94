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
import { isExecutionState } from '../../executiongraph/ExecutionState.js';
import type { JobMasterGateway } from '../JobMasterGateway.js';

/**
 * Serves the JobMasters of this JobManager to TaskExecutors over gRPC; every call names its job and goes to that job's
 * gateway. A call for a job that is not here, or with a state that is not an ExecutionState, is not accepted.
 */
export function addJobMasterService(server: Server, jobMaster: (jobId: string) => JobMasterGateway | undefined): void {
  server.addService(JobMasterServiceService, {
    updateTaskExecutionState(call: ServerUnaryCall<UpdateTaskExecutionStateRequest, UpdateTaskExecutionStateResponse>, callback: sendUnaryData<UpdateTaskExecutionStateResponse>) {
      const { jobId, attemptId, state, failure } = call.request;
      const gateway = jobMaster(jobId);
      if (!gateway || !isExecutionState(state)) {
        callback(null, { accepted: false });
        return;
      }
      gateway.updateTaskExecutionState({ attemptId, state, ...(failure ? { failure } : {}) }).then(
        (accepted) => callback(null, { accepted }),
        () => callback(null, { accepted: false }),
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
      (jobMaster(r.jobId)?.acknowledgeCheckpoint(ack) ?? Promise.resolve()).then(done, done);
    },
    declineCheckpoint(call: ServerUnaryCall<DeclineCheckpointRequest, DeclineCheckpointResponse>, callback: sendUnaryData<DeclineCheckpointResponse>) {
      const { jobId, attemptId, checkpointId, reason } = call.request;
      const done = () => callback(null, {});
      (jobMaster(jobId)?.declineCheckpoint({ attemptId, checkpointId, reason }) ?? Promise.resolve()).then(done, done);
    },
  });
}
