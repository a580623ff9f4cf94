import type { Logger } from '../../common/Logger.js';
import { JobMaster, type JobMasterServices, type JobSubmission } from '../jobmaster/JobMaster.js';
import type { ExecutionState, JobStatus } from './JobStatus.js';

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

  constructor(
    private readonly services: JobMasterServices,
    private readonly log: Logger,
  ) {
    const rm = services.resourceManager;
    rm.on('taskManagerRegistered', () => {
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

  submitJob(submission: JobSubmission): JobMaster {
    if (this.jobs.has(submission.jobId)) throw new Error(`Job ${submission.jobId} has already been submitted.`);
    const job = new JobMaster(submission, this.services, this.log);
    this.jobs.set(submission.jobId, job);
    this.log.info(`Received JobGraph submission '${job.name}' (${submission.jobId}).`);
    job.start();
    return job;
  }

  listJobs(): JobDetails[] {
    return [...this.jobs.values()].map((job) => job.details());
  }

  getJob(jobId: string): JobMaster | undefined {
    return this.jobs.get(jobId);
  }

  /** Cancels every running job (JobManager shutdown). */
  close(): void {
    for (const job of this.jobs.values()) {
      job.close();
      job.cancel();
    }
  }
}
