import { credentials, Metadata } from '@grpc/grpc-js';
import { JobMasterServiceClient } from '../../generated/tsflink/jobmaster/v1/jobmaster.js';
import type { Logger } from '../../common/Logger.js';
import { deadlineIn, DEFAULT_CHANNEL_OPTIONS } from '../../rpc/RpcService.js';
import type { SerializedFailure } from '../task/thread-protocol.js';

/** Reports subtask state changes to JobMasters, one gRPC client per JobMaster address, in order per address. */
export class JobMasterConnections {
  private readonly clients = new Map<string, { client: JobMasterServiceClient; queue: Promise<void> }>();

  constructor(
    private readonly resourceId: string,
    private readonly log: Logger,
  ) {}

  updateTaskExecutionState(address: string, jobId: string, attemptId: string, state: string, failure?: SerializedFailure): void {
    let entry = this.clients.get(address);
    if (!entry) {
      entry = { client: new JobMasterServiceClient(address, credentials.createInsecure(), DEFAULT_CHANNEL_OPTIONS), queue: Promise.resolve() };
      this.clients.set(address, entry);
    }
    const { client } = entry;
    const request = { jobId, attemptId, state, failure, resourceId: this.resourceId };
    entry.queue = entry.queue.then(
      () =>
        new Promise<void>((resolve) => {
          client.updateTaskExecutionState(request, new Metadata(), { deadline: deadlineIn(10_000) }, (error) => {
            if (error) this.log.warn(`Could not report ${state} of ${attemptId} to the JobMaster at ${address}: ${error.details || error.message}`);
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
