import { cpus, freemem, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { storeJobModule } from '../common/jobModules.js';
import { encodeMetricDumps, type MetricDumps } from '../metrics/MetricDumps.js';
import { ProcessMetricGroup } from '../metrics/ProcessMetricGroup.js';
import { decodeTaskRestore } from '../state/StateHandles.js';
import type { Logger } from '../common/Logger.js';
import type { HeartbeatRequest, RegisterTaskExecutorRequest } from '../generated/tsflink/resourcemanager/v1/resourcemanager.js';
import type { TaskDeploymentDescriptor, TriggerCheckpointRequest } from '../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import type { ShuffleEnvironment } from './network/ShuffleEnvironment.js';
import { JobMasterConnections } from './rpc/JobMasterConnection.js';
import { ResourceManagerConnection, type RegistrationTimeouts } from './rpc/ResourceManagerConnection.js';
import type { TaskExecutorGateway } from './rpc/TaskExecutorGrpcService.js';
import { TaskSlotTable } from './slot/TaskSlotTable.js';
import { Task, type TaskState } from './task/Task.js';
import type { SerializedFailure, TaskThreadDescriptor } from './task/thread-protocol.js';

export interface TaskExecutorConfig {
  resourceId: string;
  /** host:port of this TaskExecutor's RPC server. */
  rpcAddress: string;
  dataPort: number;
  numberOfSlots: number;
  resourceManagerAddress: string;
  registration: RegistrationTimeouts;
  /** Where job modules are stored. */
  workingDirectory: string;
}

/** Worker threads per slot: one per subtask, and a slot holds one subtask of every vertex of a job (slot sharing). */
const THREADS_PER_SLOT = 8;

/**
 * The worker of the cluster (Flink's TaskExecutor): offers its slots to the ResourceManager, runs the subtasks the
 * JobMaster deploys (each in a worker thread of one pool), and reports their state changes. When the JobManager is
 * lost, it fails its subtasks, frees its slots and registers again.
 */
export class TaskExecutor implements TaskExecutorGateway {
  readonly slotTable: TaskSlotTable;
  private readonly connection: ResourceManagerConnection;
  private readonly jobMasters: JobMasterConnections;
  private readonly tasks = new Map<string, Task>();
  private readonly pool: Piscina;
  /** The process's `Status.*` metrics (Flink's TaskManager metric group). */
  readonly processMetrics: ProcessMetricGroup;

  constructor(
    private readonly config: TaskExecutorConfig,
    private readonly shuffle: ShuffleEnvironment,
    private readonly log: Logger,
  ) {
    this.slotTable = new TaskSlotTable(config.numberOfSlots);
    this.jobMasters = new JobMasterConnections(config.resourceId, log.child('JobMasterConnections'));
    this.pool = new Piscina({
      filename: new URL('../streaming/task-thread.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: Math.max(THREADS_PER_SLOT, config.numberOfSlots * THREADS_PER_SLOT),
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      idleTimeout: 60_000,
    });
    this.processMetrics = new ProcessMetricGroup(() => this.pool.threads.length);
    this.connection = new ResourceManagerConnection(
      config.resourceManagerAddress,
      config.registration,
      {
        registrationRequest: () => this.registrationRequest(),
        heartbeatPayload: () => this.heartbeatPayload(),
        onConnectionLost: (reason) => this.onResourceManagerLost(reason),
      },
      log.child('ResourceManagerConnection'),
    );
  }

  get resourceId(): string {
    return this.config.resourceId;
  }

  start(): void {
    this.log.info(`Connecting to ResourceManager at ${this.config.resourceManagerAddress}.`, {
      resourceId: this.config.resourceId,
      slots: this.config.numberOfSlots,
    });
    this.connection.start();
  }

  submitTask(tdd: TaskDeploymentDescriptor): void {
    if (this.tasks.has(tdd.attemptId)) return;
    this.slotTable.allocate(tdd.slotIndex, tdd.allocationId, tdd.jobId);
    const jobModuleUrl = storeJobModule(join(this.config.workingDirectory, 'jobs', tdd.jobId), tdd.jobModule);
    const descriptor: TaskThreadDescriptor = {
      jobId: tdd.jobId,
      jobName: tdd.jobName,
      vertexId: tdd.vertexId,
      vertexName: tdd.vertexName,
      subtaskIndex: tdd.subtaskIndex,
      parallelism: tdd.parallelism,
      maxParallelism: tdd.maxParallelism,
      attemptId: tdd.attemptId,
      attemptNumber: tdd.attemptNumber,
      jobModuleUrl,
      programArgs: tdd.programArgs,
      defaultParallelism: tdd.defaultParallelism,
      planHash: tdd.planHash,
      localStateDirectory: join(this.config.workingDirectory, 'state', tdd.jobId, `${tdd.vertexId}_${tdd.subtaskIndex}_${tdd.attemptId}`),
      restore: decodeTaskRestore(tdd.taskRestore),
      inputs: tdd.inputs.map((i) => ({ sourceVertexId: i.sourceVertexId, channels: i.channels.map((c) => ({ channelId: c.channelId, peerAddress: c.peerAddress })) })),
      outputs: tdd.outputs.map((o) => ({
        targetVertexId: o.targetVertexId,
        shipStrategy: o.shipStrategy,
        channels: o.channels.map((c) => ({ channelId: c.channelId, peerAddress: c.peerAddress })),
        targetParallelism: o.targetParallelism,
        targetMaxParallelism: o.targetMaxParallelism,
      })),
    };
    const jobMaster = tdd.jobMasterAddress;
    const task = new Task(
      descriptor,
      tdd.allocationId,
      this.shuffle,
      this.pool,
      (t, state, failure) => this.onTaskState(t, state, jobMaster, failure),
      {
        acknowledge: (t, ack) => this.jobMasters.acknowledgeCheckpoint(jobMaster, t.descriptor.jobId, t.attemptId, ack),
        decline: (t, checkpointId, reason) => this.jobMasters.declineCheckpoint(jobMaster, t.descriptor.jobId, t.attemptId, checkpointId, reason),
      },
      this.log.child('Task', { job: tdd.jobId }),
    );
    this.tasks.set(tdd.attemptId, task);
    task.start();
  }

  cancelTask(attemptId: string): void {
    this.tasks.get(attemptId)?.cancel();
  }

  triggerCheckpoint(request: TriggerCheckpointRequest): void {
    const task = this.tasks.get(request.attemptId);
    if (task) task.triggerCheckpoint(request);
    else throw new Error(`Task ${request.attemptId} is not running on this TaskExecutor: cannot trigger checkpoint ${request.checkpointId}.`);
  }

  notifyCheckpoint(attemptIds: readonly string[], checkpointId: number, completed: boolean): void {
    for (const attemptId of attemptIds) this.tasks.get(attemptId)?.notifyCheckpoint(checkpointId, completed);
  }

  async close(): Promise<void> {
    for (const task of this.tasks.values()) task.cancel();
    await this.connection.close('The TaskExecutor is shutting down.');
    this.jobMasters.close();
    await this.pool.destroy();
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
    return [...this.tasks.values()];
  }

  private onTaskState(task: Task, state: TaskState, jobMaster: string, failure?: SerializedFailure): void {
    if (state === 'RUNNING' || state === 'INITIALIZING' || state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED') {
      this.jobMasters.updateTaskExecutionState(jobMaster, task.descriptor.jobId, task.attemptId, state, failure);
    }
    if (state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED') {
      this.tasks.delete(task.attemptId);
      if (![...this.tasks.values()].some((t) => t.allocationId === task.allocationId)) this.slotTable.free(task.allocationId);
    }
  }

  private registrationRequest(): RegisterTaskExecutorRequest {
    return {
      resourceId: this.config.resourceId,
      address: this.config.rpcAddress,
      hostname: hostname(),
      dataPort: this.config.dataPort,
      numberOfSlots: this.slotTable.numberOfSlots,
      hardware: { cpuCores: cpus().length, physicalMemory: totalmem(), freeMemory: freemem(), managedMemory: 0 },
      slotReport: { slots: this.slotTable.createSlotReport() },
      pid: process.pid,
    };
  }

  private heartbeatPayload(): Pick<HeartbeatRequest, 'slotReport' | 'metricDumps'> {
    return {
      slotReport: { slots: this.slotTable.createSlotReport() },
      metricDumps: encodeMetricDumps(this.metricDumps()),
    };
  }

  private onResourceManagerLost(reason: string): void {
    if (this.tasks.size > 0) this.log.info(`Cancelling ${this.tasks.size} task(s): the JobManager is lost (${reason})`);
    for (const task of this.tasks.values()) task.cancel();
    const freed = this.slotTable.freeAllSlots();
    if (freed > 0) this.log.info(`Freed ${freed} slot(s) after losing the ResourceManager.`);
  }
}
