import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { JobMasterServiceClient, type AcknowledgeCheckpointRequest } from '../../generated/tsflink/jobmaster/v1/jobmaster.js';
import type { Logger } from '../../common/Logger.js';
import { deadlineIn, DEFAULT_CHANNEL_OPTIONS } from '../../rpc/RpcService.js';
import type { CheckpointAck, SerializedFailure } from '../task/thread-protocol.js';

/** Reports subtask state changes and checkpoints to JobMasters, one gRPC client per JobMaster address, in order per address. */
export class JobMasterConnections {
  private readonly clients = new Map<string, { client: JobMasterServiceClient; queue: Promise<void> }>();

  constructor(
    private readonly resourceId: string,
    private readonly log: Logger,
  ) {}

  updateTaskExecutionState(address: string, jobId: string, attemptId: string, state: string, failure?: SerializedFailure): void {
    const request = { jobId, attemptId, state, failure, resourceId: this.resourceId };
    this.call(address, `report ${state} of ${attemptId}`, (client, done) => client.updateTaskExecutionState(request, new Metadata(), { deadline: deadlineIn(10_000) }, done));
  }

  acknowledgeCheckpoint(address: string, jobId: string, attemptId: string, ack: CheckpointAck): void {
    const request: AcknowledgeCheckpointRequest = {
      jobId,
      attemptId,
      checkpointId: ack.checkpointId,
      subtaskState: Buffer.from(ack.subtaskState.buffer, ack.subtaskState.byteOffset, ack.subtaskState.byteLength),
      stateSize: ack.stateSize,
      syncDurationMs: ack.syncDurationMs,
      asyncDurationMs: ack.asyncDurationMs,
      alignmentDurationMs: ack.alignmentDurationMs,
      startDelayMs: ack.startDelayMs,
    };
    this.call(address, `acknowledge checkpoint ${ack.checkpointId} of ${attemptId}`, (client, done) => client.acknowledgeCheckpoint(request, new Metadata(), { deadline: deadlineIn(10_000) }, done));
  }

  declineCheckpoint(address: string, jobId: string, attemptId: string, checkpointId: number, reason: string): void {
    const request = { jobId, attemptId, checkpointId, reason };
    this.call(address, `decline checkpoint ${checkpointId} of ${attemptId}`, (client, done) => client.declineCheckpoint(request, new Metadata(), { deadline: deadlineIn(10_000) }, done));
  }

  /** Calls the JobMaster at `address`, in order with every other call to it. */
  private call(address: string, what: string, invoke: (client: JobMasterServiceClient, done: (error: ServiceError | null) => void) => void): void {
    let entry = this.clients.get(address);
    if (!entry) {
      entry = { client: new JobMasterServiceClient(address, credentials.createInsecure(), DEFAULT_CHANNEL_OPTIONS), queue: Promise.resolve() };
      this.clients.set(address, entry);
    }
    const { client } = entry;
    entry.queue = entry.queue.then(
      () =>
        new Promise<void>((resolve) => {
          invoke(client, (error) => {
            if (error) this.log.warn(`Could not ${what} to the JobMaster at ${address}: ${error.details || error.message}`);
            resolve();
          });
        }),
    );
  }

  close(): void {
    for (const { client } of this.clients.values()) client.close();
    this.clients.clear();
  }
}
