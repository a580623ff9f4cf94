import type { MetricDumps } from '../../metrics/MetricDumps.js';
import type { RegistrationSuccess, SlotStatus, TaskExecutorRegistration } from './types.js';

export type { HardwareDescription, RegistrationSuccess, SlotStatus, TaskExecutorFencingTokens, TaskExecutorRegistration, TaskStatus } from './types.js';

export type RegistrationResponse = { kind: 'success'; success: RegistrationSuccess } | { kind: 'rejection'; reason: string };

/** What a TaskExecutor reports with every heartbeat. */
export interface TaskExecutorHeartbeatPayload {
  slots: SlotStatus[];
  /** Its process and task metrics; undefined when they could not be read. */
  metricDumps: MetricDumps | undefined;
}

/** The ResourceManager's side of a heartbeat session, as the TaskExecutor sees it. */
export interface HeartbeatListener {
  /** The ResourceManager answered a heartbeat: it is alive and the registration is current. */
  onHeartbeatAnswer(): void;
  /** The session ended (the ResourceManager dropped the registration, or the connection broke); nothing more comes. */
  onClose(reason: string): void;
}

/** The TaskExecutor's side of a heartbeat session. */
export interface HeartbeatSession {
  send(payload: TaskExecutorHeartbeatPayload): void;
  /** The TaskExecutor ends the session (it shuts down, or gave up on the ResourceManager). */
  close(): void;
}

/**
 * What a TaskExecutor asks of the ResourceManager (Flink's ResourceManagerGateway, TaskExecutor side): registration,
 * heartbeats and disconnection. A registration holds one heartbeat session; the end of that session is the loss of the
 * TaskExecutor for the ResourceManager, and the loss of the ResourceManager for the TaskExecutor, whichever side ends
 * it. Implemented by the ResourceManager and, across processes, by the gRPC client in the TaskExecutor.
 */
export interface ResourceManagerGateway {
  /**
   * `previousRegistrationId`: the id of the registration this TaskExecutor holds (or held) at this ResourceManager, if
   * any; a live registration of the same resource id is replaced only when it is given.
   */
  registerTaskExecutor(
    registration: TaskExecutorRegistration,
    slots: readonly SlotStatus[],
    timeoutMs: number,
    previousRegistrationId?: string,
  ): Promise<RegistrationResponse>;
  /** Opens the heartbeat session of a registration; a session for an unknown registration closes at once. */
  openHeartbeatSession(resourceId: string, registrationId: string, listener: HeartbeatListener): HeartbeatSession;
  disconnectTaskManager(resourceId: string, registrationId: string, cause: string): Promise<void>;
}
