import { CheckpointingOptions, CoreOptions, HighAvailabilityOptions } from '../../common/config/options.js';
import { highAvailabilityMode } from '../../highavailability/HighAvailabilityMode.js';
import { TsFlinkError } from '../../common/errors.js';
import { randomHex } from '../../common/ids.js';
import { storeJobModule } from '../../common/jobModules.js';
import type { Logger } from '../../common/Logger.js';
import type { JobGraphDescription } from '../../graph/JobGraph.js';
import { resolveSavepoint } from '../checkpoint/CheckpointMetadata.js';
import { checkStateMapping } from '../checkpoint/StateAssignmentOperation.js';
import { JobMaster, type JobMasterServices, type JobSubmission } from '../jobmaster/JobMaster.js';
import type { ExecutionState } from '../executiongraph/ExecutionState.js';
import type { JobStatus } from '../executiongraph/JobStatus.js';
import type { ResourceManager } from '../resourcemanager/ResourceManager.js';
import type { TaskManagerView } from '../resourcemanager/types.js';
import { isTerminalExecutionState } from '../executiongraph/ExecutionState.js';
import type { WorkerThreadDescription } from '../../common/process/ThreadDump.js';
import { ProgramCompiler, ProgramInvocationError, programLimits } from './ProgramCompiler.js';
import type { JobResultEntry, JobResultStore } from '../../highavailability/JobResultStore.js';
import { isGloballyTerminal } from '../executiongraph/JobStatus.js';
import type { CheckpointRecoveryFactory } from '../checkpoint/CheckpointRecoveryFactory.js';
import type { JobGraphStore } from './JobGraphStore.js';

/** Where the Dispatcher keeps what outlives its JobManager's leadership (in memory without HA). */
export interface DispatcherHaServices {
  jobGraphStore: JobGraphStore;
  jobResultStore: JobResultStore;
  checkpointRecovery: CheckpointRecoveryFactory;
}

/** A job as the job lists show it (Flink's JobDetails). */
export interface JobDetails {
  jobId: string;
  name: string;
  status: JobStatus;
  startTime: number;
  /** -1 until the job is globally terminal. */
  endTime: number;
  lastModification: number;
  tasksPerState: Record<ExecutionState, number>;
  numTasks: number;
}

/** A program to run: its bundled module (and where it can be imported from here), arguments and options. */
export interface ProgramSubmission {
  /** For messages: the uploaded file's id, or the job's name. */
  name: string;
  moduleUrl: string;
  jobModule: Buffer;
  programArgs: string[];
  /** `-p`; else the cluster's `parallelism.default`. */
  parallelism: number | undefined;
  savepoint?: { path: string; allowNonRestoredState: boolean };
}

/** A program that cannot be run (bad program, unusable savepoint): the message says why. */
export class JobSubmissionError extends TsFlinkError {}

/** What the Dispatcher needs from a job it runs: its current details. */
export interface DispatchedJob {
  details(): JobDetails;
}

/**
 * Receives jobs, starts a JobMaster for each, and keeps every job of this session, running or ended (Flink's
 * Dispatcher). It routes TaskManager events and task metrics to the jobs.
 */
export class Dispatcher {
  private readonly jobs = new Map<string, JobMaster>();
  /** Jobs being stored or recovered, not running yet. */
  private readonly starting = new Set<string>();
  /** The stores of the current leadership; undefined while this JobManager does not lead. */
  private ha: DispatcherHaServices | undefined;
  /** Whether the current leadership has recovered its jobs (it serves only then, as Flink's Dispatcher). */
  private recovered = false;
  /** Runs programs' main() in threads of their own (plan, run, rescale). */
  private readonly programs: ProgramCompiler;
  /** How long a recovered job waits for its running subtasks to be reported; undefined: it does not (without HA, or 0). */
  private readonly reconciliationTimeoutMs: number | undefined;

  constructor(
    private readonly services: JobMasterServices,
    /** Its registry's events reach the jobs: TaskManagers that come and go, task metrics. */
    resourceManager: ResourceManager,
    /** Where job programs are written for the JobManager's own use (building the graph of a rescaled job). */
    private readonly programDirectory: string,
    private readonly log: Logger,
  ) {
    const reconciliationTimeoutMs = services.configuration.get(HighAvailabilityOptions.RECONCILIATION_TIMEOUT);
    this.reconciliationTimeoutMs = highAvailabilityMode(services.configuration) !== 'NONE' && reconciliationTimeoutMs > 0 ? reconciliationTimeoutMs : undefined;
    this.programs = new ProgramCompiler(programLimits(services.configuration), services.clock, services.executor, log.child('ProgramCompiler'));
    const rm = resourceManager;
    rm.on('taskManagerRegistered', (taskManager) => this.onTaskManagerRegistered(taskManager));
    rm.on('slotsReleased', () => {
      for (const job of this.jobs.values()) job.onResourcesAvailable();
    });
    rm.on('taskManagerRemoved', (resourceId, _registrationId, reason) => {
      const message =
        reason.kind === 'heartbeat-timeout'
          ? `The heartbeat of TaskManager with id ${resourceId} timed out.`
          : `TaskManager with id ${resourceId} is no longer reachable (${reason.kind}).`;
      for (const job of this.jobs.values()) job.onTaskManagerLost(resourceId, message);
    });
    rm.on('taskMetrics', (reports) => {
      for (const report of reports) this.jobs.get(report.jobId)?.updateMetrics(report);
    });
  }

  /**
   * A TaskManager registered, with the subtasks it kept running while no JobManager led (if any): the jobs take over
   * what is theirs (reconciliation), and every other running subtask it reports is cancelled — it belongs to a job that
   * ended or to an attempt the job has replaced since. Registrations are answered only after the jobs are recovered
   * (ResourceManager.grantLeadership), so every job that could take a subtask over is here.
   */
  private onTaskManagerRegistered(taskManager: TaskManagerView): void {
    const adopted = new Set<string>();
    for (const job of this.jobs.values()) for (const attemptId of job.onTaskManagerRegistered(taskManager)) adopted.add(attemptId);
    for (const { jobId, tasks = [] } of taskManager.registeredSlots) {
      for (const { attemptId, state } of tasks) {
        if (adopted.has(attemptId) || isTerminalExecutionState(state)) continue;
        this.log.info(`Cancelling subtask attempt ${attemptId} of job ${jobId} on TaskManager ${taskManager.registration.resourceId}: no job runs it.`);
        taskManager.gateway.cancelTask(attemptId).catch((error: Error) => this.log.warn(`Could not cancel subtask attempt ${attemptId}: ${error.message}`));
      }
    }
  }

  /**
   * Builds the job graph of a program (running its main), checks the savepoint to restore from against it, and starts
   * the job. Every error says what is wrong; nothing is started then.
   */
  async submitProgram(program: ProgramSubmission): Promise<string> {
    const { jobGraph, defaultParallelism } = await this.compile(program);
    let restore;
    if (program.savepoint) {
      const { path, allowNonRestoredState } = program.savepoint;
      try {
        restore = await resolveSavepoint(path);
        checkStateMapping(restore.metadata, path, jobGraph.vertices, allowNonRestoredState);
      } catch (error) {
        throw new JobSubmissionError(`Could not restore the job from ${path}: ${(error as Error).message}`, { cause: error });
      }
    }
    const jobId = randomHex(16);
    await this.submitJob({ jobId, jobGraph, jobModule: program.jobModule, programArgs: program.programArgs, defaultParallelism, restore });
    return jobId;
  }

  /** The threads running users' main() now (for the JobManager's thread dump). */
  programThreads(): WorkerThreadDescription[] {
    return this.programs.threads();
  }

  /**
   * The job graph a program builds, without starting anything (e.g. for `/jars/:id/plan`). Its main() runs in a thread
   * of its own, within `jobmanager.program.timeout` and `jobmanager.program.memory` (ProgramCompiler), never on this
   * event loop; what comes back is the graph without its functions, which is all the JobManager needs.
   */
  async compile(program: Pick<ProgramSubmission, 'name' | 'moduleUrl' | 'programArgs' | 'parallelism'>): Promise<{ jobGraph: JobGraphDescription; defaultParallelism: number }> {
    const defaultParallelism = program.parallelism ?? this.services.configuration.get(CoreOptions.DEFAULT_PARALLELISM);
    try {
      const jobGraph = await this.programs.createJobGraph({ name: program.name, moduleUrl: program.moduleUrl, programArgs: program.programArgs, defaultParallelism });
      return { jobGraph, defaultParallelism };
    } catch (error) {
      const message = (error as Error).message;
      const missingJob = error instanceof ProgramInvocationError && error.missingJob;
      throw new JobSubmissionError(missingJob ? message : `Could not run the job program ${program.name}: ${message}`, { cause: error });
    }
  }

  /**
   * Rescales a running job (Flink answers 503 here; tsflink does it): stop with a savepoint, then the same program
   * again with the new parallelism, restored from that savepoint. Resolves with the new job's id and the savepoint.
   */
  async rescale(jobId: string, parallelism: number, savepointDirectory: string): Promise<{ jobId: string; savepoint: string }> {
    const job = this.jobs.get(jobId);
    if (!job) throw new JobSubmissionError(`Job ${jobId} not found`);
    const started = this.services.clock.now();
    const savepoint = await job.stopWithSavepoint(savepointDirectory, false);
    const { jobModule, programArgs } = job.submission;
    const newJobId = await this.submitProgram({
      name: job.name,
      moduleUrl: storeJobModule(this.programDirectory, jobModule),
      jobModule,
      programArgs,
      parallelism,
      savepoint: { path: savepoint, allowNonRestoredState: false },
    });
    this.log.info(`Rescaled job ${job.name} (${jobId}) to parallelism ${parallelism} as job ${newJobId} from ${savepoint} (stop and resubmit took ${this.services.clock.now() - started} ms).`);
    return { jobId: newJobId, savepoint };
  }

  /** Stores the job (for a leader that takes over) and runs it. */
  async submitJob(submission: JobSubmission): Promise<JobMaster> {
    const { jobId } = submission;
    const ha = this.leading();
    if (this.jobs.has(jobId) || this.starting.has(jobId)) throw new Error(`Job ${jobId} has already been submitted.`);
    this.starting.add(jobId);
    try {
      await ha.jobGraphStore.putJobGraph(submission);
      this.log.info(`Received JobGraph submission '${submission.jobGraph.jobName}' (${jobId}).`);
      return await this.runJob(submission);
    } finally {
      this.starting.delete(jobId);
    }
  }

  /**
   * This JobManager leads from now on, with `ha`'s stores (fenced by the leadership). It first finishes the cleanup of
   * jobs that ended under an earlier leader, then runs every stored job that has no result, from its latest checkpoint
   * (Flink's Dispatcher bootstrap).
   */
  async startLeadership(ha: DispatcherHaServices): Promise<void> {
    this.ha = ha;
    this.recovered = false;
    await this.recoverJobs(ha);
    if (this.ha === ha) this.recovered = true;
  }

  private async recoverJobs(ha: DispatcherHaServices): Promise<void> {
    const { jobGraphStore, jobResultStore } = ha;
    for (const entry of await jobResultStore.getDirtyResults()) await this.cleanUpJob(ha, entry.jobId);
    for (const jobId of await jobGraphStore.getJobIds()) {
      if (this.ha !== ha) return;
      if (await jobResultStore.hasJobResultEntry(jobId)) {
        await jobGraphStore.globalCleanup(jobId);
        continue;
      }
      const submission = await jobGraphStore.recoverJobGraph(jobId);
      if (!submission || this.jobs.has(jobId)) continue;
      this.log.info(`Recovered JobGraph(jobId: ${jobId}).`);
      this.starting.add(jobId);
      try {
        await this.runJob(submission, true);
      } finally {
        this.starting.delete(jobId);
      }
    }
  }

  /**
   * Whether this JobManager leads and has recovered the jobs of earlier leaders: only then does it serve (REST), so that
   * nobody sees a job list without the jobs about to be recovered, or submits a job again that is on its way back.
   */
  get isLeader(): boolean {
    return this.ha !== undefined && this.recovered;
  }

  private leading(): DispatcherHaServices {
    if (!this.ha) throw new JobSubmissionError('This JobManager does not lead the cluster; submit to the leader.');
    return this.ha;
  }

  /** `recovered`: a job of an earlier leader, whose subtasks may still run (it reconciles with them first, with HA). */
  private async runJob(submission: JobSubmission, recovered = false): Promise<JobMaster> {
    const { jobId } = submission;
    const ha = this.leading();
    const numRetained = Math.max(1, this.services.configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS));
    const stores = await ha.checkpointRecovery.createCheckpointStores(jobId, numRetained, this.log.child('CheckpointCoordinator', { job: jobId }));
    if (this.ha !== ha) throw new JobSubmissionError('This JobManager stopped leading the cluster while starting the job.');
    const job = new JobMaster(submission, this.services, this.log, stores);
    this.jobs.set(jobId, job);
    const stopListening = job.onJobStatusChange((status) => {
      if (!isGloballyTerminal(status)) return;
      stopListening();
      void this.jobReachedGloballyTerminalState(ha, job);
    });
    job.start(recovered ? this.reconciliationTimeoutMs : undefined);
    return job;
  }

  /** Flink's order: the result is recorded (dirty) first, then the job's HA data goes, then the result is clean. */
  private async jobReachedGloballyTerminalState(ha: DispatcherHaServices, job: JobMaster): Promise<void> {
    const { status, startTime, endTime } = job.details();
    const applicationStatus: JobResultEntry['applicationStatus'] = status === 'FINISHED' ? 'SUCCEEDED' : status === 'FAILED' ? 'FAILED' : status === 'CANCELED' ? 'CANCELED' : 'UNKNOWN';
    try {
      await ha.jobResultStore.createDirtyResult({ jobId: job.jobId, applicationStatus, netRuntime: Math.max(0, endTime - startTime) });
      await this.cleanUpJob(ha, job.jobId);
    } catch (error) {
      this.log.warn(`Could not record the result of job ${job.jobId} or clean up its HA data; a later leader finishes it`, {}, error);
    }
  }

  private async cleanUpJob(ha: DispatcherHaServices, jobId: string): Promise<void> {
    await ha.jobGraphStore.globalCleanup(jobId);
    await ha.jobResultStore.markResultAsClean(jobId);
  }

  listJobs(): JobDetails[] {
    return [...this.jobs.values()].map((job) => job.details());
  }

  getJob(jobId: string): JobMaster | undefined {
    return this.jobs.get(jobId);
  }

  /**
   * This JobManager stopped leading: every job is suspended (nothing of it removed from the HA stores), programs whose
   * main() still runs are stopped, and nothing new is started.
   */
  suspend(reason: string): void {
    this.ha = undefined;
    this.recovered = false;
    for (const job of this.jobs.values()) job.suspend(reason);
    this.jobs.clear();
  }

  /** Cancels every running job and stops programs whose main() still runs (JobManager shutdown without HA). */
  close(): void {
    void this.programs.close();
    for (const job of this.jobs.values()) {
      job.close();
      job.cancel();
    }
  }
}
