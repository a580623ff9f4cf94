import { status, type Server, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { Logger } from '../../../common/Logger.js';
import {
  ResourceManagerServiceService,
  type DisconnectTaskManagerRequest,
  type DisconnectTaskManagerResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterTaskExecutorRequest,
  type RegisterTaskExecutorResponse,
  type ResourceManagerServiceServer,
} from '../../../generated/tsflink/resourcemanager/v1/resourcemanager.js';
import { heartbeatFromProto, registrationFromProto, registrationResponseToProto } from '../../../rpc/convert/resourceManager.js';
import { serviceError } from '../../../rpc/RpcService.js';
import type { HeartbeatSession, ResourceManagerGateway } from '../ResourceManagerGateway.js';

/**
 * Serves a ResourceManagerGateway to TaskExecutors over gRPC: the wire adapter, with no bookkeeping of its own. A
 * heartbeat stream is the registration's heartbeat session: its end is the session's end, either way.
 */
export function addResourceManagerService(server: Server, gateway: ResourceManagerGateway, resourceManagerId: () => string, log: Logger): void {
  const implementation: ResourceManagerServiceServer = {
    registerTaskExecutor(call: ServerUnaryCall<RegisterTaskExecutorRequest, RegisterTaskExecutorResponse>, callback: sendUnaryData<RegisterTaskExecutorResponse>) {
      const { registration, slots, previousRegistrationId } = registrationFromProto(call.request);
      gateway.registerTaskExecutor(registration, slots, 0, previousRegistrationId).then(
        (response) => callback(null, registrationResponseToProto(response)),
        (error: Error) => callback(serviceError(status.UNAVAILABLE, error.message)),
      );
    },

    heartbeat(call: ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>) {
      let session: HeartbeatSession | undefined;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        session?.close();
      };
      call.on('data', (request: HeartbeatRequest) => {
        if (ended) return;
        if (!session) {
          session = gateway.openHeartbeatSession(request.resourceId, request.registrationId, {
            onHeartbeatAnswer: () => call.write({ resourceManagerId: resourceManagerId() }),
            onClose: (reason) => {
              if (ended) return;
              ended = true;
              call.emit('error', serviceError(status.ABORTED, reason));
            },
          });
        }
        session.send(heartbeatFromProto(request, (error) => log.warn(`Dropped unreadable metrics of TaskManager ${request.resourceId}: ${error.message}`)));
      });
      call.on('end', () => {
        end();
        call.end();
      });
      call.on('cancelled', end);
      call.on('error', (error) => {
        log.debug(`Heartbeat stream failed: ${error.message}`);
        end();
      });
    },

    disconnectTaskManager(call: ServerUnaryCall<DisconnectTaskManagerRequest, DisconnectTaskManagerResponse>, callback: sendUnaryData<DisconnectTaskManagerResponse>) {
      const { resourceId, registrationId, cause } = call.request;
      gateway.disconnectTaskManager(resourceId, registrationId, cause).then(
        () => callback(null, {}),
        (error: Error) => callback(serviceError(status.INTERNAL, error.message)),
      );
    },
  };
  server.addService(ResourceManagerServiceService, implementation);
}
