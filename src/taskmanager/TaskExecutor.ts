import { cpus, freemem, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { storeJobModule } from '../common/jobModules.js';
import type { LeaderRetrievalService } from '../highavailability/HighAvailabilityServices.js';
import type { Logger } from '../common/Logger.js';
import { readLogFile, type LogFileLocation } from '../common/process/LogFileLocation.js';
import { MAX_SAMPLING_DURATION_MS } from '../common/process/StackSampling.js';
import { threadDump, type ThreadDumpInfo, type WorkerThreadDescription } from '../common/process/ThreadDump.js';
import type { ScheduledExecutor, ScheduledTask } from '../common/time/ScheduledExecutor.js';
import type { ExecutionState, JobMasterGateway, TaskExecutorIdentity } from '../master/jobmaster/JobMasterGateway.js';
import type {
  SlotStatus,
  TaskExecutorFencingTokens,
  TaskExecutorHeartbeatPayload,
  TaskExecutorRegistration,
  TaskStatus,
} from '../master/resourcemanager/ResourceManagerGateway.js';
import { invalidDeployment } from './deployment/TaskDeploymentDescriptor.js';
import type { MetricDumps } from '../metrics/MetricDumps.js';
import { ProcessMetricGroup } from '../metrics/ProcessMetricGroup.js';
import type { ShuffleEnvironment } from './network/ShuffleEnvironment.js';
import { ResourceManagerConnection, type RegistrationTimeouts, type ResourceManagerGatewayConnection } from './ResourceManagerConnection.js';
import { TaskSlotTable } from './slot/TaskSlotTable.js';
import { isEnded, Task, type TaskState } from './task/Task.js';
import type { TaskThreadPool } from './task/TaskThreadPool.js';
import type { SerializedFailure, TaskThreadDescriptor } from './task/thread-protocol.js';
import type {
  ChannelDescriptor,
  CheckpointTrigger,
  FencedTaskExecutorGateway,
  LogFileRequest,
  LogInfo,
  SubtaskStackSamples,
  TaskDeploymentDescriptor,
} from './TaskExecutorGateway.js';
import { secretsEqual } from '../common/security/secrets.js';

export interface TaskExecutorConfig {
  resourceId: string;
  /** host:port of this TaskExecutor's RPC server. */
  rpcAddress: string;
  /** Port of its data (shuffle) server, on the same host. */
  dataPort: number;
  numberOfSlots: number;
  registration: RegistrationTimeouts;
  /** Where job modules and local state are stored. */
  workingDirectory: string;
  /**
   * How long subtasks run on after the JobManager is lost, for its successor to take them over (HA's
   * `high-availability.reconciliation.grace-period`); 0: they are cancelled at once.
   */
  jobManagerLossGracePeriodMs: number;
}

/** How the TaskExecutor reaches the JobMaster of a job: gRPC across processes, the JobMaster itself in tests. */
export interface JobMasterGateways {
  connect(address: string, jobId: string): JobMasterGateway;
  close(): void;
}

/** The long-lived parts a TaskExecutor works with (Flink's TaskManagerServices). */
export interface TaskManagerServices {
  shuffle: ShuffleEnvironment;
  threads: TaskThreadPool;
  jobMasters: JobMasterGateways;
  connectResourceManager(address: string): ResourceManagerGatewayConnection;
  /** Who leads: the configured JobManager without HA, the one ZooKeeper names with it. */
  resourceManagerRetrieval: LeaderRetrievalService;
  executor: ScheduledExecutor;
  /** The process's log files, served to REST; undefined: it has none. */
  logFiles: LogFileLocation | undefined;
}

/**
 * The worker of the cluster (Flink's TaskExecutor): offers its slots to the ResourceManager, runs the subtasks the
 * JobMaster deploys (each in a thread of its own), and reports their state changes. It is the TaskExecutorGateway the
 * JobManager calls.
 *
 * When the JobManager is lost it registers again, with the leader retrieval names. Without a grace period it cancels
 * its subtasks and frees its slots first (Flink). With one (HA), its subtasks run on: it registers with the new leader
 * reporting them in its slot report, the leader's recovered job takes them over and they report to it from then on.
 * A subtask that ends meanwhile keeps its slot and stays in the report until a JobManager has been told; the grace
 * period over without a new registration, it cancels them after all.
 */
export class TaskExecutor implements FencedTaskExecutorGateway {
  readonly slotTable: TaskSlotTable;
  private readonly connection: ResourceManagerConnection;
  /** Every subtask attempt running here, and those that ended while no JobManager could be told (see the class comment). */
  private readonly tasks = new Map<string, Task>();
  /** Where each job's JobMaster is: the deployment's address, then the JobManager its subtasks were reported to. */
  private readonly jobMasterAddresses = new Map<string, string>();
  /** Why a subtask failed, until its end is reported. */
  private readonly failures = new Map<Task, SerializedFailure>();
  /** While the JobManager is lost and subtasks run on (set from the loss until a registration holds): the end of the grace period. */
  private graceTimer: ScheduledTask | undefined;
  /** The process's `Status.*` metrics (Flink's TaskManager metric group). */
  readonly processMetrics: ProcessMetricGroup;

  constructor(
    private readonly config: TaskExecutorConfig,
    private readonly services: TaskManagerServices,
    private readonly log: Logger,
  ) {
    this.slotTable = new TaskSlotTable(config.numberOfSlots);
    this.processMetrics = new ProcessMetricGroup(() => services.threads.threads);
    this.connection = new ResourceManagerConnection(
      services.connectResourceManager,
      config.registration,
      {
        registration: () => this.registration(),
        heartbeatPayload: () => this.heartbeatPayload(),
        onConnectionLost: (reason) => this.onResourceManagerLost(reason),
        onRegistered: (address) => this.onRegistered(address),
      },
      services.executor,
      log.child('ResourceManagerConnection'),
    );
  }

  get resourceId(): string {
    return this.config.resourceId;
  }

  start(): void {
    this.log.info('Connecting to the leading ResourceManager.', { resourceId: this.config.resourceId, slots: this.config.numberOfSlots });
    this.connection.start();
    this.services.resourceManagerRetrieval.start((leader) => this.connection.setLeader(leader)).catch((error: unknown) => {
      this.log.error('Could not follow the ResourceManager leader', {}, error);
    });
  }

  /**
   * Why a call carrying `tokens` must not be acted upon, or undefined: it must carry the ids of the registration this
   * TaskExecutor holds now (the ResourceManager's id and the registration id), so that only the JobManager it is
   * registered with deploys, cancels and triggers here. A call that overtook the answer to a registration under way
   * waits for that answer.
   */
  async checkFencingTokens(tokens: TaskExecutorFencingTokens): Promise<string | undefined> {
    if (this.fencedBy(tokens)) return undefined;
    await this.connection.registrationSettled();
    if (this.fencedBy(tokens)) return undefined;
    return this.connection.registration
      ? 'The call does not carry the fencing tokens of the ResourceManager this TaskExecutor is registered with.'
      : 'This TaskExecutor is not registered with a ResourceManager.';
  }

  private fencedBy({ resourceManagerId, registrationId }: TaskExecutorFencingTokens): boolean {
    const current = this.connection.registration;
    return current !== undefined && secretsEqual(current.resourceManagerId, resourceManagerId) && secretsEqual(current.registrationId, registrationId);
  }

  // --- TaskExecutorGateway ------------------------------------------------------------------------------------------

  async submitTask(tdd: TaskDeploymentDescriptor): Promise<void> {
    // Nothing of a deployment touches the file system or a module path before its ids are checked.
    const invalid = invalidDeployment(tdd);
    if (invalid) {
      this.log.warn(`Refused a deployment: ${invalid}`);
      throw new Error(`Refused the deployment: ${invalid}`);
    }
    const running = this.tasks.get(tdd.attemptId);
    if (running) {
      if (running.descriptor.jobId !== tdd.jobId || running.allocationId !== tdd.allocationId) throw new Error(`Attempt ${tdd.attemptId} runs here for another job or slot.`);
      return;
    }
    // The slot must be free or allocated to this allocation of this job; checked before the job module is stored.
    this.slotTable.checkAllocation(tdd.slotIndex, tdd.allocationId, tdd.jobId);
    const threads = this.services.threads;
    if (this.tasks.size >= threads.capacity) {
      throw new Error(
        `TaskExecutor ${this.resourceId} runs ${this.tasks.size} subtasks, as many as it has threads for (${this.config.numberOfSlots} slot(s) × ${threads.capacity / Math.max(1, this.config.numberOfSlots)} subtasks): ` +
          `${tdd.vertexName} (${tdd.subtaskIndex + 1}/${tdd.parallelism}) cannot run here. Chain operators (fewer vertices per slot) or add slots.`,
      );
    }
    // The job module is stored first: a deployment that fails here leaves no slot allocated behind it.
    const descriptor = this.threadDescriptor(tdd);
    this.slotTable.allocate(tdd.slotIndex, tdd.allocationId, tdd.jobId);
    this.jobMasterAddresses.set(tdd.jobId, tdd.jobMasterAddress);
    const secrets = new Map([...tdd.inputs, ...tdd.outputs].flatMap(({ channels }) => channels.map((c): [string, string] => [c.channelId, c.subscriptionSecret])));
    const task = new Task(
      descriptor,
      tdd.allocationId,
      secrets,
      this.services.shuffle,
      threads,
      (t, state, failure) => this.onTaskState(t, state, failure),
      {
        acknowledge: (t, { checkpointId, subtaskState, stateSize, syncDurationMs, asyncDurationMs, alignmentDurationMs, startDelayMs }) => {
          const metrics = { stateSize, syncDurationMs, asyncDurationMs, alignmentDurationMs, startDelayMs };
          this.report(this.jobMaster(t).acknowledgeCheckpoint({ attemptId: t.attemptId, checkpointId, subtaskState, metrics }, this.sender()), `acknowledge checkpoint ${checkpointId} of ${t.attemptId}`);
        },
        decline: (t, checkpointId, reason) =>
          this.report(this.jobMaster(t).declineCheckpoint({ attemptId: t.attemptId, checkpointId, reason }, this.sender()), `decline checkpoint ${checkpointId} of ${t.attemptId}`),
      },
      this.log.child('Task', { job: tdd.jobId }),
    );
    this.tasks.set(tdd.attemptId, task);
    task.start();
  }

  async cancelTask(attemptId: string): Promise<void> {
    this.tasks.get(attemptId)?.cancel();
  }

  async triggerCheckpoint(trigger: CheckpointTrigger): Promise<void> {
    const task = this.tasks.get(trigger.attemptId);
    if (!task) throw new Error(`Task ${trigger.attemptId} is not running on this TaskExecutor: cannot trigger checkpoint ${trigger.checkpointId}.`);
    task.triggerCheckpoint(trigger);
  }

  async notifyCheckpointComplete(attemptIds: readonly string[], checkpointId: number): Promise<void> {
    for (const attemptId of attemptIds) this.tasks.get(attemptId)?.notifyCheckpoint(checkpointId, true);
  }

  async notifyCheckpointAborted(attemptIds: readonly string[], checkpointId: number): Promise<void> {
    for (const attemptId of attemptIds) this.tasks.get(attemptId)?.notifyCheckpoint(checkpointId, false);
  }

  async requestLogList(): Promise<LogInfo[]> {
    return (await this.services.logFiles?.listLogs()) ?? [];
  }

  /** The name comes from the network: LogFileLocation.open decides what it may reach. */
  async requestFileUpload(file: LogFileRequest, maxBytes: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    const logFiles = this.services.logFiles;
    if (!logFiles) return undefined;
    const handle = await logFiles.open('name' in file ? file.name : logFiles.fileName(file.type));
    return handle ? readLogFile(handle, maxBytes) : undefined;
  }

  /** Its main thread, then every task thread: the subtask it runs (name, state, job) or that it is idle. */
  async requestThreadDump(stackTraceMaxDepth: number): Promise<ThreadDumpInfo> {
    const byThread = new Map<number, Task>();
    for (const task of this.tasks.values()) if (task.threadId !== undefined) byThread.set(task.threadId, task);
    const workers = this.services.threads.threadInfos().map(({ threadId, utilization }): WorkerThreadDescription => {
      const task = byThread.get(threadId);
      if (!task) return { threadId, name: `Task thread ${threadId}`, state: 'WAITING', details: ['idle: kept for the next subtask'], utilization };
      const d = task.descriptor;
      return { threadId, name: task.displayName, state: 'RUNNABLE', details: [`subtask ${task.attemptId} ${task.state}`, `job ${d.jobId}, vertex ${d.vertexId}`], utilization };
    });
    return threadDump(workers, stackTraceMaxDepth);
  }

  async requestThreadInfoSamples(attemptIds: readonly string[], durationMs: number): Promise<SubtaskStackSamples[]> {
    if (!Number.isInteger(durationMs) || durationMs < 1 || durationMs > MAX_SAMPLING_DURATION_MS) {
      throw new Error(`A sampling lasts 1 to ${MAX_SAMPLING_DURATION_MS} ms, not ${durationMs}.`);
    }
    const tasks = [...new Set(attemptIds)].flatMap((id) => this.tasks.get(id) ?? []);
    return Promise.all(tasks.map(async (task) => ({ attemptId: task.attemptId, samples: await task.sampleStacks(durationMs) })));
  }

  // ------------------------------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    this.graceTimer?.cancel();
    for (const task of this.tasks.values()) task.cancel();
    this.services.resourceManagerRetrieval.close();
    await this.connection.close('The TaskExecutor is shutting down.');
    this.services.jobMasters.close();
    await this.services.threads.destroy();
    this.processMetrics.close();
  }

  /** The process's metrics and those of every running subtask, as last reported by its thread. */
  metricDumps(): MetricDumps {
    return {
      process: this.processMetrics.dump('', []),
      tasks: [...this.tasks.values()]
        .filter((t) => t.metrics)
        .map((t) => ({ jobId: t.descriptor.jobId, attemptId: t.attemptId, ...t.metrics! })),
    };
  }

  /** Descriptions of the running subtasks, for metric labels. */
  runningTasks(): Task[] {
    return [...this.tasks.values()].filter((t) => !isEnded(t.state));
  }

  /** What the subtask's thread gets (it is copied to the thread): the job module is stored on this TaskExecutor first. */
  private threadDescriptor(tdd: TaskDeploymentDescriptor): TaskThreadDescriptor {
    const { allocationId: _slot, slotIndex: _index, jobModule, jobMasterAddress: _jobMaster, taskRestore, inputs, outputs, ...subtask } = tdd;
    // The subscription secrets stay here: the thread (running the job's code) gets ids and addresses only.
    const withoutSecret = ({ channelId, peerAddress }: ChannelDescriptor) => ({ channelId, peerAddress });
    return {
      ...subtask,
      inputs: inputs.map((input) => ({ ...input, channels: input.channels.map(withoutSecret) })),
      outputs: outputs.map((output) => ({ ...output, channels: output.channels.map(withoutSecret) })),
      jobModuleUrl: storeJobModule(join(this.config.workingDirectory, 'jobs', tdd.jobId), jobModule),
      localStateDirectory: join(this.config.workingDirectory, 'state', tdd.jobId, `${tdd.vertexId}_${tdd.subtaskIndex}_${tdd.attemptId}`),
      restore: taskRestore,
    };
  }

  private onTaskState(task: Task, state: TaskState, failure?: SerializedFailure): void {
    if (failure) this.failures.set(task, failure);
    if (isEnded(state) && this.graceTimer) {
      // No JobManager to tell: the end is reported with the slot when one is registered with (or dropped with the grace period).
      return;
    }
    if (state === 'RUNNING' || state === 'INITIALIZING' || isEnded(state)) this.reportState(task);
    if (isEnded(state)) this.remove(task);
  }

  private reportState(task: Task): void {
    const failure = this.failures.get(task);
    const state = task.state as ExecutionState;
    this.report(
      this.jobMaster(task).updateTaskExecutionState({ attemptId: task.attemptId, state, ...(failure ? { failure } : {}) }, this.sender()),
      `report ${state} of ${task.attemptId}`,
    );
  }

  /**
   * An ended subtask goes, and its slot with it once no other subtask runs in it. A freed slot is reported at once: the
   * ResourceManager holds a slot this TaskExecutor registered with as taken until it hears it is free.
   */
  private remove(task: Task): void {
    this.tasks.delete(task.attemptId);
    this.failures.delete(task);
    if (![...this.tasks.values()].some((t) => t.allocationId === task.allocationId)) {
      this.slotTable.free(task.allocationId);
      this.connection.heartbeatNow();
    }
    if (![...this.tasks.values()].some((t) => t.descriptor.jobId === task.descriptor.jobId)) this.jobMasterAddresses.delete(task.descriptor.jobId);
  }

  /** The gateway of the JobMaster a subtask reports to. */
  private jobMaster(task: Task): JobMasterGateway {
    const { jobId } = task.descriptor;
    return this.services.jobMasters.connect(this.jobMasterAddresses.get(jobId) ?? '', jobId);
  }

  /** A report to the JobMaster is not retried: a lost one is covered by failover (the JobManager loses this TaskExecutor). */
  private report(call: Promise<unknown>, what: string): void {
    call.catch((error: Error & { details?: string }) => this.log.warn(`Could not ${what} to the JobMaster: ${error.details || error.message}`));
  }

  /** This TaskExecutor as the sender of reports to JobMasters: its resource id and newest registration id. */
  private sender(): TaskExecutorIdentity {
    return { resourceId: this.config.resourceId, registrationId: this.connection.registrationId };
  }

  /** Every slot, with the subtasks in it: running ones, and those whose end no JobManager has been told yet. */
  private slotReport(): SlotStatus[] {
    return this.slotTable.createSlotReport().map((slot) => {
      if (!slot.allocationId) return slot;
      const tasks = [...this.tasks.values()]
        .filter((t) => t.allocationId === slot.allocationId)
        .map((t): TaskStatus => {
          const failure = this.failures.get(t);
          const { attemptId, vertexId, subtaskIndex, attemptNumber } = t.descriptor;
          return { attemptId, vertexId, subtaskIndex, attemptNumber, state: t.state as ExecutionState, ...(failure ? { failure } : {}) };
        });
      return { ...slot, tasks };
    });
  }

  private registration(): { registration: TaskExecutorRegistration; slots: SlotStatus[] } {
    return {
      registration: {
        resourceId: this.config.resourceId,
        address: this.config.rpcAddress,
        hostname: hostname(),
        dataPort: this.config.dataPort,
        numberOfSlots: this.slotTable.numberOfSlots,
        hardware: { cpuCores: cpus().length, physicalMemory: totalmem(), freeMemory: freemem(), managedMemory: 0 },
        pid: process.pid,
      },
      slots: this.slotReport(),
    };
  }

  private heartbeatPayload(): TaskExecutorHeartbeatPayload {
    return { slots: this.slotReport(), metricDumps: this.metricDumps() };
  }

  private onResourceManagerLost(reason: string): void {
    const gracePeriodMs = this.config.jobManagerLossGracePeriodMs;
    if (gracePeriodMs > 0 && this.tasks.size > 0) {
      if (this.graceTimer) return;
      this.log.info(`Keeping ${this.tasks.size} task(s) running for up to ${gracePeriodMs} ms: the JobManager is lost (${reason}); its successor takes them over.`);
      this.graceTimer = this.services.executor.schedule(gracePeriodMs, () => {
        this.graceTimer = undefined;
        this.dropTasks(`no JobManager took them over within ${gracePeriodMs} ms`);
      });
      return;
    }
    this.dropTasks(`the JobManager is lost (${reason})`);
  }

  /** Flink's way when the JobManager is gone: every subtask is cancelled and every slot freed. */
  private dropTasks(reason: string): void {
    const running = [...this.tasks.values()].filter((t) => !isEnded(t.state));
    if (running.length > 0) this.log.info(`Cancelling ${running.length} task(s): ${reason}.`);
    for (const task of [...this.tasks.values()]) {
      if (isEnded(task.state)) this.remove(task);
      else task.cancel();
    }
    const freed = this.slotTable.freeAllSlots();
    if (freed > 0) this.log.info(`Freed ${freed} slot(s) after losing the ResourceManager.`);
  }

  /**
   * Registered with the ResourceManager at `address`. Subtasks kept running were in the registration's slot report and
   * are now the leader's (its JobManager hosts their JobMasters): they report there, and the ends no JobManager was told
   * of go there now.
   */
  private onRegistered(address: string): void {
    if (!this.graceTimer) return;
    this.graceTimer.cancel();
    this.graceTimer = undefined;
    for (const jobId of this.jobMasterAddresses.keys()) this.jobMasterAddresses.set(jobId, address);
    for (const task of [...this.tasks.values()]) {
      if (!isEnded(task.state)) continue;
      this.reportState(task);
      this.remove(task);
    }
  }
}
