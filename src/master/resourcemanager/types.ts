/** Domain types of the ResourceManager, independent of the protobuf wire form. */
import type { GaugeValue } from '../../job/metrics.js';
import type { TaskExecutorGateway } from '../../taskmanager/TaskExecutorGateway.js';
import type { ExecutionState } from '../executiongraph/ExecutionState.js';
import type { TaskFailure } from '../jobmaster/JobMasterGateway.js';

export interface HardwareDescription {
  cpuCores: number;
  physicalMemory: number;
  freeMemory: number;
  managedMemory: number;
}

export interface SlotStatus {
  slotIndex: number;
  /** Empty for a free slot. */
  allocationId: string;
  jobId: string;
  /**
   * The subtask attempts running in the slot, and those that ended while the TaskExecutor had no JobManager to tell
   * (none if absent): what a new leader reconciles its recovered jobs with.
   */
  tasks?: readonly TaskStatus[];
}

/** A subtask attempt of a slot as its TaskExecutor reports it (at registration and with every heartbeat). */
export interface TaskStatus {
  attemptId: string;
  vertexId: string;
  subtaskIndex: number;
  attemptNumber: number;
  state: ExecutionState;
  failure?: TaskFailure;
}

export interface TaskExecutorRegistration {
  resourceId: string;
  /** host:port of the TaskExecutor's RPC endpoint. */
  address: string;
  hostname: string;
  /** Port of its data (shuffle) server, on the host of `address`. */
  dataPort: number;
  numberOfSlots: number;
  hardware: HardwareDescription;
  pid: number;
}

export interface RegistrationSuccess {
  registrationId: string;
  resourceManagerId: string;
  resourceManagerResourceId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}

/**
 * What the JobManager's calls to a TaskExecutor carry (Flink fences them with a ResourceManagerId / JobMasterId): the id
 * of the ResourceManager it registered with and the registration's id. The TaskExecutor acts only on calls carrying
 * its current registration's tokens.
 */
export interface TaskExecutorFencingTokens {
  resourceManagerId: string;
  registrationId: string;
}

/** Why a TaskManager left the ResourceManager's registry. */
export type TaskManagerRemovalReason =
  | { kind: 'heartbeat-timeout'; timeoutMs: number }
  | { kind: 'connection-lost' }
  | { kind: 'disconnected'; cause: string }
  | { kind: 'replaced' }
  | { kind: 'shutdown' }
  | { kind: 'leadership-revoked' };

/** A registered TaskManager as the JobManager's components see it. */
export interface TaskManagerView {
  registration: TaskExecutorRegistration;
  registrationId: string;
  registeredAt: number;
  lastHeartbeat: number;
  /** host:port of its data (shuffle) server. */
  dataAddress: string;
  /** How the JobManager reaches it. */
  gateway: TaskExecutorGateway;
  /** The slot report it registered with: allocated slots and the subtasks running in them. */
  registeredSlots: readonly SlotStatus[];
  /** The process metrics of the newest heartbeat (`Status.JVM.*`), empty until one arrived. */
  metrics: ReadonlyMap<string, GaugeValue>;
}
