import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { JobMasterServiceClient } from '../../generated/tsflink/jobmaster/v1/jobmaster.js';
import type {
  AcknowledgeCheckpoint,
  DeclineCheckpoint,
  JobMasterGateway,
  TaskExecutionState,
  TaskExecutorIdentity,
} from '../../master/jobmaster/JobMasterGateway.js';
import { asBuffer } from '../../rpc/convert/taskDeployment.js';
import type { RpcSecurity } from '../../rpc/RpcSecurity.js';
import { deadlineIn } from '../../rpc/RpcService.js';
import type { JobMasterGateways } from '../TaskExecutor.js';

interface Connection {
  client: JobMasterServiceClient;
  /** Calls to one JobManager go out one after the other: a subtask's state changes must arrive in order. */
  queue: Promise<unknown>;
}

/** The JobMasters' gateways over gRPC: one client per JobManager address, shared by its jobs, calls in order. */
export class RpcJobMasterGateways implements JobMasterGateways {
  private readonly connections = new Map<string, Connection>();

  constructor(
    /** This TaskExecutor's resource id, sent with every message as its sender (with the registration id). */
    private readonly resourceId: string,
    private readonly security: RpcSecurity,
  ) {}

  connect(address: string, jobId: string): JobMasterGateway {
    return {
      updateTaskExecutionState: (state: TaskExecutionState, { registrationId }: TaskExecutorIdentity) =>
        this.call<boolean>(address, (client, done) =>
          client.updateTaskExecutionState({ jobId, ...state, resourceId: this.resourceId, registrationId }, new Metadata(), { deadline: deadlineIn(10_000) }, (error, response) =>
            done(error, response?.accepted ?? false),
          ),
        ),
      acknowledgeCheckpoint: (ack: AcknowledgeCheckpoint, { registrationId }: TaskExecutorIdentity) =>
        this.call<void>(address, (client, done) =>
          client.acknowledgeCheckpoint(
            {
              jobId,
              attemptId: ack.attemptId,
              checkpointId: ack.checkpointId,
              subtaskState: asBuffer(ack.subtaskState),
              ...ack.metrics,
              resourceId: this.resourceId,
              registrationId,
            },
            new Metadata(),
            { deadline: deadlineIn(10_000) },
            (error) => done(error, undefined),
          ),
        ),
      declineCheckpoint: (decline: DeclineCheckpoint, { registrationId }: TaskExecutorIdentity) =>
        this.call<void>(address, (client, done) =>
          client.declineCheckpoint({ jobId, ...decline, resourceId: this.resourceId, registrationId }, new Metadata(), { deadline: deadlineIn(10_000) }, (error) => done(error, undefined)),
        ),
    };
  }

  close(): void {
    for (const { client } of this.connections.values()) client.close();
    this.connections.clear();
  }

  /** Calls the JobManager at `address`, after every call to it made before. */
  private call<T>(address: string, invoke: (client: JobMasterServiceClient, done: (error: ServiceError | null, value: T) => void) => void): Promise<T> {
    let connection = this.connections.get(address);
    if (!connection) {
      connection = { client: new JobMasterServiceClient(address, this.security.channelCredentials(), this.security.channelOptions()), queue: Promise.resolve() };
      this.connections.set(address, connection);
    }
    const { client } = connection;
    const result = connection.queue.then(
      () => new Promise<T>((resolve, reject) => invoke(client, (error, value) => (error ? reject(error) : resolve(value)))),
    );
    connection.queue = result.catch(() => undefined);
    return result;
  }
}
