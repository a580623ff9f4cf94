import type { JobDetails } from '../../dispatcher/Dispatcher.js';
import { EXECUTION_STATES } from '../../dispatcher/JobStatus.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

/** GET /jobs and /jobs/overview. */
export function registerJobHandlers(router: Router, services: JobManagerServices): void {
  const { dispatcher } = services;

  router.add('GET', '/jobs', () => ({
    status: 200,
    body: { jobs: dispatcher.listJobs().map((job) => ({ id: job.jobId, status: job.status })) },
  }));

  router.add('GET', '/jobs/overview', () => ({
    status: 200,
    body: { jobs: dispatcher.listJobs().map((job) => jobDetailsJson(job, Date.now())) },
  }));
}

/** Flink's JobDetails JSON: `tasks` keys are the lower-cased ExecutionState names plus `total`. */
export function jobDetailsJson(job: JobDetails, now: number): Record<string, unknown> {
  const tasks: Record<string, number> = { total: job.numTasks };
  for (const state of EXECUTION_STATES) tasks[state.toLowerCase()] = job.tasksPerState[state] ?? 0;
  return {
    jid: job.jobId,
    name: job.name,
    state: job.status,
    'start-time': job.startTime,
    'end-time': job.endTime,
    duration: (job.endTime >= 0 ? job.endTime : now) - job.startTime,
    'last-modification': job.lastModification,
    tasks,
  };
}
