import type {
  HeartbeatRequest,
  RegisterTaskExecutorRequest,
  RegisterTaskExecutorResponse,
  SlotStatus as SlotStatusProto,
} from '../../generated/tsflink/resourcemanager/v1/resourcemanager.js';
import type {
  RegistrationResponse,
  SlotStatus,
  TaskExecutorHeartbeatPayload,
  TaskExecutorRegistration,
} from '../../master/resourcemanager/ResourceManagerGateway.js';
import type { ExecutionState } from '../../master/executiongraph/ExecutionState.js';
import { decodeMetricDumps, encodeMetricDumps } from '../../metrics/MetricDumps.js';

/** Protobuf ↔ domain forms of the ResourceManager's messages, for both sides of the wire. */

export function registrationToProto(
  registration: TaskExecutorRegistration,
  slots: readonly SlotStatus[],
  previousRegistrationId = '',
): RegisterTaskExecutorRequest {
  return { ...registration, hardware: { ...registration.hardware }, slotReport: { slots: slotsToProto(slots) }, previousRegistrationId };
}

export function registrationFromProto(request: RegisterTaskExecutorRequest): {
  registration: TaskExecutorRegistration;
  slots: SlotStatus[];
  previousRegistrationId: string;
} {
  return {
    previousRegistrationId: request.previousRegistrationId,
    registration: {
      resourceId: request.resourceId,
      address: request.address,
      hostname: request.hostname,
      dataPort: request.dataPort,
      numberOfSlots: request.numberOfSlots,
      hardware: request.hardware
        ? { cpuCores: request.hardware.cpuCores, physicalMemory: request.hardware.physicalMemory, freeMemory: request.hardware.freeMemory, managedMemory: request.hardware.managedMemory }
        : { cpuCores: 0, physicalMemory: 0, freeMemory: 0, managedMemory: 0 },
      pid: request.pid,
    },
    slots: slotsFromProto(request.slotReport?.slots),
  };
}

export function registrationResponseToProto(response: RegistrationResponse): RegisterTaskExecutorResponse {
  return response.kind === 'success'
    ? { response: { $case: 'success', value: response.success } }
    : { response: { $case: 'rejection', value: { reason: response.reason } } };
}

export function registrationResponseFromProto(response: RegisterTaskExecutorResponse): RegistrationResponse {
  const value = response.response;
  if (value?.$case === 'success') return { kind: 'success', success: value.value };
  return { kind: 'rejection', reason: value?.value.reason ?? 'no reason given' };
}

export function heartbeatToProto(resourceId: string, registrationId: string, payload: TaskExecutorHeartbeatPayload): HeartbeatRequest {
  return {
    resourceId,
    registrationId,
    slotReport: { slots: slotsToProto(payload.slots) },
    metricDumps: payload.metricDumps ? encodeMetricDumps(payload.metricDumps) : Buffer.alloc(0),
  };
}

/** The payload of a heartbeat; unreadable metric dumps are dropped (`onBadMetrics` says why), the heartbeat counts. */
export function heartbeatFromProto(request: HeartbeatRequest, onBadMetrics: (error: Error) => void): TaskExecutorHeartbeatPayload {
  let metricDumps;
  if (request.metricDumps.length > 0) {
    try {
      metricDumps = decodeMetricDumps(request.metricDumps);
    } catch (error) {
      onBadMetrics(error as Error);
    }
  }
  return { slots: slotsFromProto(request.slotReport?.slots), metricDumps };
}

function slotsToProto(slots: readonly SlotStatus[]): SlotStatusProto[] {
  return slots.map(({ slotIndex, allocationId, jobId, tasks }) => ({
    slotIndex,
    allocationId,
    jobId,
    tasks: (tasks ?? []).map(({ failure, ...task }) => ({ ...task, ...(failure ? { failure: { ...failure } } : {}) })),
  }));
}

/** Task states that are no ExecutionState name are kept as they are: the ResourceManager refuses such a report. */
function slotsFromProto(slots: SlotStatusProto[] | undefined): SlotStatus[] {
  return (slots ?? []).map((s) => ({
    slotIndex: s.slotIndex,
    allocationId: s.allocationId,
    jobId: s.jobId,
    ...(s.tasks.length > 0
      ? {
          tasks: s.tasks.map((task) => ({
            attemptId: task.attemptId,
            vertexId: task.vertexId,
            subtaskIndex: task.subtaskIndex,
            attemptNumber: task.attemptNumber,
            state: task.state as ExecutionState,
            ...(task.failure ? { failure: { name: task.failure.name, message: task.failure.message, stack: task.failure.stack } } : {}),
          })),
        }
      : {}),
  }));
}
