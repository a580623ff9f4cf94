import type { Configuration } from '../../common/config/Configuration.js';
import type { Logger } from '../../common/Logger.js';
import type { Clock } from '../../common/time/Clock.js';
import type { ScheduledExecutor } from '../../common/time/ScheduledExecutor.js';
import type { JobGraphDescription } from '../../graph/JobGraph.js';
import type { TaskMetricDump } from '../../metrics/MetricDumps.js';
import { CheckpointCoordinator, type RestoreSource } from '../checkpoint/CheckpointCoordinator.js';
import { checkpointCoordinatorConfiguration } from '../checkpoint/CheckpointCoordinatorConfiguration.js';
import { CheckpointFailureManager } from '../checkpoint/CheckpointFailureManager.js';
import { CheckpointStatsTracker } from '../checkpoint/CheckpointStatsTracker.js';
import type { CheckpointStores } from '../checkpoint/CheckpointRecoveryFactory.js';
import type { DispatchedJob, JobDetails } from '../dispatcher/Dispatcher.js';
import { ExecutionGraph } from '../executiongraph/ExecutionGraph.js';
import { EXECUTION_STATES, type ExecutionState } from '../executiongraph/ExecutionState.js';
import { isGloballyTerminal, type JobStatus } from '../executiongraph/JobStatus.js';
import { DefaultScheduler, type ExceptionHistoryEntry } from '../scheduler/DefaultScheduler.js';
import { createRestartBackoffTimeStrategy } from '../scheduler/failover/RestartBackoffTimeStrategy.js';
import type { SlotProvider } from '../scheduler/SlotProvider.js';
import type { TaskManagerView } from '../resourcemanager/types.js';
import { TaskDeploymentDescriptorFactory } from '../scheduler/TaskDeploymentDescriptorFactory.js';
import type { Execution } from '../executiongraph/ExecutionGraph.js';
import {
  SenderNotAuthorizedError,
  type AcknowledgeCheckpoint,
  type DeclineCheckpoint,
  type JobMasterGateway,
  type TaskExecutionState,
  type TaskExecutorIdentity,
} from './JobMasterGateway.js';

/** How many distinct refusals a JobMaster remembers having logged (each is logged once). */
const LOGGED_REFUSALS = 1000;

export type { ExceptionHistoryEntry } from '../scheduler/DefaultScheduler.js';

export interface JobSubmission {
  jobId: string;
  /** The job graph's description (its main() ran in a program thread; the functions stay with the program). */
  jobGraph: JobGraphDescription;
  /** The bundled job program (ES module), shipped to every TaskExecutor. */
  jobModule: Buffer;
  programArgs: string[];
  defaultParallelism: number;
  /** The savepoint (or retained checkpoint) the job starts from, already checked against the job graph. */
  restore?: RestoreSource;
}

/** What a JobMaster needs from the JobManager it runs in. */
export interface JobMasterServices {
  configuration: Configuration;
  slotProvider: SlotProvider;
  clock: Clock;
  executor: ScheduledExecutor;
  /** host:port where TaskExecutors reach this JobManager's RPC endpoint (known once it is bound). */
  jobMasterAddress(): string;
  /** Where checkpoints go when `execution.checkpointing.dir` is unset. */
  defaultCheckpointDirectory: string;
}

/**
 * Runs one job (Flink's JobMaster): its ExecutionGraph, the DefaultScheduler that deploys and restarts its subtasks,
 * and its CheckpointCoordinator. It is the job's gateway for TaskExecutors (task states, checkpoint acknowledgements)
 * and takes savepoints for REST.
 */
export class JobMaster implements DispatchedJob, JobMasterGateway {
  readonly graph: ExecutionGraph;
  /** Takes the job's checkpoints (when it enables checkpointing) and savepoints. */
  readonly checkpointCoordinator: CheckpointCoordinator;
  private readonly scheduler: DefaultScheduler;
  private readonly log: Logger;
  private readonly slotProvider: SlotProvider;
  /** Refusals already logged: `<sender>|<attempt>|<reason>`. */
  private readonly loggedRefusals = new Set<string>();

  constructor(
    readonly submission: JobSubmission,
    services: JobMasterServices,
    log: Logger,
    /** Where its checkpoints and ids are kept: recovered ones, for a job a new leader takes over. */
    checkpointStores: CheckpointStores,
  ) {
    const { jobId, jobGraph } = submission;
    this.log = log.child('JobMaster', { job: jobId });
    this.slotProvider = services.slotProvider;
    this.graph = new ExecutionGraph(jobGraph, services.clock);
    const interval = jobGraph.checkpointInterval;
    const config = checkpointCoordinatorConfiguration(services.configuration, jobId, interval, services.defaultCheckpointDirectory);
    const checkpointLog = this.log.child('CheckpointCoordinator');
    this.checkpointCoordinator = new CheckpointCoordinator(
      config,
      jobId,
      {
        graph: this.graph,
        clock: services.clock,
        scheduler: services.executor,
        idCounter: checkpointStores.idCounter,
        store: checkpointStores.store,
        failureManager: new CheckpointFailureManager(config.tolerableFailures, (reason) => this.scheduler.failGlobally(reason)),
        stats: new CheckpointStatsTracker(services.clock),
      },
      checkpointLog,
    );
    this.scheduler = new DefaultScheduler(
      jobId,
      jobGraph.jobName,
      this.graph,
      {
        slotProvider: services.slotProvider,
        clock: services.clock,
        executor: services.executor,
        restartStrategy: createRestartBackoffTimeStrategy(services.configuration, interval !== undefined),
        checkpointCoordinator: this.checkpointCoordinator,
        deploymentDescriptors: new TaskDeploymentDescriptorFactory(
          {
            jobId,
            jobName: jobGraph.jobName,
            jobModule: submission.jobModule,
            programArgs: submission.programArgs,
            defaultParallelism: submission.defaultParallelism,
            planHash: jobGraph.planHash,
          },
          this.graph,
          () => services.jobMasterAddress(),
        ),
      },
      this.log,
      submission.restore,
    );
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

  /** Flink's `numRestarts`. */
  get numRestarts(): number {
    return this.scheduler.numRestarts;
  }

  get exceptions(): readonly ExceptionHistoryEntry[] {
    return this.scheduler.exceptions;
  }

  get restartStrategyDescription(): string {
    return this.scheduler.restartStrategyDescription;
  }

  /** Whether the job takes periodic checkpoints (`env.enableCheckpointing`). */
  get checkpointingEnabled(): boolean {
    return this.checkpointCoordinator.config.interval !== undefined;
  }

  /**
   * Starts the job: deploys its subtasks, or — a job a new leader recovered, with `reconciliationTimeoutMs` — first
   * waits that long for its TaskManagers to report the subtasks they kept running, and takes them over (RECONCILING).
   */
  start(reconciliationTimeoutMs?: number): void {
    if (reconciliationTimeoutMs !== undefined) this.scheduler.startReconciling(reconciliationTimeoutMs);
    else this.scheduler.startScheduling();
  }

  /** Calls `listener` with every new job status until the returned function is called. */
  onJobStatusChange(listener: (status: JobStatus) => void): () => void {
    return this.scheduler.onJobStatusChange(listener);
  }

  // --- JobMasterGateway: what TaskExecutors report ------------------------------------------------------------------

  async updateTaskExecutionState(state: TaskExecutionState, sender: TaskExecutorIdentity): Promise<boolean> {
    if (!this.authorize(state.attemptId, sender, `state ${state.state}`)) return false;
    return this.scheduler.updateTaskExecutionState(state);
  }

  async acknowledgeCheckpoint(ack: AcknowledgeCheckpoint, sender: TaskExecutorIdentity): Promise<void> {
    if (this.authorize(ack.attemptId, sender, `acknowledgement of checkpoint ${ack.checkpointId}`)) this.checkpointCoordinator.receiveAcknowledgeMessage(ack);
  }

  async declineCheckpoint(decline: DeclineCheckpoint, sender: TaskExecutorIdentity): Promise<void> {
    if (this.authorize(decline.attemptId, sender, `decline of checkpoint ${decline.checkpointId}`)) this.checkpointCoordinator.receiveDeclineMessage(decline);
  }

  /**
   * Whether a message about attempt `attemptId` may be acted upon: false for an attempt this JobMaster does not run (an
   * earlier attempt's message, ignored as before); throws SenderNotAuthorizedError (logged once per sender, attempt and
   * reason) when the attempt is not deployed to the sender or the sender's registration is not its current one.
   */
  private authorize(attemptId: string, sender: TaskExecutorIdentity, what: string): Execution | undefined {
    const execution = this.graph.execution(attemptId);
    if (!execution) return undefined;
    const resourceId = execution.location?.resourceId;
    let reason: string | undefined;
    if (resourceId === undefined) reason = `${execution.displayName} is not deployed`;
    else if (resourceId !== sender.resourceId) reason = `${execution.displayName} is deployed to TaskManager ${resourceId}, not to the sender`;
    else if (!this.slotProvider.isCurrentRegistration(sender.resourceId, sender.registrationId)) {
      reason = `the sender's registration id is not the current registration of TaskManager ${resourceId}`;
    }
    if (reason === undefined) return execution;
    const message = `Refused the ${what} of ${attemptId} from TaskManager ${JSON.stringify(String(sender.resourceId).slice(0, 128))}: ${reason}.`;
    const key = `${sender.resourceId}|${attemptId}|${reason}`;
    if (!this.loggedRefusals.has(key)) {
      if (this.loggedRefusals.size >= LOGGED_REFUSALS) this.loggedRefusals.clear();
      this.loggedRefusals.add(key);
      this.log.warn(message);
    }
    throw new SenderNotAuthorizedError(message);
  }

  // --- what the Dispatcher routes here ------------------------------------------------------------------------------

  /**
   * A TaskManager registered: a RECONCILING job takes over the subtasks it reports, a job waiting for slots may deploy
   * now. Returns the attempt ids of the subtasks taken over.
   */
  onTaskManagerRegistered(taskManager: TaskManagerView): string[] {
    const adopted = this.scheduler.reconcile(taskManager);
    this.scheduler.onResourcesAvailable();
    return adopted;
  }

  /** Slots became free: a job waiting for slots may deploy now. */
  onResourcesAvailable(): void {
    this.scheduler.onResourcesAvailable();
  }

  onTaskManagerLost(resourceId: string, reason: string): void {
    this.scheduler.onTaskManagerLost(resourceId, reason);
  }

  updateMetrics(report: TaskMetricDump): void {
    const execution = this.graph.execution(report.attemptId);
    if (execution) execution.metrics = { io: report.io, entries: report.entries };
  }

  // --- what REST asks for -------------------------------------------------------------------------------------------

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
      const check = (status: JobStatus): boolean => {
        if (isGloballyTerminal(status)) resolve();
        else if (status === 'RESTARTING' || status === 'FAILING') reject(new Error(`The savepoint ${location} was taken, but the job failed while stopping (${status}).`));
        else return false;
        return true;
      };
      if (check(this.status)) return;
      const stopListening = this.scheduler.onJobStatusChange((status) => {
        if (check(status)) stopListening();
      });
    });
    return location;
  }

  cancel(): void {
    this.scheduler.cancel();
  }

  /** Stops a pending restart and checkpointing (JobManager shutdown). */
  close(): void {
    this.scheduler.close();
  }

  /**
   * This JobManager stopped leading (Flink's suspend): no more deployments, restarts or checkpoints from here, and
   * nothing removed — the job, its checkpoints and its ids stay in the HA stores for the next leader.
   */
  suspend(reason: string): void {
    this.log.info(`Suspending job ${this.name} (${this.jobId}): ${reason}`);
    this.scheduler.close();
    this.checkpointCoordinator.stop(reason);
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
}
