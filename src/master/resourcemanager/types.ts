/** Domain types of the ResourceManager, independent of the protobuf wire form. */
import type { GaugeValue } from '../../job/metrics.js';

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
}

export interface TaskExecutorRegistration {
  resourceId: string;
  address: string;
  hostname: string;
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

/** Why a TaskManager left the ResourceManager's registry. */
export type TaskManagerRemovalReason =
  | { kind: 'heartbeat-timeout'; timeoutMs: number }
  | { kind: 'connection-lost' }
  | { kind: 'disconnected'; cause: string }
  | { kind: 'replaced' }
  | { kind: 'shutdown' };

/** A registered TaskManager as the REST layer sees it. */
export interface TaskManagerView {
  registration: TaskExecutorRegistration;
  registrationId: string;
  registeredAt: number;
  lastHeartbeat: number;
  /** The process metrics of the newest heartbeat (`Status.JVM.*`), empty until one arrived. */
  metrics: ReadonlyMap<string, GaugeValue>;
}
