import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from '../../common/config/Configuration.js';
import { CoreOptions } from '../../common/config/options.js';
import { encodeState } from '../../state/StateHandles.js';
import { CheckpointCoordinator, checkpointCoordinatorConfig } from '../checkpoint/CheckpointCoordinator.js';
import { taskRestoreFor, type CheckpointMetadata } from '../checkpoint/CheckpointMetadata.js';
import type { SubtaskCheckpointStats } from '../checkpoint/CheckpointStatsTracker.js';
import type { Logger } from '../../common/Logger.js';
import { createRestartBackoffTimeStrategy, type RestartBackoffTimeStrategy } from '../scheduler/failover/RestartBackoffTimeStrategy.js';
import type { TaskDeploymentDescriptor } from '../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import type { JobGraph } from '../../graph/JobGraph.js';
import type { DispatchedJob, JobDetails } from '../dispatcher/Dispatcher.js';
import { EXECUTION_STATES, isGloballyTerminal, type ExecutionState, type JobStatus } from '../dispatcher/JobStatus.js';
import { Execution, ExecutionGraph } from '../executiongraph/ExecutionGraph.js';
import type { ResourceManager } from '../resourcemanager/ResourceManager.js';
import type { SlotAssignment } from '../resourcemanager/SlotManager.js';
import type { TaskMetricDump } from '../../metrics/MetricDumps.js';
import type { TaskExecutorClients } from './TaskExecutorClients.js';

export interface JobSubmission {
  jobId: string;
  jobGraph: JobGraph;
  /** The bundled job program (ES module), shipped to every TaskExecutor. */
  jobModule: Buffer;
  programArgs: string[];
  defaultParallelism: number;
  /** The savepoint (or retained checkpoint) the job starts from, already checked against the job graph. */
  restore?: { metadata: CheckpointMetadata; directory: string };
}

export interface JobMasterServices {
  configuration: Configuration;
  resourceManager: ResourceManager;
  taskExecutors: TaskExecutorClients;
  /** host:port where TaskExecutors reach this JobManager's RPC server. */
  jobMasterAddress: string;
}

/** One entry of the job's exception history (REST /jobs/:id/exceptions). */
export interface ExceptionHistoryEntry {
  exceptionName: string;
  stacktrace: string;
  timestamp: number;
  taskName: string | null;
  location: string | null;
  taskManagerId: string | null;
}

/**
 * Runs one job (Flink's JobMaster with its scheduler): asks the ResourceManager for one slot per subtask index (slot
 * sharing: slot i runs subtask i of every vertex), waits with its tasks SCHEDULED while there are not enough slots,
 * deploys every subtask once they are there, and follows their states to the job's end. A failed subtask or a lost
 * TaskManager restarts the whole job when the restart strategy allows (RESTARTING: every subtask cancelled, new
 * attempts deployed after the backoff; messages of earlier attempts are ignored), else fails it.
 */
export class JobMaster implements DispatchedJob {
  readonly graph: ExecutionGraph;
  readonly exceptions: ExceptionHistoryEntry[] = [];
  private slots: SlotAssignment[] | undefined;
  private readonly log: Logger;
  private readonly restartStrategy: RestartBackoffTimeStrategy;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Flink's `numRestarts`. */
  numRestarts = 0;
  /** Takes the job's checkpoints (when it enables checkpointing) and savepoints. */
  readonly checkpointCoordinator: CheckpointCoordinator;
  /** The checkpoint the current attempts restore from. */
  private restoreFrom: { metadata: CheckpointMetadata; directory: string } | undefined;
  /** After a restart: choose the checkpoint when the new attempts are about to be deployed. */
  private restorePending = false;

  constructor(
    readonly submission: JobSubmission,
    private readonly services: JobMasterServices,
    log: Logger,
  ) {
    this.graph = new ExecutionGraph(submission.jobGraph);
    this.log = log.child('JobMaster', { job: submission.jobId });
    const interval = submission.jobGraph.checkpointInterval;
    this.restartStrategy = createRestartBackoffTimeStrategy(services.configuration, interval !== undefined);
    const tmp = services.configuration.get(CoreOptions.TMP_DIRS)?.split(/[,:]/)[0] || tmpdir();
    this.checkpointCoordinator = new CheckpointCoordinator(
      checkpointCoordinatorConfig(services.configuration, submission.jobId, interval, join(tmp, 'tsflink-checkpoints')),
      submission.jobId,
      { graph: this.graph, taskExecutors: services.taskExecutors, failJob: (reason) => this.failGlobally(reason) },
      this.log.child('CheckpointCoordinator'),
    );
    if (submission.restore) {
      this.restoreFrom = submission.restore;
      this.checkpointCoordinator.reportRestored(submission.restore.metadata.checkpointId, submission.restore.directory, submission.restore.metadata.isSavepoint);
    }
  }

  /** Whether the job takes periodic checkpoints (`env.enableCheckpointing`). */
  get checkpointingEnabled(): boolean {
    return this.checkpointCoordinator.config.interval !== undefined;
  }

  /** Flink's savepoint: resolves with its location; with `cancelJob` the job is cancelled once it is taken. */
  async triggerSavepoint(targetDirectory: string, cancelJob: boolean): Promise<string> {
    const location = await this.checkpointCoordinator.triggerSavepoint({ targetDirectory, terminate: false, drain: false });
    if (cancelJob) this.cancel();
    return location;
  }

  /**
   * Flink's stop-with-savepoint: the sources stop at the savepoint's barrier and, once it completes, every task
   * finishes (with `drain`, after firing every window first) and the job ends FINISHED.
   */
  async stopWithSavepoint(targetDirectory: string, drain: boolean): Promise<string> {
    const location = await this.checkpointCoordinator.triggerSavepoint({ targetDirectory, terminate: true, drain });
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (isGloballyTerminal(this.status)) resolve();
        else if (this.status === 'RESTARTING' || this.status === 'FAILING') reject(new Error(`The savepoint ${location} was taken, but the job failed while stopping (${this.status}).`));
        else setTimeout(check, 20);
      };
      check();
    });
    return location;
  }

  get restartStrategyDescription(): string {
    return this.restartStrategy.description;
  }

  get jobId(): string {
    return this.submission.jobId;
  }

  get name(): string {
    return this.submission.jobGraph.jobName;
  }

  get status(): JobStatus {
    return this.graph.status;
  }

  start(): void {
    this.transitionJob('CREATED');
    this.transitionJob('RUNNING');
    for (const execution of this.graph.allExecutions()) this.transitionExecution(execution, 'SCHEDULED');
    this.tryToDeploy();
    this.checkpointCoordinator.start();
  }

  acknowledgeCheckpoint(attemptId: string, checkpointId: number, subtaskState: Uint8Array, metrics: Omit<SubtaskCheckpointStats, 'ackTimestamp'>): void {
    if (this.graph.execution(attemptId)) this.checkpointCoordinator.acknowledge(attemptId, checkpointId, subtaskState, metrics);
  }

  declineCheckpoint(attemptId: string, checkpointId: number, reason: string): void {
    if (this.graph.execution(attemptId)) this.checkpointCoordinator.decline(attemptId, checkpointId, reason);
  }

  /** A TaskManager registered: a job waiting for slots may deploy now. */
  onResourcesAvailable(): void {
    if (this.status === 'RUNNING' && !this.slots) this.tryToDeploy();
  }

  onTaskManagerLost(resourceId: string, reason: string): void {
    const lost = this.graph.allExecutions().filter((e) => e.resourceId === resourceId && !e.isTerminal());
    if (lost.length === 0) return;
    for (const execution of lost) {
      execution.failure = { name: 'TaskManagerLostError', message: reason, stack: `TaskManagerLostError: ${reason}` };
      this.transitionExecution(execution, 'FAILED');
    }
    this.fail(lost[0]!, lost[0]!.failure!);
    this.checkTermination();
  }

  updateTaskExecutionState(attemptId: string, state: string, failure?: { name: string; message: string; stack: string }): boolean {
    const execution = this.graph.execution(attemptId);
    if (!execution) return false;
    if (execution.isTerminal()) return true;
    if (!(EXECUTION_STATES as readonly string[]).includes(state)) return false;
    this.transitionExecution(execution, state as ExecutionState);
    if (state === 'FAILED') {
      execution.failure = failure ?? { name: 'Error', message: 'unknown failure', stack: 'unknown failure' };
      this.fail(execution, execution.failure);
    }
    this.checkTermination();
    return true;
  }

  updateMetrics(report: TaskMetricDump): void {
    const execution = this.graph.execution(report.attemptId);
    if (execution) execution.metrics = { io: report.io, entries: report.entries };
  }

  cancel(): void {
    if (isGloballyTerminal(this.status) || this.status === 'CANCELLING') return;
    clearTimeout(this.restartTimer);
    this.checkpointCoordinator.stop('The job is cancelled.');
    this.transitionJob('CANCELLING');
    this.cancelAllExecutions();
    this.checkTermination();
  }

  details(): JobDetails {
    const tasksPerState = Object.fromEntries(EXECUTION_STATES.map((s) => [s, 0])) as Record<ExecutionState, number>;
    let numTasks = 0;
    for (const execution of this.graph.allExecutions()) {
      tasksPerState[execution.state]++;
      numTasks++;
    }
    const ts = this.graph.statusTimestamps;
    const terminal = isGloballyTerminal(this.status);
    return {
      jobId: this.jobId,
      name: this.name,
      status: this.status,
      startTime: ts.INITIALIZING!,
      endTime: terminal ? ts[this.status]! : -1,
      lastModification: Math.max(...Object.values(ts).map(Number)),
      tasksPerState,
      numTasks,
    };
  }

  private tryToDeploy(): void {
    const needed = Math.max(...this.graph.vertices.map((v) => v.parallelism));
    const slots = this.services.resourceManager.slotManager.allocateSlots(this.jobId, needed);
    if (!slots) {
      const available = this.services.resourceManager.slotManager.getNumberFreeSlots();
      this.log.info(`Waiting for slots: ${needed} needed, ${available} available; the job's tasks stay SCHEDULED until TaskManagers offer more.`);
      return;
    }
    this.slots = slots;
    void this.deployAll();
  }

  private async deployAll(): Promise<void> {
    const executions = this.graph.allExecutions();
    if (this.restorePending && !(await this.selectCheckpointToRestore())) return;
    if (this.status !== 'RUNNING' || executions.some((e) => e.state !== 'SCHEDULED')) return;
    for (const execution of executions) void this.deploy(execution);
  }

  private async deploy(execution: Execution): Promise<void> {
    const slot = this.slots![execution.subtaskIndex]!;
    const taskManager = this.services.resourceManager.getTaskManager(slot.resourceId);
    if (!taskManager) {
      this.onTaskManagerLost(slot.resourceId, `TaskManager with id ${slot.resourceId} left before its tasks were deployed.`);
      return;
    }
    execution.resourceId = slot.resourceId;
    execution.address = taskManager.registration.address;
    execution.host = taskManager.registration.hostname;
    this.transitionExecution(execution, 'DEPLOYING');
    try {
      await this.services.taskExecutors.submitTask(execution.address, this.deploymentDescriptor(execution, slot));
    } catch (error) {
      if (execution.state !== 'DEPLOYING') return;
      const message = `Could not deploy ${execution.displayName} to ${execution.address}: ${(error as Error).message}`;
      execution.failure = { name: 'DeploymentError', message, stack: `DeploymentError: ${message}` };
      this.transitionExecution(execution, 'FAILED');
      this.fail(execution, execution.failure);
      this.checkTermination();
    }
  }

  /** Where a subtask runs and what it is connected to, as its TaskExecutor needs it. */
  private deploymentDescriptor(execution: Execution, slot: SlotAssignment): TaskDeploymentDescriptor {
    const vertex = execution.vertex.jobVertex;
    const byVertex = new Map(this.graph.vertices.map((v) => [v.jobVertex.id, v]));
    const addressOf = (e: Execution) => this.services.resourceManager.getTaskManager(this.slots![e.subtaskIndex]!.resourceId)?.registration.address ?? '';
    const channelId = (producer: Execution, consumer: Execution) => `${producer.attemptId}-${consumer.attemptId}`;
    const { submission } = this;
    return {
      jobId: submission.jobId,
      jobName: this.name,
      vertexId: vertex.id,
      vertexName: vertex.name,
      subtaskIndex: execution.subtaskIndex,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      attemptId: execution.attemptId,
      attemptNumber: execution.attemptNumber,
      allocationId: slot.allocationId,
      slotIndex: slot.slotIndex,
      jobModule: submission.jobModule,
      programArgs: submission.programArgs,
      defaultParallelism: submission.defaultParallelism,
      planHash: submission.jobGraph.planHash,
      jobMasterAddress: this.services.jobMasterAddress,
      taskRestore: this.taskRestore(execution),
      inputs: vertex.inputs.map((edge) => {
        const producers = byVertex.get(edge.source.id)!.executions;
        const senders = edge.shipStrategy === 'FORWARD' ? [producers[execution.subtaskIndex]!] : producers;
        return { sourceVertexId: edge.source.id, channels: senders.map((p) => ({ channelId: channelId(p, execution), peerAddress: addressOf(p) })) };
      }),
      outputs: vertex.outputs.map((edge) => {
        const target = byVertex.get(edge.target.id)!;
        const receivers = edge.shipStrategy === 'FORWARD' ? [target.executions[execution.subtaskIndex]!] : target.executions;
        return {
          targetVertexId: edge.target.id,
          shipStrategy: edge.shipStrategy,
          channels: receivers.map((c) => ({ channelId: channelId(execution, c), peerAddress: addressOf(c) })),
          targetParallelism: target.parallelism,
          targetMaxParallelism: target.jobVertex.maxParallelism,
        };
      }),
    };
  }

  private taskRestore(execution: Execution): Buffer {
    if (!this.restoreFrom) return Buffer.alloc(0);
    const restore = taskRestoreFor(this.restoreFrom.metadata, this.restoreFrom.directory, execution.vertex.jobVertex, execution.subtaskIndex);
    if (!restore || Object.keys(restore.operators).length === 0) return Buffer.alloc(0);
    const bytes = encodeState(restore);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A failure of the job as a whole (not of one task), e.g. too many failed checkpoints. */
  private failGlobally(reason: string): void {
    this.fail(undefined, { name: 'FlinkRuntimeException', message: reason, stack: `FlinkRuntimeException: ${reason}` });
    this.checkTermination();
  }

  private fail(execution: Execution | undefined, failure: { name: string; message: string; stack: string }): void {
    this.exceptions.push({
      exceptionName: failure.name,
      stacktrace: failure.stack,
      timestamp: Date.now(),
      taskName: execution?.displayName ?? null,
      location: execution?.address ?? null,
      taskManagerId: execution?.resourceId ?? null,
    });
    if (this.status !== 'RUNNING') return;
    this.checkpointCoordinator.abortPending('The job is failing over.');
    const what = execution ? `${execution.displayName} failed` : 'The job failed';
    this.restartStrategy.notifyFailure(Date.now());
    if (this.restartStrategy.canRestart()) {
      this.log.warn(`${what}; restarting the job: ${failure.message}`);
      this.transitionJob('RESTARTING');
    } else {
      this.log.warn(`${what}; failing the job (${this.restartStrategy.description}): ${failure.message}`);
      this.transitionJob('FAILING');
    }
    this.cancelAllExecutions();
  }

  /** After every subtask of the failed attempt ended: wait out the backoff, then deploy new attempts. */
  private scheduleRestart(): void {
    const backoff = this.restartStrategy.getBackoffTime();
    this.log.info(`Restarting job ${this.name} (${this.jobId}) in ${backoff} ms.`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.status !== 'RESTARTING') return;
      this.restart();
    }, backoff);
  }

  /** New attempts of every subtask; they restore from the latest intact checkpoint once they have slots. */
  private restart(): void {
    this.numRestarts++;
    this.graph.resetForRestart();
    this.restorePending = true;
    this.transitionJob('RUNNING');
    for (const execution of this.graph.allExecutions()) this.transitionExecution(execution, 'SCHEDULED');
    this.tryToDeploy();
  }

  /**
   * Picks the checkpoint to restore from right before deploying, so it is the newest one whose files are intact.
   * Returns false (and fails the job) if there were checkpoints but none can be restored.
   */
  private async selectCheckpointToRestore(): Promise<boolean> {
    this.restorePending = false;
    try {
      // No checkpoint yet: the savepoint the job started from, if any (else the job starts from nothing, as it began).
      const latest = (await this.checkpointCoordinator.latestRestorable()) ?? this.submission.restore;
      if (latest) {
        this.restoreFrom = latest;
        this.checkpointCoordinator.reportRestored(latest.metadata.checkpointId, latest.directory, latest.metadata.isSavepoint);
      }
      return true;
    } catch (error) {
      const message = (error as Error).message;
      this.log.error(`Cannot restore job ${this.name} (${this.jobId}): ${message}`);
      this.exceptions.push({ exceptionName: 'FlinkRuntimeException', stacktrace: `FlinkRuntimeException: ${message}`, timestamp: Date.now(), taskName: null, location: null, taskManagerId: null });
      this.transitionJob('FAILING');
      this.cancelAllExecutions();
      this.checkTermination();
      return false;
    }
  }

  /** Stops a pending restart (JobManager shutdown). */
  close(): void {
    clearTimeout(this.restartTimer);
    this.checkpointCoordinator.stop('The JobManager is shutting down.');
  }

  private cancelAllExecutions(): void {
    for (const execution of this.graph.allExecutions()) {
      if (execution.isTerminal()) continue;
      if (execution.state === 'CREATED' || execution.state === 'SCHEDULED') {
        this.transitionExecution(execution, 'CANCELED');
        continue;
      }
      this.transitionExecution(execution, 'CANCELING');
      const address = execution.address!;
      this.services.taskExecutors.cancelTask(address, execution.attemptId).catch(() => {
        // The TaskExecutor is gone: its subtasks are gone with it.
        if (execution.state === 'CANCELING') this.transitionExecution(execution, 'CANCELED');
        this.checkTermination();
      });
    }
  }

  private checkTermination(): void {
    const executions = this.graph.allExecutions();
    if (!executions.every((e) => e.isTerminal())) return;
    if (this.status === 'RESTARTING') {
      if (this.slots) {
        this.services.resourceManager.slotManager.freeSlots(this.jobId);
        this.slots = undefined;
        this.scheduleRestart();
      }
      return;
    }
    let final: 'FINISHED' | 'CANCELED' | 'FAILED' | undefined;
    if (this.status === 'CANCELLING') final = 'CANCELED';
    else if (this.status === 'FAILING') final = 'FAILED';
    else if (this.status === 'RUNNING' && executions.every((e) => e.state === 'FINISHED')) final = 'FINISHED';
    if (!final) return;
    void this.checkpointCoordinator.onJobTerminated(final);
    this.transitionJob(final);
    this.services.resourceManager.slotManager.freeSlots(this.jobId);
    this.slots = undefined;
  }

  private transitionJob(status: JobStatus): void {
    const old = this.graph.transition(status);
    this.log.info(`Job ${this.name} (${this.jobId}) switched from state ${old} to ${status}.`);
  }

  private transitionExecution(execution: Execution, state: ExecutionState): void {
    const old = execution.transition(state);
    const where = execution.address ? ` on ${execution.address} (${execution.resourceId})` : '';
    this.log.info(`${execution.displayName} (${execution.attemptId}) switched from ${old} to ${state}${where}.`);
  }
}
