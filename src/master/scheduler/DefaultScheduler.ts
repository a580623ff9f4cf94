import type { Logger } from '../../common/Logger.js';
import type { Clock } from '../../common/time/Clock.js';
import type { ScheduledExecutor, ScheduledTask } from '../../common/time/ScheduledExecutor.js';
import type { CheckpointCoordinator, RestoreSource } from '../checkpoint/CheckpointCoordinator.js';
import type { Execution, ExecutionFailure, ExecutionGraph, TaskManagerLocation } from '../executiongraph/ExecutionGraph.js';
import type { ExecutionState } from '../executiongraph/ExecutionState.js';
import { isGloballyTerminal, type JobStatus } from '../executiongraph/JobStatus.js';
import type { TaskExecutionState } from '../jobmaster/JobMasterGateway.js';
import type { TaskManagerView } from '../resourcemanager/types.js';
import type { RestartBackoffTimeStrategy } from './failover/RestartBackoffTimeStrategy.js';
import type { SlotAssignment, SlotProvider } from './SlotProvider.js';
import type { TaskDeploymentDescriptorFactory } from './TaskDeploymentDescriptorFactory.js';

/** One entry of the job's exception history (REST /jobs/:id/exceptions). */
export interface ExceptionHistoryEntry {
  exceptionName: string;
  stacktrace: string;
  timestamp: number;
  taskName: string | null;
  location: string | null;
  taskManagerId: string | null;
}

export interface SchedulerServices {
  slotProvider: SlotProvider;
  clock: Clock;
  executor: ScheduledExecutor;
  restartStrategy: RestartBackoffTimeStrategy;
  checkpointCoordinator: CheckpointCoordinator;
  deploymentDescriptors: TaskDeploymentDescriptorFactory;
}

/**
 * Schedules one job's subtasks and handles their failures (Flink's DefaultScheduler with its ExecutionFailureHandler):
 * asks the SlotProvider for one slot per subtask index (slot sharing: slot i runs subtask i of every vertex), waits
 * with its tasks SCHEDULED while there are not enough slots, deploys every subtask once they are there, and follows
 * their states to the job's end. A failed subtask or a lost TaskManager restarts the whole job when the restart
 * strategy allows (RESTARTING: every subtask cancelled, new attempts deployed after the backoff, restored from the
 * newest intact checkpoint; messages of earlier attempts are ignored), else fails it.
 *
 * A job a new leader recovered may still run: its TaskManagers kept their subtasks while no JobManager led. Such a job
 * starts RECONCILING (`startReconciling`, Flink's state for it): it deploys nothing and takes over the attempts the
 * TaskManagers report when they register (`reconcile`), and runs on with them — no restart, nothing read twice — once
 * every subtask is accounted for. A subtask reported ended, or not reported in time, makes it fall back to what Flink
 * does: every reported attempt is cancelled and the job restarts from its latest checkpoint (not counted as a restart:
 * the leader's loss is no failure of the job).
 */
export class DefaultScheduler {
  readonly exceptions: ExceptionHistoryEntry[] = [];
  /** Flink's `numRestarts`. */
  numRestarts = 0;
  private slots: SlotAssignment[] | undefined;
  private restartTimer: ScheduledTask | undefined;
  /** The checkpoint or savepoint the current attempts restore from. */
  private restoreFrom: RestoreSource | undefined;
  /** Choose the checkpoint to restore from when the next attempts are about to be deployed. */
  private restorePending: boolean;
  private readonly statusListeners = new Set<(status: JobStatus) => void>();
  /** Executions whose deployment call has not answered yet: a cancellation waits for that answer. */
  private readonly deploying = new Set<Execution>();
  /** While RECONCILING: the slot each subtask index was reported in, and the deadline for the reports. */
  private reconciliation: { slots: Map<number, SlotAssignment>; timer: ScheduledTask } | undefined;
  /** Whether the restart under way counts (Flink's numRestarts): not after a reconciliation fell back. */
  private restartCounts = true;
  private closed = false;

  constructor(
    private readonly jobId: string,
    private readonly jobName: string,
    readonly graph: ExecutionGraph,
    private readonly services: SchedulerServices,
    private readonly log: Logger,
    /** The savepoint (or retained checkpoint) the job was submitted to start from. */
    private readonly initialRestore: RestoreSource | undefined,
  ) {
    // A job taken over by a new leader has checkpoints already: it restores from the latest.
    this.restorePending = initialRestore !== undefined || services.checkpointCoordinator.hasCompletedCheckpoint();
  }

  get status(): JobStatus {
    return this.graph.status;
  }

  get restartStrategyDescription(): string {
    return this.services.restartStrategy.description;
  }

  /** Calls `listener` with every new job status until the returned function is called. */
  onJobStatusChange(listener: (status: JobStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  startScheduling(): void {
    this.transitionJob('CREATED');
    this.transitionJob('RUNNING');
    for (const execution of this.graph.allExecutions()) this.transitionExecution(execution, 'SCHEDULED');
    this.tryToDeploy();
    this.services.checkpointCoordinator.start();
  }

  /**
   * Starts a recovered job whose subtasks may still run on their TaskManagers: RECONCILING, waiting up to `timeoutMs`
   * for the TaskManagers to report every subtask (see the class comment).
   */
  startReconciling(timeoutMs: number): void {
    this.transitionJob('CREATED');
    this.transitionJob('RECONCILING');
    for (const execution of this.graph.allExecutions()) this.transitionExecution(execution, 'RECONCILING');
    const timer = this.services.executor.schedule(timeoutMs, () => {
      const missing = this.graph.allExecutions().filter((e) => e.state === 'RECONCILING');
      if (this.status !== 'RECONCILING' || missing.length === 0) return;
      this.abandonReconciliation(
        `${missing.length} of ${this.graph.allExecutions().length} subtasks (${missing[0]!.displayName} among them) were not reported by a TaskManager within ${timeoutMs} ms.`,
      );
    });
    this.reconciliation = { slots: new Map(), timer };
    this.log.info(`Reconciling job ${this.jobName} (${this.jobId}) with the subtasks its TaskManagers kept running (up to ${timeoutMs} ms).`);
    // It triggers once the job and every subtask are RUNNING: after the reconciliation, or after the restart instead.
    this.services.checkpointCoordinator.start();
  }

  /**
   * A TaskManager registered, reporting the subtasks in its slots: while RECONCILING, the job takes over those that are
   * attempts of its subtasks. Returns the attempt ids it took over (the others of this job are stale).
   */
  reconcile(taskManager: TaskManagerView): string[] {
    const reconciliation = this.reconciliation;
    if (this.status !== 'RECONCILING' || !reconciliation) return [];
    const adopted: string[] = [];
    const { resourceId } = taskManager.registration;
    for (const { slotIndex, allocationId, jobId, tasks = [] } of taskManager.registeredSlots) {
      if (jobId !== this.jobId) continue;
      for (const task of tasks) {
        const current = this.graph.vertex(task.vertexId)?.executions[task.subtaskIndex];
        if (current?.state !== 'RECONCILING') continue;
        const slot = reconciliation.slots.get(task.subtaskIndex) ?? { resourceId, slotIndex, allocationId };
        if (slot.resourceId !== resourceId || slot.slotIndex !== slotIndex || slot.allocationId !== allocationId) {
          // Slot sharing puts subtask i of every vertex into one slot: anything else cannot be run on as it is.
          this.abandonReconciliation(`${current.displayName} was reported in another slot than the other subtasks with index ${task.subtaskIndex}.`);
          return adopted;
        }
        reconciliation.slots.set(task.subtaskIndex, slot);
        const execution = this.graph.adoptAttempt(current, task.attemptId, task.attemptNumber);
        execution.location = locationOf(taskManager);
        if (task.failure) execution.failure = task.failure;
        this.transitionExecution(execution, task.state);
        adopted.push(task.attemptId);
      }
    }
    if (adopted.length > 0) this.log.info(`Took over ${adopted.length} running subtask(s) of job ${this.jobId} on TaskManager ${resourceId}.`);
    this.checkReconciliation();
    return adopted;
  }

  /** Every subtask accounted for: the job runs on (or, if one ended meanwhile, falls back to a restart). */
  private checkReconciliation(): void {
    const reconciliation = this.reconciliation!;
    const executions = this.graph.allExecutions();
    const ended = executions.find((e) => e.state === 'FAILED' || e.state === 'CANCELED' || e.state === 'CANCELING');
    if (ended) {
      const cause = ended.failure ? `: ${ended.failure.message}` : '.';
      const what = ended.state === 'CANCELING' ? 'was being cancelled' : `ended ${ended.state}`;
      this.abandonReconciliation(`${ended.displayName} ${what} while no JobManager led${cause}`, ended);
      return;
    }
    if (executions.some((e) => e.state === 'RECONCILING')) return;
    const slots: SlotAssignment[] = [];
    for (const [subtaskIndex, slot] of reconciliation.slots) slots[subtaskIndex] = slot;
    if (!slots.every((slot) => this.services.slotProvider.adoptSlot(this.jobId, slot))) {
      this.abandonReconciliation('A slot its subtasks were reported in is no longer reported allocated to the job.');
      return;
    }
    reconciliation.timer.cancel();
    this.reconciliation = undefined;
    this.slots = slots;
    this.transitionJob('RUNNING');
    this.log.info(`Reconciled job ${this.jobName} (${this.jobId}): all ${executions.length} subtasks run on, none restarted.`);
    this.services.checkpointCoordinator.notifyLatestCompleted();
    this.checkTermination();
  }

  /** Flink's behaviour after all: every reported attempt is cancelled, then the job restarts from its latest checkpoint. */
  private abandonReconciliation(reason: string, execution?: Execution): void {
    this.reconciliation?.timer.cancel();
    this.reconciliation = undefined;
    const message = `Could not reconcile job ${this.jobName} (${this.jobId}): ${reason} Restarting it from its latest checkpoint.`;
    this.log.warn(message);
    this.exceptions.push({
      exceptionName: 'JobReconciliationError',
      stacktrace: `JobReconciliationError: ${message}`,
      timestamp: this.services.clock.now(),
      taskName: execution?.displayName ?? null,
      location: execution?.address ?? null,
      taskManagerId: execution?.resourceId ?? null,
    });
    this.restartCounts = false;
    this.restorePending = true;
    this.transitionJob('RESTARTING');
    this.cancelAllExecutions();
    this.checkTermination();
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
    if (this.status === 'RECONCILING') {
      this.checkReconciliation();
      return;
    }
    this.handleFailure(lost[0]!, lost[0]!.failure!);
    this.checkTermination();
  }

  /** A subtask's new state from its TaskExecutor; false when the attempt is not one of the current attempts. */
  updateTaskExecutionState({ attemptId, state, failure }: TaskExecutionState): boolean {
    const execution = this.graph.execution(attemptId);
    if (!execution) return false;
    if (execution.isTerminal()) return true;
    if (execution.state === 'CANCELING' && state === 'FAILED') {
      // As Flink's Execution: a subtask failing while being cancelled completes its cancellation; it is no new failure.
      state = 'CANCELED';
    }
    this.transitionExecution(execution, state);
    if (state === 'FAILED') execution.failure = failure ?? { name: 'Error', message: 'unknown failure', stack: 'unknown failure' };
    if (this.status === 'RECONCILING') {
      this.checkReconciliation();
      return true;
    }
    if (state === 'FAILED') this.handleFailure(execution, execution.failure!);
    this.checkTermination();
    return true;
  }

  cancel(): void {
    if (isGloballyTerminal(this.status) || this.status === 'CANCELLING') return;
    this.restartTimer?.cancel();
    this.reconciliation?.timer.cancel();
    this.reconciliation = undefined;
    this.services.checkpointCoordinator.stop('The job is cancelled.');
    this.transitionJob('CANCELLING');
    this.cancelAllExecutions();
    this.checkTermination();
  }

  /** A failure of the job as a whole (not of one task), e.g. too many failed checkpoints. */
  failGlobally(reason: string): void {
    this.handleFailure(undefined, { name: 'FlinkRuntimeException', message: reason, stack: `FlinkRuntimeException: ${reason}` });
    this.checkTermination();
  }

  /** Stops a pending restart (JobManager shutdown). */
  close(): void {
    this.closed = true;
    this.reconciliation?.timer.cancel();
    this.restartTimer?.cancel();
    this.services.checkpointCoordinator.stop('The JobManager is shutting down.');
  }

  private tryToDeploy(): void {
    const needed = Math.max(...this.graph.vertices.map((v) => v.parallelism));
    const slots = this.services.slotProvider.allocateSlots(this.jobId, needed);
    if (!slots) {
      const available = this.services.slotProvider.getNumberFreeSlots();
      this.log.info(`Waiting for slots: ${needed} needed, ${available} available; the job's tasks stay SCHEDULED until TaskManagers offer more.`);
      return;
    }
    this.slots = slots;
    void this.deployAll(slots);
  }

  private async deployAll(slots: SlotAssignment[]): Promise<void> {
    if (this.restorePending && !(await this.selectCheckpointToRestore())) return;
    const executions = this.graph.allExecutions();
    if (this.status !== 'RUNNING' || this.slots !== slots || executions.some((e) => e.state !== 'SCHEDULED')) return;
    // Every execution's location first: a descriptor names the data addresses of its channels' other ends.
    for (const execution of executions) {
      const slot = slots[execution.subtaskIndex]!;
      const taskManager = this.services.slotProvider.getTaskManager(slot.resourceId);
      if (!taskManager) {
        // It left while the restore was being chosen; none of its subtasks has a location yet, so onTaskManagerLost
        // would find nothing to fail and the job would wait forever, holding its slots: this execution fails instead.
        const message = `TaskManager with id ${slot.resourceId} left before its tasks were deployed.`;
        execution.failure = { name: 'TaskManagerLostError', message, stack: `TaskManagerLostError: ${message}` };
        this.transitionExecution(execution, 'FAILED');
        this.handleFailure(execution, execution.failure);
        this.checkTermination();
        return;
      }
      execution.location = locationOf(taskManager);
    }
    for (const execution of executions) void this.deploy(execution, slots[execution.subtaskIndex]!);
  }

  /**
   * Deploys one execution. A cancellation that comes while the deployment call is out is carried out once it answered
   * (a cancel overtaking its deployment would leave a task running that nobody waits for): a deployed task is cancelled
   * then; one whose deployment was rejected never ran, so no CANCELED report will come for it: it is CANCELED at once.
   */
  private async deploy(execution: Execution, slot: SlotAssignment): Promise<void> {
    const { gateway, address } = execution.location!;
    this.transitionExecution(execution, 'DEPLOYING');
    this.deploying.add(execution);
    let failure: Error | undefined;
    try {
      await gateway.submitTask(this.services.deploymentDescriptors.create(execution, slot, this.restoreFrom));
    } catch (error) {
      failure = error as Error;
    } finally {
      this.deploying.delete(execution);
    }
    if (execution.state === 'CANCELING') {
      if (failure) this.transitionExecution(execution, 'CANCELED');
      else this.sendCancel(execution);
      this.checkTermination();
      return;
    }
    if (!failure || execution.state !== 'DEPLOYING') return;
    const message = `Could not deploy ${execution.displayName} to ${address}: ${failure.message}`;
    execution.failure = { name: 'DeploymentError', message, stack: `DeploymentError: ${message}` };
    this.transitionExecution(execution, 'FAILED');
    this.handleFailure(execution, execution.failure);
    this.checkTermination();
  }

  private handleFailure(execution: Execution | undefined, failure: ExecutionFailure): void {
    const now = this.services.clock.now();
    this.exceptions.push({
      exceptionName: failure.name,
      stacktrace: failure.stack,
      timestamp: now,
      taskName: execution?.displayName ?? null,
      location: execution?.address ?? null,
      taskManagerId: execution?.resourceId ?? null,
    });
    if (this.status !== 'RUNNING') return;
    this.services.checkpointCoordinator.abortPending('The job is failing over.');
    const what = execution ? `${execution.displayName} failed` : 'The job failed';
    const strategy = this.services.restartStrategy;
    strategy.notifyFailure(now);
    if (strategy.canRestart()) {
      this.log.warn(`${what}; restarting the job: ${failure.message}`);
      this.transitionJob('RESTARTING');
    } else {
      this.log.warn(`${what}; failing the job (${strategy.description}): ${failure.message}`);
      this.transitionJob('FAILING');
    }
    this.cancelAllExecutions();
  }

  /** After every subtask of the failed attempt ended: wait out the backoff, then deploy new attempts. */
  private scheduleRestart(): void {
    if (this.closed) return;
    const backoff = this.restartCounts ? this.services.restartStrategy.getBackoffTime() : 0;
    this.log.info(`Restarting job ${this.jobName} (${this.jobId}) in ${backoff} ms.`);
    this.restartTimer = this.services.executor.schedule(backoff, () => {
      this.restartTimer = undefined;
      if (this.status === 'RESTARTING') this.restart();
    });
  }

  /** New attempts of every subtask; they restore from the newest intact checkpoint once they have slots. */
  private restart(): void {
    if (this.restartCounts) this.numRestarts++;
    this.restartCounts = true;
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
    const coordinator = this.services.checkpointCoordinator;
    try {
      // No checkpoint yet: the savepoint the job started from, if any (else the job starts from nothing, as it began).
      const latest = (await coordinator.latestRestorable()) ?? this.initialRestore;
      if (latest) {
        this.restoreFrom = latest;
        await coordinator.reportRestored(latest);
      }
      return true;
    } catch (error) {
      const message = (error as Error).message;
      this.log.error(`Cannot restore job ${this.jobName} (${this.jobId}): ${message}`);
      this.exceptions.push({ exceptionName: 'FlinkRuntimeException', stacktrace: `FlinkRuntimeException: ${message}`, timestamp: this.services.clock.now(), taskName: null, location: null, taskManagerId: null });
      this.transitionJob('FAILING');
      this.cancelAllExecutions();
      this.checkTermination();
      return false;
    }
  }

  private cancelAllExecutions(): void {
    for (const execution of this.graph.allExecutions()) {
      if (execution.isTerminal()) continue;
      if (execution.state === 'CREATED' || execution.state === 'SCHEDULED' || execution.state === 'RECONCILING') {
        this.transitionExecution(execution, 'CANCELED');
        continue;
      }
      this.transitionExecution(execution, 'CANCELING');
      if (!this.deploying.has(execution)) this.sendCancel(execution);
    }
  }

  private sendCancel(execution: Execution): void {
    execution.location!.gateway.cancelTask(execution.attemptId).catch(() => {
      // The TaskExecutor is gone: its subtasks are gone with it.
      if (execution.state === 'CANCELING') this.transitionExecution(execution, 'CANCELED');
      this.checkTermination();
    });
  }

  private checkTermination(): void {
    const executions = this.graph.allExecutions();
    if (!executions.every((e) => e.isTerminal())) return;
    if (this.status === 'RESTARTING') {
      if (!this.restartTimer) {
        this.services.slotProvider.freeSlots(this.jobId);
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
    void this.services.checkpointCoordinator.onJobTerminated(final);
    this.services.slotProvider.freeSlots(this.jobId);
    this.slots = undefined;
    this.transitionJob(final);
  }

  private transitionJob(status: JobStatus): void {
    const old = this.graph.transition(status);
    this.log.info(`Job ${this.jobName} (${this.jobId}) switched from state ${old} to ${status}.`);
    for (const listener of [...this.statusListeners]) listener(status);
  }

  private transitionExecution(execution: Execution, state: ExecutionState): void {
    const old = execution.transition(state);
    const where = execution.location ? ` on ${execution.location.address} (${execution.location.resourceId})` : '';
    this.log.info(`${execution.displayName} (${execution.attemptId}) switched from ${old} to ${state}${where}.`);
  }
}

function locationOf({ registration, dataAddress, gateway }: TaskManagerView): TaskManagerLocation {
  return { resourceId: registration.resourceId, address: registration.address, dataAddress, host: registration.hostname, gateway };
}
