import { EventEmitter } from 'node:events';
import { randomHex } from '../../common/ids.js';
import type { Logger } from '../../common/Logger.js';
import { splitHostPort } from '../../common/net/HostAndPort.js';
import type { Clock } from '../../common/time/Clock.js';
import type { ScheduledExecutor, ScheduledTask } from '../../common/time/ScheduledExecutor.js';
import type { TaskMetricDump } from '../../metrics/MetricDumps.js';
import { metricId } from '../../metrics/MetricGroup.js';
import type { TaskExecutorGateway } from '../../taskmanager/TaskExecutorGateway.js';
import type { SlotProvider } from '../scheduler/SlotProvider.js';
import type {
  HeartbeatListener,
  HeartbeatSession,
  RegistrationResponse,
  ResourceManagerGateway,
  TaskExecutorHeartbeatPayload,
} from './ResourceManagerGateway.js';
import { SlotManager, type SlotAssignment } from './SlotManager.js';
import type { SlotStatus, TaskExecutorRegistration, TaskManagerRemovalReason, TaskManagerView } from './types.js';

export interface ResourceManagerConfig {
  /** The JobManager process's resource id, handed to TaskManagers. */
  resourceId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}

/** How the ResourceManager reaches a registering TaskExecutor: gRPC across processes, the TaskExecutor itself in tests. */
export interface TaskExecutorConnector {
  connect(address: string): TaskExecutorGateway;
  /** Releases what `connect` opened; the gateway is not used afterwards. */
  release(gateway: TaskExecutorGateway): void;
}

export interface ResourceManagerServices {
  clock: Clock;
  scheduler: ScheduledExecutor;
  taskExecutors: TaskExecutorConnector;
}

interface WorkerRegistration extends TaskManagerView {
  heartbeatTimeout: ScheduledTask;
  /** The TaskExecutor's side of the open heartbeat session, if any. */
  session: HeartbeatListener | undefined;
}

export interface ResourceManagerEvents {
  taskManagerRegistered: [TaskManagerView];
  taskManagerRemoved: [resourceId: string, registrationId: string, reason: TaskManagerRemovalReason];
  taskMetrics: [readonly TaskMetricDump[]];
}

const NO_SESSION: HeartbeatSession = { send: () => undefined, close: () => undefined };

/**
 * The registry of TaskManagers (Flink's ResourceManager, standalone flavour): registration, heartbeat monitoring and
 * slot bookkeeping. A TaskManager is removed when it disconnects, when its heartbeat session ends, or when no heartbeat
 * arrived for heartbeat.timeout.
 */
export class ResourceManager extends EventEmitter<ResourceManagerEvents> implements ResourceManagerGateway, SlotProvider {
  /** Fencing token of this ResourceManager instance: a restarted JobManager has a new one. */
  readonly resourceManagerId = randomHex(16);
  readonly slotManager = new SlotManager();
  private readonly workers = new Map<string, WorkerRegistration>();
  private closed = false;

  constructor(
    private readonly config: ResourceManagerConfig,
    private readonly services: ResourceManagerServices,
    private readonly log: Logger,
  ) {
    super();
  }

  async registerTaskExecutor(registration: TaskExecutorRegistration, slots: readonly SlotStatus[]): Promise<RegistrationResponse> {
    if (this.closed) return { kind: 'rejection', reason: 'The ResourceManager is shutting down.' };
    if (!registration.resourceId || registration.numberOfSlots < 0) return { kind: 'rejection', reason: 'A registration needs a resource id and a slot count.' };
    const previous = this.workers.get(registration.resourceId);
    if (previous) {
      this.log.info(`Replacing old registration of TaskExecutor ${registration.resourceId}.`);
      this.remove(previous, { kind: 'replaced' });
    }
    const now = this.services.clock.now();
    const worker: WorkerRegistration = {
      registration,
      registrationId: randomHex(16),
      registeredAt: now,
      lastHeartbeat: now,
      dataAddress: `${splitHostPort(registration.address)[0]}:${registration.dataPort}`,
      gateway: this.services.taskExecutors.connect(registration.address),
      metrics: new Map(),
      heartbeatTimeout: this.services.scheduler.schedule(this.config.heartbeatTimeoutMs, () => this.heartbeatTimedOut(worker)),
      session: undefined,
    };
    this.workers.set(registration.resourceId, worker);
    this.slotManager.registerTaskManager(registration.resourceId, slots);
    this.log.info(
      `Registering TaskManager with ResourceID ${registration.resourceId} (${registration.address}) at ResourceManager`,
      { slots: registration.numberOfSlots, pid: registration.pid },
    );
    this.emit('taskManagerRegistered', worker);
    return {
      kind: 'success',
      success: {
        registrationId: worker.registrationId,
        resourceManagerId: this.resourceManagerId,
        resourceManagerResourceId: this.config.resourceId,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.config.heartbeatTimeoutMs,
      },
    };
  }

  openHeartbeatSession(resourceId: string, registrationId: string, listener: HeartbeatListener): HeartbeatSession {
    const worker = this.current(resourceId, registrationId);
    if (!worker) {
      queueMicrotask(() => listener.onClose(`TaskManager ${resourceId} is not registered with this ResourceManager.`));
      return NO_SESSION;
    }
    worker.session?.onClose('A new heartbeat session of the same registration replaced this one.');
    worker.session = listener;
    return {
      send: (payload) => {
        if (this.workers.get(resourceId) !== worker || worker.session !== listener) return;
        this.receiveHeartbeat(worker, payload);
        listener.onHeartbeatAnswer();
      },
      close: () => {
        if (this.workers.get(resourceId) === worker && worker.session === listener) this.remove(worker, { kind: 'connection-lost' });
      },
    };
  }

  async disconnectTaskManager(resourceId: string, registrationId: string, cause: string): Promise<void> {
    const worker = this.current(resourceId, registrationId);
    if (worker) this.remove(worker, { kind: 'disconnected', cause });
  }

  allocateSlots(jobId: string, count: number): SlotAssignment[] | undefined {
    return this.slotManager.allocateSlots(jobId, count);
  }

  freeSlots(jobId: string): void {
    this.slotManager.freeSlots(jobId);
  }

  getNumberFreeSlots(): number {
    return this.slotManager.getNumberFreeSlots();
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

  private receiveHeartbeat(worker: WorkerRegistration, payload: TaskExecutorHeartbeatPayload): void {
    worker.lastHeartbeat = this.services.clock.now();
    worker.heartbeatTimeout.cancel();
    worker.heartbeatTimeout = this.services.scheduler.schedule(this.config.heartbeatTimeoutMs, () => this.heartbeatTimedOut(worker));
    const dumps = payload.metricDumps;
    if (!dumps) return;
    if (dumps.process.length > 0) worker.metrics = new Map(dumps.process.map((entry) => [metricId(entry), entry[3]]));
    if (dumps.tasks.length > 0) this.emit('taskMetrics', dumps.tasks);
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
    worker.heartbeatTimeout.cancel();
    this.workers.delete(resourceId);
    this.slotManager.unregisterTaskManager(resourceId);
    const message = describeRemoval(resourceId, reason);
    if (reason.kind === 'heartbeat-timeout' || reason.kind === 'connection-lost') this.log.warn(message);
    else this.log.info(message);
    const session = worker.session;
    worker.session = undefined;
    if (reason.kind !== 'connection-lost') session?.onClose(message);
    this.emit('taskManagerRemoved', resourceId, worker.registrationId, reason);
    this.services.taskExecutors.release(worker.gateway);
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
