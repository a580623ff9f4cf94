import { Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  ResourceManagerServiceClient,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from '../../generated/tsflink/resourcemanager/v1/resourcemanager.js';
import type {
  HeartbeatListener,
  HeartbeatSession,
  RegistrationResponse,
  ResourceManagerGateway,
  SlotStatus,
  TaskExecutorRegistration,
} from '../../master/resourcemanager/ResourceManagerGateway.js';
import { heartbeatToProto, registrationResponseFromProto, registrationToProto } from '../../rpc/convert/resourceManager.js';
import type { RpcSecurity } from '../../rpc/RpcSecurity.js';
import { deadlineIn } from '../../rpc/RpcService.js';
import type { ResourceManagerGatewayConnection } from '../ResourceManagerConnection.js';

/** The ResourceManager's gateway over gRPC, as a TaskExecutor uses it; the heartbeat session is one bidirectional stream. */
export class RpcResourceManagerGateway implements ResourceManagerGateway, ResourceManagerGatewayConnection {
  private readonly client: ResourceManagerServiceClient;

  constructor(address: string, security: RpcSecurity) {
    this.client = new ResourceManagerServiceClient(address, security.channelCredentials(), security.channelOptions());
  }

  get gateway(): ResourceManagerGateway {
    return this;
  }

  registerTaskExecutor(registration: TaskExecutorRegistration, slots: readonly SlotStatus[], timeoutMs: number): Promise<RegistrationResponse> {
    return new Promise((resolve, reject) =>
      this.client.registerTaskExecutor(registrationToProto(registration, slots), new Metadata(), { deadline: deadlineIn(timeoutMs) }, (error, response) =>
        error ? reject(error) : resolve(registrationResponseFromProto(response!)),
      ),
    );
  }

  openHeartbeatSession(resourceId: string, registrationId: string, listener: HeartbeatListener): HeartbeatSession {
    const stream: ClientDuplexStream<HeartbeatRequest, HeartbeatResponse> = this.client.heartbeat();
    let closed = false;
    const close = (reason: string | undefined) => {
      if (closed) return;
      closed = true;
      stream.cancel();
      if (reason !== undefined) listener.onClose(reason);
    };
    stream.on('data', () => listener.onHeartbeatAnswer());
    stream.on('error', (error: ServiceError) => close(error.code === status.CANCELLED ? 'The heartbeat stream was cancelled' : error.details || error.message));
    stream.on('end', () => close('The ResourceManager closed the heartbeat stream'));
    return {
      send: (payload) => {
        if (!closed) stream.write(heartbeatToProto(resourceId, registrationId, payload));
      },
      close: () => close(undefined),
    };
  }

  disconnectTaskManager(resourceId: string, registrationId: string, cause: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.disconnectTaskManager({ resourceId, registrationId, cause }, new Metadata(), { deadline: deadlineIn(1000) }, (error) => (error ? reject(error) : resolve())),
    );
  }

  close(): void {
    this.client.close();
  }
}
