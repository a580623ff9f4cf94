import { environmentInfo } from '../../../common/process/EnvironmentInfo.js';
import { jsonPlan } from '../../../graph/JsonPlan.js';
import { disposeSavepoint } from '../../checkpoint/CheckpointStorage.js';
import type { JobDetails } from '../../dispatcher/Dispatcher.js';
import { EXECUTION_STATES } from '../../executiongraph/ExecutionState.js';
import { isGloballyTerminal } from '../../executiongraph/JobStatus.js';
import type { ExecutionJobVertex } from '../../executiongraph/ExecutionGraph.js';
import { ioMetricsJson } from './vertexHandlers.js';
import type { JobMaster } from '../../jobmaster/JobMaster.js';
import { BadRequestError, NotFoundError, RestHandlerError } from '../RestHandlerError.js';
import { RequestBody } from '../requestBodies.js';
import { describeStackTrace, serializedThrowableJson } from '../SerializedThrowable.js';
import type { Router } from '../Router.js';
import { CheckpointingOptions } from '../../../common/config/options.js';
import type { JobManagerServices } from './JobManagerServices.js';
import { parseJobId, requireJob, requireRunningJob, runningJobForOperation } from './pathParameters.js';

const APPLICATION_STATUS: Partial<Record<string, string>> = { FINISHED: 'SUCCEEDED', FAILED: 'FAILED', CANCELED: 'CANCELED' };

/** Savepoints are always written in tsflink's one format; both of Flink's names are accepted for it. */
const SAVEPOINT_FORMAT_TYPES = ['CANONICAL', 'NATIVE'] as const;

/** The job endpoints: lists, details, exceptions, status, plan, and cancellation. */
export function registerJobHandlers(router: Router, services: JobManagerServices): void {
  const { dispatcher } = services;
  const job = (jobId: string): JobMaster => requireJob(dispatcher, jobId);

  router.add('GET', '/jobs', () => ({
    status: 200,
    body: { jobs: dispatcher.listJobs().map((j) => ({ id: j.jobId, status: j.status })) },
  }));

  router.add('GET', '/jobs/overview', () => ({
    status: 200,
    body: { jobs: dispatcher.listJobs().map((j) => jobDetailsJson(j, Date.now())) },
  }));

  router.add('GET', '/jobs/:jobid', ({ params }) => ({ status: 200, body: jobDetailsInfo(job(params.jobid!)) }));

  router.add('GET', '/jobs/:jobid/status', ({ params }) => ({ status: 200, body: { status: job(params.jobid!).status } }));

  // POST /jobs (the CLI's submission) is jobSubmitHandler.ts: it stays on with web.submit.enable false.

  // Flink's JobExecutionResultHandler. A failure is a SerializedThrowable, Java-serialized too, for Flink's own client.
  router.add('GET', '/jobs/:jobid/execution-result', ({ params }) => {
    const j = job(params.jobid!);
    if (!isGloballyTerminal(j.status)) return { status: 200, body: { status: { id: 'IN_PROGRESS' } } };
    const details = j.details();
    const result: Record<string, unknown> = {
      id: j.jobId,
      'application-status': APPLICATION_STATUS[j.status] ?? 'UNKNOWN',
      'accumulator-results': {},
      'net-runtime': details.endTime - details.startTime,
    };
    const root = j.exceptions[j.exceptions.length - 1];
    if (j.status === 'FAILED' && root) result['failure-cause'] = serializedThrowableJson(describeStackTrace(root.exceptionName, root.stacktrace));
    return { status: 200, body: { status: { id: 'COMPLETED' }, 'job-execution-result': result } };
  });

  // Flink's JobManagerJobEnvironmentHandler and JobManagerJobConfigurationHandler: the JobManager's environment and
  // the configuration the job's JobMaster runs with (tsflink's JobMasters run with the cluster's).
  router.add('GET', '/jobs/:jobid/jobmanager/environment', ({ params }) => {
    job(params.jobid!);
    return { status: 200, body: environmentInfo() };
  });
  router.add('GET', '/jobs/:jobid/jobmanager/config', ({ params }) => {
    job(params.jobid!);
    return { status: 200, body: services.configuration.toDisplayEntries() };
  });

  router.add('GET', '/jobs/:jobid/plan', ({ params }) => {
    const j = job(params.jobid!);
    return { status: 200, body: { plan: jsonPlan(j.jobId, j.submission.jobGraph) } };
  });

  router.add('GET', '/jobs/:jobid/exceptions', ({ params, query }) => {
    const j = job(params.jobid!);
    const max = Number(query.get('maxExceptions') ?? 16);
    const entries = [...j.exceptions].reverse();
    const shown = entries.slice(0, Number.isFinite(max) && max >= 0 ? max : 16);
    const root = entries[0];
    return {
      status: 200,
      body: {
        'root-exception': root?.stacktrace ?? null,
        timestamp: root?.timestamp ?? null,
        'all-exceptions': shown.map((e) => ({ exception: e.stacktrace, task: e.taskName, location: e.location, timestamp: e.timestamp, taskManagerId: e.taskManagerId })),
        truncated: shown.length < entries.length,
        exceptionHistory: {
          entries: shown.map((e) => ({ ...e, failureLabels: {}, concurrentExceptions: [] })),
          truncated: shown.length < entries.length,
        },
      },
    };
  });

  router.add('GET', '/jobs/:jobid/config', ({ params }) => {
    const j = job(params.jobid!);
    return {
      status: 200,
      body: {
        jid: j.jobId,
        name: j.name,
        'execution-config': {
          'execution-mode': 'PIPELINED',
          'restart-strategy': j.restartStrategyDescription,
          'job-parallelism': j.submission.defaultParallelism,
          'object-reuse-mode': false,
          'user-config': {},
        },
      },
    };
  });

  // Savepoints and stop-with-savepoint share one status URL (Flink's SavepointHandlers / StopWithSavepointHandlers).
  // As in Flink, a target that cannot be used (another scheme than file, a relative path, a pseudo-file system) fails
  // the asynchronous operation with the reason; the CheckpointCoordinator checks it (common/fileUris.ts).
  const savepointDirectory = (given: string | undefined, property: string): string => {
    const directory = given || services.configuration.get(CheckpointingOptions.SAVEPOINT_DIRECTORY);
    if (!directory) throw new BadRequestError(`Config key [${CheckpointingOptions.SAVEPOINT_DIRECTORY.key}] is not set. Property [${property}] must be provided.`);
    return directory;
  };
  const running = (jobId: string) => runningJobForOperation(dispatcher, jobId);
  router.add('POST', '/jobs/:jobid/savepoints', ({ params, body }) => {
    const request = RequestBody.parse(body, 'SavepointTriggerRequestBody');
    const directory = savepointDirectory(request.string('target-directory'), 'target-directory');
    const cancelJob = request.boolean('cancel-job') ?? false;
    request.oneOf('formatType', SAVEPOINT_FORMAT_TYPES);
    const triggerId = request.triggerId();
    const jobId = parseJobId(params.jobid!);
    const id = services.operations.start(`savepoints/${jobId}`, async () => ({ location: await running(jobId).triggerSavepoint(directory, cancelJob) }), triggerId);
    return { status: 202, body: { 'request-id': id } };
  });
  router.add('POST', '/jobs/:jobid/stop', ({ params, body }) => {
    const request = RequestBody.parse(body, 'StopWithSavepointRequestBody');
    const directory = savepointDirectory(request.string('targetDirectory'), 'targetDirectory');
    const drain = request.boolean('drain') ?? false;
    request.oneOf('formatType', SAVEPOINT_FORMAT_TYPES);
    const triggerId = request.triggerId();
    const jobId = parseJobId(params.jobid!);
    const id = services.operations.start(`savepoints/${jobId}`, async () => ({ location: await running(jobId).stopWithSavepoint(directory, drain) }), triggerId);
    return { status: 202, body: { 'request-id': id } };
  });
  router.add('GET', '/jobs/:jobid/savepoints/:triggerid', ({ params }) => {
    const jobId = parseJobId(params.jobid!);
    const status = services.operations.status(`savepoints/${jobId}`, params.triggerid!);
    if (!status) throw new NotFoundError(`There is no savepoint operation with triggerId=${params.triggerid} for job ${jobId}.`);
    return { status: 200, body: status };
  });

  // Rescaling, implemented for real (Flink 1.20 answers 503): stop with a savepoint, then the same program with the new
  // parallelism from it. The operation's result names the new job.
  router.add('PATCH', '/jobs/:jobid/rescaling', ({ params, query }) => {
    const raw = query.get('parallelism');
    const parallelism = Number(raw);
    if (raw === null || !Number.isInteger(parallelism) || parallelism < 1) {
      throw new BadRequestError(`Bad request, could not parse parameters: parallelism '${raw ?? ''}' is not a positive integer.`);
    }
    const directory = services.configuration.get(CheckpointingOptions.SAVEPOINT_DIRECTORY);
    if (!directory) throw new BadRequestError(`Config key [${CheckpointingOptions.SAVEPOINT_DIRECTORY.key}] is not set: rescaling stops the job with a savepoint there.`);
    const j = requireRunningJob(dispatcher, params.jobid!);
    const id = services.operations.start(`rescaling/${j.jobId}`, async () => {
      const rescaled = await services.dispatcher.rescale(j.jobId, parallelism, directory);
      return { jobid: rescaled.jobId, savepoint: rescaled.savepoint };
    });
    return { status: 200, body: { 'request-id': id } };
  });
  router.add('GET', '/jobs/:jobid/rescaling/:triggerid', ({ params }) => {
    const j = job(params.jobid!);
    const status = services.operations.status(`rescaling/${j.jobId}`, params.triggerid!);
    if (!status) throw new NotFoundError(`There is no rescaling operation with triggerId=${params.triggerid} for job ${j.jobId}.`);
    return { status: 200, body: status };
  });

  // Disposal: the directory must be a savepoint (its _metadata readable and intact) before anything is deleted; then
  // only its state files and _metadata are, and the directory if that empties it (CheckpointStorage.disposeSavepoint).
  router.add('POST', '/savepoint-disposal', ({ body }) => {
    const path = RequestBody.parse(body, 'SavepointDisposalRequest').string('savepoint-path');
    if (!path) throw new BadRequestError('Bad request, could not parse parameters: savepoint-path must be given.');
    const id = services.operations.start('savepoint-disposal', async () => {
      await disposeSavepoint(path);
      return {};
    });
    return { status: 200, body: { 'request-id': id } };
  });
  router.add('GET', '/savepoint-disposal/:triggerid', ({ params }) => {
    const status = services.operations.status('savepoint-disposal', params.triggerid!);
    if (!status) throw new NotFoundError(`There is no savepoint disposal operation with triggerId=${params.triggerid}.`);
    return { status: 200, body: status };
  });

  // Cancelling a cancelled job is fine; one that ended otherwise is a conflict (Flink's
  // FlinkJobTerminatedWithoutCancellationException).
  const cancel = (jobId: string) => {
    // Flink's JobCancellationHandler words an unknown job so (other job handlers say "Job <id> not found").
    const j = dispatcher.getJob(parseJobId(jobId));
    if (!j) throw new NotFoundError('Job could not be found.');
    if (isGloballyTerminal(j.status) && j.status !== 'CANCELED') {
      throw new RestHandlerError(`Job cancellation failed because the job has already reached another terminal state (${j.status}).`, 409);
    }
    j.cancel();
    return { status: 202, body: {} };
  };
  router.add('PATCH', '/jobs/:jobid', ({ params, query }) => {
    const mode = (query.get('mode') ?? 'cancel').toLowerCase();
    if (mode !== 'cancel') throw new BadRequestError(`Bad request, could not parse parameters: mode '${mode}' is not supported; use mode=cancel.`);
    return cancel(params.jobid!);
  });
  router.add('GET', '/jobs/:jobid/yarn-cancel', ({ params }) => cancel(params.jobid!));
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

/** Flink's JobDetailsInfo: GET /jobs/:jobid. */
function jobDetailsInfo(job: JobMaster): Record<string, unknown> {
  const now = Date.now();
  const details = job.details();
  const statusCounts = Object.fromEntries(EXECUTION_STATES.map((s) => [s, details.tasksPerState[s] ?? 0]));
  return {
    jid: job.jobId,
    name: job.name,
    isStoppable: false,
    state: job.status,
    'job-type': 'STREAMING',
    'start-time': details.startTime,
    'end-time': details.endTime,
    duration: (details.endTime >= 0 ? details.endTime : now) - details.startTime,
    maxParallelism: job.submission.jobGraph.maxParallelism,
    now,
    timestamps: job.graph.timestampsJson(),
    vertices: job.graph.vertices.map((v) => vertexJson(v, now)),
    'status-counts': statusCounts,
    plan: jsonPlan(job.jobId, job.submission.jobGraph),
  };
}

function vertexJson(vertex: ExecutionJobVertex, now: number): Record<string, unknown> {
  const starts = vertex.executions.map((e) => e.timestamps.DEPLOYING ?? e.timestamps.SCHEDULED ?? -1).filter((t) => t >= 0);
  const start = starts.length > 0 ? Math.min(...starts) : -1;
  const terminal = vertex.executions.every((e) => e.isTerminal());
  const end = terminal ? Math.max(...vertex.executions.map((e) => e.timestamps[e.state] ?? -1)) : -1;
  return {
    id: vertex.jobVertex.id,
    name: vertex.jobVertex.name,
    maxParallelism: vertex.jobVertex.maxParallelism,
    parallelism: vertex.parallelism,
    status: vertex.aggregateState(),
    'start-time': start,
    'end-time': end,
    duration: start < 0 ? -1 : (end >= 0 ? end : now) - start,
    tasks: vertex.stateCounts(),
    metrics: ioMetricsJson(vertex.executions),
  };
}


