import { status, type ServerDuplexStream, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
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
import type { Server } from '@grpc/grpc-js';
import type { Logger } from '../../../common/Logger.js';
import { decodeMetricDumps, type MetricDumps } from '../../../metrics/MetricDumps.js';
import { serviceError } from '../../../rpc/RpcService.js';
import { describeRemoval, type ResourceManager } from '../ResourceManager.js';
import type { SlotStatus } from '../types.js';

/** Serves the ResourceManager to TaskExecutors over gRPC: the wire adapter, with no bookkeeping of its own. */
export function addResourceManagerService(server: Server, resourceManager: ResourceManager, log: Logger): void {
  // One open heartbeat stream per registration; ended from here when the ResourceManager drops the registration.
  const streams = new Map<string, ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>>();
  resourceManager.on('taskManagerRemoved', (resourceId, registrationId, reason) => {
    const call = streams.get(registrationId);
    if (!call) return;
    streams.delete(registrationId);
    call.emit('error', serviceError(status.ABORTED, describeRemoval(resourceId, reason)));
  });

  const implementation: ResourceManagerServiceServer = {
    registerTaskExecutor(
      call: ServerUnaryCall<RegisterTaskExecutorRequest, RegisterTaskExecutorResponse>,
      callback: sendUnaryData<RegisterTaskExecutorResponse>,
    ) {
      const request = call.request;
      if (!request.resourceId || request.numberOfSlots < 0) {
        callback(null, { response: { $case: 'rejection', value: { reason: 'A registration needs a resource id and a slot count.' } } });
        return;
      }
      try {
        const success = resourceManager.registerTaskExecutor(
          {
            resourceId: request.resourceId,
            address: request.address,
            hostname: request.hostname,
            dataPort: request.dataPort,
            numberOfSlots: request.numberOfSlots,
            hardware: request.hardware ?? { cpuCores: 0, physicalMemory: 0, freeMemory: 0, managedMemory: 0 },
            pid: request.pid,
          },
          toSlots(request.slotReport?.slots),
        );
        callback(null, { response: { $case: 'success', value: success } });
      } catch (error) {
        callback(serviceError(status.UNAVAILABLE, (error as Error).message));
      }
    },

    heartbeat(call: ServerDuplexStream<HeartbeatRequest, HeartbeatResponse>) {
      let identity: { resourceId: string; registrationId: string } | undefined;
      call.on('data', (request: HeartbeatRequest) => {
        if (!identity) {
          identity = { resourceId: request.resourceId, registrationId: request.registrationId };
          if (!resourceManager.isRegistered(identity.resourceId, identity.registrationId)) {
            call.emit('error', serviceError(status.FAILED_PRECONDITION, `TaskManager ${request.resourceId} is not registered with this ResourceManager.`));
            return;
          }
          streams.set(identity.registrationId, call);
        }
        let dumps: MetricDumps | undefined;
        try {
          dumps = decodeMetricDumps(request.metricDumps);
        } catch (error) {
          log.warn(`Dropped unreadable metrics of TaskManager ${identity.resourceId}: ${(error as Error).message}`);
        }
        const known = resourceManager.receiveHeartbeat(identity.resourceId, identity.registrationId, dumps);
        if (known) call.write({ resourceManagerId: resourceManager.resourceManagerId });
      });
      const lost = () => {
        if (!identity || streams.get(identity.registrationId) !== call) return;
        streams.delete(identity.registrationId);
        resourceManager.connectionLost(identity.resourceId, identity.registrationId);
      };
      call.on('end', () => {
        lost();
        call.end();
      });
      call.on('cancelled', lost);
      call.on('error', (error) => {
        log.debug(`Heartbeat stream failed: ${error.message}`);
        lost();
      });
    },

    disconnectTaskManager(
      call: ServerUnaryCall<DisconnectTaskManagerRequest, DisconnectTaskManagerResponse>,
      callback: sendUnaryData<DisconnectTaskManagerResponse>,
    ) {
      const { resourceId, registrationId, cause } = call.request;
      resourceManager.disconnectTaskManager(resourceId, registrationId, cause);
      callback(null, {});
    },
  };
  server.addService(ResourceManagerServiceService, implementation);
}

function toSlots(slots: SlotStatus[] | undefined): SlotStatus[] {
  return (slots ?? []).map((s) => ({ slotIndex: s.slotIndex, allocationId: s.allocationId, jobId: s.jobId }));
}
