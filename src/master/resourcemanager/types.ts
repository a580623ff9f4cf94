/** Domain types of the ResourceManager, independent of the protobuf wire form. */

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

export interface TaskExecutorMetrics {
  heapUsed: number;
  heapCommitted: number;
  heapMax: number;
  rss: number;
  external: number;
  arrayBuffers: number;
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
  metrics: TaskExecutorMetrics | undefined;
}

/** I/O counters of one running subtask, as the TaskManager reports them with its heartbeat. */
export interface TaskMetricsReport {
  jobId: string;
  attemptId: string;
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
  lateRecordsDropped: number;
  recordsInErrors: number;
  currentInputWatermark: number;
  backPressuredMs: number;
}
