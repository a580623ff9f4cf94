import { EventEmitter } from 'node:events';
import { ID_PATTERN, randomHex } from '../../common/ids.js';
import { isExecutionState } from '../executiongraph/ExecutionState.js';
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
import type { SlotStatus, TaskExecutorFencingTokens, TaskExecutorRegistration, TaskManagerRemovalReason, TaskManagerView } from './types.js';
import { secretsEqual } from '../../common/security/secrets.js';

export interface ResourceManagerConfig {
  /** The JobManager process's resource id, handed to TaskManagers. */
  resourceId: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Flink's `slotmanager.number-of-slots.max`: registrations that would exceed it are refused; unbounded if unset. */
  maxNumberOfSlots?: number;
  /**
   * Its fencing token while it leads: a random one by default (a ResourceManager without HA leads from its start);
   * null for a standby JobManager's, which leads once granted leadership with the leader session id.
   */
  resourceManagerId?: string | null;
}

/** The most slots one TaskManager may offer (a registration asking for more is refused). */
export const MAX_SLOTS_PER_TASK_MANAGER = 1024;
/** Longest resource id, host name or address a registration may carry. */
const MAX_NAME_LENGTH = 256;
/** Printable ASCII without spaces: what a resource id may consist of (Flink's are host:port-suffix or configured). */
const RESOURCE_ID = /^[\x21-\x7e]+$/;
/** A host name, an IPv4 address or a bracketed IPv6 literal. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;

/** How the ResourceManager reaches a registering TaskExecutor: gRPC across processes, the TaskExecutor itself in tests. */
export interface TaskExecutorConnector {
  /**
   * A gateway to the TaskExecutor at `address` for one registration: its calls carry the registration's fencing tokens
   * (this ResourceManager's id and the registration id), without which the TaskExecutor refuses them.
   */
  connect(address: string, fencing: TaskExecutorFencingTokens): TaskExecutorGateway;
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
  /** Slots a TaskManager registered with still allocated are free again (it reported them so). */
  slotsReleased: [resourceId: string];
}

const NO_SESSION: HeartbeatSession = { send: () => undefined, close: () => undefined };

/**
 * The registry of TaskManagers (Flink's ResourceManager, standalone flavour): registration, heartbeat monitoring and
 * slot bookkeeping. A TaskManager is removed when it disconnects, when its heartbeat session ends, or when no heartbeat
 * arrived for heartbeat.timeout.
 */
export class ResourceManager extends EventEmitter<ResourceManagerEvents> implements ResourceManagerGateway, SlotProvider {
  /** Fencing token of the current leadership ('' while it does not lead): a restarted or newly elected JobManager has a new one. */
  private leaderId: string | undefined;
  readonly slotManager = new SlotManager();
  private readonly workers = new Map<string, WorkerRegistration>();
  private closed = false;
  /** Settles once the current leadership's jobs are recovered: registrations wait for it (see grantLeadership). */
  private jobsRecovered: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: ResourceManagerConfig,
    private readonly services: ResourceManagerServices,
    private readonly log: Logger,
  ) {
    super();
    this.leaderId = config.resourceManagerId === null ? undefined : (config.resourceManagerId ?? randomHex(16));
  }

  get resourceManagerId(): string {
    return this.leaderId ?? '';
  }

  /** Whether it leads: only then does it take registrations. */
  get isLeader(): boolean {
    return this.leaderId !== undefined && !this.closed;
  }

  /**
   * Leads from now on, with `resourceManagerId` (the leader session id) as its fencing token. Registrations are answered
   * once `jobsRecovered` settles: a TaskManager that kept subtasks running while no JobManager led reports them when it
   * registers, and the recovered jobs must be there to take them over (a failed recovery refuses registrations).
   */
  grantLeadership(resourceManagerId: string, jobsRecovered: Promise<unknown> = Promise.resolve()): void {
    this.leaderId = resourceManagerId;
    this.jobsRecovered = jobsRecovered;
  }

  /** Stops leading: every TaskManager registration ends (they register with the new leader) and none is taken. */
  revokeLeadership(): void {
    this.leaderId = undefined;
    for (const worker of [...this.workers.values()]) this.remove(worker, { kind: 'leadership-revoked' });
  }

  /**
   * Registers a TaskExecutor. A resource id whose registration is alive (not removed: its session did not end, its
   * heartbeat did not time out, it did not disconnect) is refused, unless `previousRegistrationId` is that registration's
   * id: only the TaskExecutor holding it knows it, so a stranger cannot take a live TaskManager's place.
   */
  async registerTaskExecutor(
    registration: TaskExecutorRegistration,
    slots: readonly SlotStatus[],
    _timeoutMs?: number,
    previousRegistrationId = '',
  ): Promise<RegistrationResponse> {
    if (this.closed) return { kind: 'rejection', reason: 'The ResourceManager is shutting down.' };
    if (this.leaderId === undefined) return { kind: 'rejection', reason: 'This ResourceManager is not the leader.' };
    const invalid = invalidRegistration(registration, slots);
    if (invalid) return this.refuseRegistration(registration, invalid);
    const leaderId = this.leaderId;
    try {
      await this.jobsRecovered;
    } catch {
      return { kind: 'rejection', reason: 'This JobManager could not recover its jobs.' };
    }
    if (this.closed || this.leaderId !== leaderId) return { kind: 'rejection', reason: 'This ResourceManager no longer leads.' };
    const previous = this.workers.get(registration.resourceId);
    if (previous && !secretsEqual(previous.registrationId, previousRegistrationId)) {
      return this.refuseRegistration(
        registration,
        `A TaskManager with resource id ${registration.resourceId} is registered and alive; a new registration under its id is accepted once it is gone.`,
      );
    }
    const max = this.config.maxNumberOfSlots;
    const registeredElsewhere = this.slotManager.getNumberRegisteredSlots() - (previous ? this.slotManager.slotsOf(registration.resourceId).length : 0);
    if (max !== undefined && registeredElsewhere + registration.numberOfSlots > max) {
      return this.refuseRegistration(
        registration,
        `The cluster would have ${registeredElsewhere + registration.numberOfSlots} slots, more than slotmanager.number-of-slots.max (${max}).`,
      );
    }
    if (previous) {
      this.log.info(`Replacing old registration of TaskExecutor ${registration.resourceId}.`);
      this.remove(previous, { kind: 'replaced' });
    }
    const now = this.services.clock.now();
    const registrationId = randomHex(16);
    const worker: WorkerRegistration = {
      registration,
      registrationId,
      registeredAt: now,
      lastHeartbeat: now,
      dataAddress: `${splitHostPort(registration.address)[0]}:${registration.dataPort}`,
      gateway: this.services.taskExecutors.connect(registration.address, { resourceManagerId: this.resourceManagerId, registrationId }),
      registeredSlots: slots,
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

  adoptSlot(jobId: string, slot: SlotAssignment): boolean {
    return this.slotManager.adoptSlot(jobId, slot);
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
    if (this.slotManager.reportSlots(worker.registration.resourceId, payload.slots) > 0) this.emit('slotsReleased', worker.registration.resourceId);
    const dumps = payload.metricDumps;
    if (!dumps) return;
    if (dumps.process.length > 0) worker.metrics = new Map(dumps.process.map((entry) => [metricId(entry), entry[3]]));
    if (dumps.tasks.length > 0) this.emit('taskMetrics', dumps.tasks);
  }

  /** Whether `registrationId` is the current registration of TaskManager `resourceId` (JobMasters ask this). */
  isCurrentRegistration(resourceId: string, registrationId: string): boolean {
    return this.current(resourceId, registrationId) !== undefined;
  }

  private current(resourceId: string, registrationId: string): WorkerRegistration | undefined {
    const worker = this.workers.get(resourceId);
    return worker && secretsEqual(worker.registrationId, registrationId) ? worker : undefined;
  }

  private refuseRegistration(registration: TaskExecutorRegistration, reason: string): RegistrationResponse {
    this.log.warn(`Refused the registration of TaskManager ${printable(registration.resourceId)} (${printable(registration.address)}): ${reason}`);
    return { kind: 'rejection', reason };
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

/** Why a registration cannot be accepted as it is, or undefined. */
export function invalidRegistration(registration: TaskExecutorRegistration, slots: readonly SlotStatus[]): string | undefined {
  const { resourceId, address, hostname, dataPort, numberOfSlots, hardware, pid } = registration;
  if (typeof resourceId !== 'string' || resourceId.length > MAX_NAME_LENGTH || !RESOURCE_ID.test(resourceId)) {
    return `A resource id is 1 to ${MAX_NAME_LENGTH} printable characters without spaces.`;
  }
  if (typeof address !== 'string' || address.length > MAX_NAME_LENGTH || !isHostAndPort(address)) return 'The RPC address must be host:port (port 1-65535).';
  if (typeof hostname !== 'string' || hostname.length > MAX_NAME_LENGTH || !/^[\x20-\x7e]*$/.test(hostname)) {
    return `A host name is at most ${MAX_NAME_LENGTH} printable characters.`;
  }
  if (!isPort(dataPort)) return 'The data port must be 1-65535.';
  if (!Number.isInteger(numberOfSlots) || numberOfSlots < 1 || numberOfSlots > MAX_SLOTS_PER_TASK_MANAGER) {
    return `A TaskManager offers 1 to ${MAX_SLOTS_PER_TASK_MANAGER} slots, not ${numberOfSlots}.`;
  }
  if (slots.length !== numberOfSlots || slots.some((slot, i) => slot.slotIndex !== i)) {
    return `The slot report must list slots 0 to ${numberOfSlots - 1} in order.`;
  }
  for (const slot of slots) {
    const invalid = invalidSlotStatus(slot);
    if (invalid) return `Slot ${slot.slotIndex}: ${invalid}`;
  }
  if (!Number.isInteger(pid) || pid < 0) return 'The process id must be a non-negative integer.';
  const numbers = [hardware.cpuCores, hardware.physicalMemory, hardware.freeMemory, hardware.managedMemory];
  if (numbers.some((n) => !Number.isFinite(n) || n < 0)) return 'The hardware description must hold non-negative numbers.';
  return undefined;
}

/** The most subtask attempts one slot may report (a slot runs one subtask of each vertex of a job). */
const MAX_TASKS_PER_SLOT = 256;
/** Longest failure name, message or stack a reported subtask may carry. */
const MAX_FAILURE_LENGTH = 64 * 1024;

/** Why a slot of a registration's slot report cannot be taken as it is (ids of tsflink's form, states Flink's). */
function invalidSlotStatus({ allocationId, jobId, tasks = [] }: SlotStatus): string | undefined {
  if (allocationId === '' && jobId === '' && tasks.length === 0) return undefined;
  if (!ID_PATTERN.test(allocationId) || !ID_PATTERN.test(jobId)) return 'an allocated slot names its allocation and job by ids of 32 hex digits.';
  if (tasks.length > MAX_TASKS_PER_SLOT) return `at most ${MAX_TASKS_PER_SLOT} subtasks per slot.`;
  for (const task of tasks) {
    if (!ID_PATTERN.test(task.attemptId) || !ID_PATTERN.test(task.vertexId)) return 'a subtask is named by attempt and vertex ids of 32 hex digits.';
    if (!Number.isInteger(task.subtaskIndex) || task.subtaskIndex < 0 || !Number.isInteger(task.attemptNumber) || task.attemptNumber < 0) {
      return 'a subtask index and attempt number are non-negative integers.';
    }
    if (!isExecutionState(task.state)) return `${JSON.stringify(String(task.state).slice(0, 32))} is no execution state.`;
    const failure = task.failure;
    if (failure && [failure.name, failure.message, failure.stack].some((text) => typeof text !== 'string' || text.length > MAX_FAILURE_LENGTH)) {
      return `a subtask failure is three texts of at most ${MAX_FAILURE_LENGTH} characters.`;
    }
  }
  return undefined;
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65_535;
}

function isHostAndPort(address: string): boolean {
  const colon = address.lastIndexOf(':');
  if (colon <= 0 || !/^[0-9]{1,5}$/.test(address.slice(colon + 1))) return false;
  const [host, port] = splitHostPort(address);
  return HOST.test(host) && isPort(port);
}


/** A peer-supplied string as it may go into a log line: control characters escaped, at most 128 characters. */
function printable(text: string): string {
  const shown = JSON.stringify(String(text).slice(0, 128));
  return shown.slice(1, -1);
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
    case 'leadership-revoked':
      return `The ResourceManager no longer leads; the registration of TaskManager with id ${resourceId} ended.`;
    case 'shutdown':
      return `Unregistered TaskManager with id ${resourceId}: the ResourceManager is shutting down.`;
  }
}
