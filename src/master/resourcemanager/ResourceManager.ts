import { EventEmitter } from 'node:events';
import { randomHex } from '../../common/ids.js';
import type { Logger } from '../../common/Logger.js';
import type { MetricDumps, TaskMetricDump } from '../../metrics/MetricDumps.js';
import { metricId } from '../../metrics/MetricGroup.js';
import { SlotManager } from './SlotManager.js';
import type {
  RegistrationSuccess,
  SlotStatus,
  TaskExecutorRegistration,
  TaskManagerRemovalReason,
  TaskManagerView,
} from './types.js';

export interface ResourceManagerConfig {
  /** The JobManager process's resource id, handed to TaskManagers. */
  resourceId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}

interface WorkerRegistration extends TaskManagerView {
  heartbeatTimer: NodeJS.Timeout;
}

export interface ResourceManagerEvents {
  taskManagerRegistered: [TaskManagerView];
  taskManagerRemoved: [resourceId: string, registrationId: string, reason: TaskManagerRemovalReason];
  taskMetrics: [readonly TaskMetricDump[]];
}

/**
 * The registry of TaskManagers (Flink's ResourceManager, standalone flavour): registration, heartbeat monitoring and
 * slot bookkeeping. A TaskManager is removed when it disconnects, when its heartbeat stream breaks, or when no
 * heartbeat arrived for heartbeat.timeout.
 */
export class ResourceManager extends EventEmitter<ResourceManagerEvents> {
  /** Fencing token of this ResourceManager instance: a restarted JobManager has a new one. */
  readonly resourceManagerId = randomHex(16);
  readonly slotManager = new SlotManager();
  private readonly workers = new Map<string, WorkerRegistration>();
  private closed = false;

  constructor(
    private readonly config: ResourceManagerConfig,
    private readonly log: Logger,
  ) {
    super();
  }

  registerTaskExecutor(registration: TaskExecutorRegistration, slots: readonly SlotStatus[]): RegistrationSuccess {
    if (this.closed) throw new Error('The ResourceManager is shutting down.');
    const previous = this.workers.get(registration.resourceId);
    if (previous) {
      this.log.info(`Replacing old registration of TaskExecutor ${registration.resourceId}.`);
      this.remove(previous, { kind: 'replaced' });
    }
    const now = Date.now();
    const worker: WorkerRegistration = {
      registration,
      registrationId: randomHex(16),
      registeredAt: now,
      lastHeartbeat: now,
      metrics: new Map(),
      heartbeatTimer: setTimeout(() => this.heartbeatTimedOut(worker), this.config.heartbeatTimeoutMs),
    };
    this.workers.set(registration.resourceId, worker);
    this.slotManager.registerTaskManager(registration.resourceId, slots);
    this.log.info(
      `Registering TaskManager with ResourceID ${registration.resourceId} (${registration.address}) at ResourceManager`,
      { slots: registration.numberOfSlots, pid: registration.pid },
    );
    this.emit('taskManagerRegistered', worker);
    return {
      registrationId: worker.registrationId,
      resourceManagerId: this.resourceManagerId,
      resourceManagerResourceId: this.config.resourceId,
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.config.heartbeatTimeoutMs,
    };
  }

  /** Records a heartbeat (slots are the JobManager's to track, see SlotManager); false when the registration it names is no longer current (the sender must register again). */
  receiveHeartbeat(
    resourceId: string,
    registrationId: string,
    dumps: MetricDumps = { process: [], tasks: [] },
  ): boolean {
    const worker = this.current(resourceId, registrationId);
    if (!worker) return false;
    worker.lastHeartbeat = Date.now();
    worker.heartbeatTimer.refresh();
    if (dumps.process.length > 0) worker.metrics = new Map(dumps.process.map((entry) => [metricId(entry), entry[3]]));
    if (dumps.tasks.length > 0) this.emit('taskMetrics', dumps.tasks);
    return true;
  }

  isRegistered(resourceId: string, registrationId: string): boolean {
    return this.current(resourceId, registrationId) !== undefined;
  }

  disconnectTaskManager(resourceId: string, registrationId: string, cause: string): void {
    const worker = this.current(resourceId, registrationId);
    if (worker) this.remove(worker, { kind: 'disconnected', cause });
  }

  /** The TaskManager's heartbeat connection broke (its process died or the network dropped). */
  connectionLost(resourceId: string, registrationId: string): void {
    const worker = this.current(resourceId, registrationId);
    if (worker) this.remove(worker, { kind: 'connection-lost' });
  }

  getTaskManagers(): TaskManagerView[] {
    return [...this.workers.values()];
  }

  getTaskManager(resourceId: string): TaskManagerView | undefined {
    return this.workers.get(resourceId);
  }

  close(): void {
    this.closed = true;
    for (const worker of [...this.workers.values()]) this.remove(worker, { kind: 'shutdown' });
  }

  private current(resourceId: string, registrationId: string): WorkerRegistration | undefined {
    const worker = this.workers.get(resourceId);
    return worker && worker.registrationId === registrationId ? worker : undefined;
  }

  private heartbeatTimedOut(worker: WorkerRegistration): void {
    if (this.workers.get(worker.registration.resourceId) === worker) {
      this.remove(worker, { kind: 'heartbeat-timeout', timeoutMs: this.config.heartbeatTimeoutMs });
    }
  }

  private remove(worker: WorkerRegistration, reason: TaskManagerRemovalReason): void {
    const { resourceId } = worker.registration;
    clearTimeout(worker.heartbeatTimer);
    this.workers.delete(resourceId);
    this.slotManager.unregisterTaskManager(resourceId);
    const message = describeRemoval(resourceId, reason);
    if (reason.kind === 'heartbeat-timeout' || reason.kind === 'connection-lost') this.log.warn(message);
    else this.log.info(message);
    this.emit('taskManagerRemoved', resourceId, worker.registrationId, reason);
  }
}

export function describeRemoval(resourceId: string, reason: TaskManagerRemovalReason): string {
  switch (reason.kind) {
    case 'heartbeat-timeout':
      return `The heartbeat of TaskManager with id ${resourceId} timed out after ${reason.timeoutMs} ms; TaskManager lost.`;
    case 'connection-lost':
      return `The connection to TaskManager with id ${resourceId} was lost; TaskManager lost.`;
    case 'disconnected':
      return `TaskManager with id ${resourceId} disconnected: ${reason.cause}`;
    case 'replaced':
      return `Registration of TaskManager with id ${resourceId} replaced by a new one.`;
    case 'shutdown':
      return `Unregistered TaskManager with id ${resourceId}: the ResourceManager is shutting down.`;
  }
}
