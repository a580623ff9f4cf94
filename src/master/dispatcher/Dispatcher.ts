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
 * Receives jobs and keeps every job of this session, running or ended (Flink's Dispatcher). Job submission arrives
 * with the streaming runtime; until then the cluster has no jobs and the lists are empty.
 */
export class Dispatcher {
  private readonly jobs = new Map<string, DispatchedJob>();

  listJobs(): JobDetails[] {
    return [...this.jobs.values()].map((job) => job.details());
  }

  getJob(jobId: string): DispatchedJob | undefined {
    return this.jobs.get(jobId);
  }
}
