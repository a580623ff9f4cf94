import type { CheckpointCoordinator } from '../../checkpoint/CheckpointCoordinator.js';
import { summarize, type CheckpointStats, type CheckpointStatsTracker, type SubtaskCheckpointStats } from '../../checkpoint/CheckpointStatsTracker.js';
import { BadRequestError, NotFoundError } from '../RestHandlerError.js';
import { RequestBody } from '../requestBodies.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';
import { parseJobId, requireJob, runningJobForOperation } from './pathParameters.js';

/**
 * A job's checkpoints (Flink's CheckpointingStatisticsHandler, CheckpointConfigHandler, CheckpointStatisticDetailsHandler,
 * TaskCheckpointStatisticDetailsHandler and CheckpointTriggerHandler): statistics in Flink's JSON, the configuration,
 * and a checkpoint on demand.
 */
export function registerCheckpointHandlers(router: Router, services: JobManagerServices): void {
  const { dispatcher } = services;
  const coordinator = (jobId: string, notEnabled: string): CheckpointCoordinator => {
    const job = requireJob(dispatcher, jobId);
    if (!job.checkpointingEnabled) throw new NotFoundError(notEnabled);
    return job.checkpointCoordinator;
  };
  const stats = (jobId: string): CheckpointStatsTracker => coordinator(jobId, 'Checkpointing has not been enabled.').stats;
  const checkpointId = (text: string) => {
    const id = Number(text);
    if (!Number.isInteger(id) || id < 0) throw new BadRequestError(`Could not parse checkpoint id '${text}'.`);
    return id;
  };

  router.add('GET', '/jobs/:jobid/checkpoints', ({ params }) => ({ status: 200, body: checkpointingStatistics(stats(params.jobid!)) }));

  router.add('GET', '/jobs/:jobid/checkpoints/config', ({ params }) => {
    const c = coordinator(params.jobid!, `Checkpointing is not enabled for this job (${params.jobid}).`).config;
    return {
      status: 200,
      body: {
        mode: 'exactly_once',
        interval: c.interval,
        timeout: c.timeout,
        min_pause: c.minPause,
        max_concurrent: 1,
        externalization: { enabled: c.retention !== 'NO_EXTERNALIZED_CHECKPOINTS', delete_on_cancellation: c.retention !== 'RETAIN_ON_CANCELLATION' },
        state_backend: 'EmbeddedRocksDBStateBackend',
        checkpoint_storage: 'FileSystemCheckpointStorage',
        unaligned_checkpoints: false,
        // Unlimited (tsflink's default -1) as Flink writes it: CheckpointConfig's UNLIMITED_TOLERABLE_FAILURE_NUMBER.
        tolerable_failed_checkpoints: c.tolerableFailures < 0 ? 2_147_483_647 : c.tolerableFailures,
        aligned_checkpoint_timeout: 0,
        checkpoints_after_tasks_finish: false,
        state_changelog_enabled: false,
        changelog_periodic_materialization_interval: 600000,
        changelog_storage: 'memory',
      },
    };
  });

  router.add('GET', '/jobs/:jobid/checkpoints/details/:checkpointid', ({ params }) => {
    const checkpoint = stats(params.jobid!).get(checkpointId(params.checkpointid!));
    if (!checkpoint) throw new NotFoundError(`Could not find checkpointing statistics for checkpoint ${params.checkpointid}.`);
    return { status: 200, body: checkpointJson(checkpoint, true) };
  });

  router.add('GET', '/jobs/:jobid/checkpoints/details/:checkpointid/subtasks/:vertexid', ({ params }) => {
    const checkpoint = stats(params.jobid!).get(checkpointId(params.checkpointid!));
    const acks = checkpoint?.tasks.get(params.vertexid!);
    if (!checkpoint || !acks) throw new NotFoundError(`There is no checkpoint statistics for task ${params.vertexid}.`);
    return { status: 200, body: taskCheckpointDetails(checkpoint, params.vertexid!, acks) };
  });

  // A checkpoint now (Flink 1.19+'s POST /jobs/:id/checkpoints), whether or not the job checkpoints periodically.
  router.add('POST', '/jobs/:jobid/checkpoints', ({ params, body }) => {
    const request = RequestBody.parse(body, 'CheckpointTriggerRequestBody');
    const type = request.oneOf('checkpointType', ['CONFIGURED', 'FULL', 'INCREMENTAL'] as const) ?? 'CONFIGURED';
    if (type === 'INCREMENTAL') throw new BadRequestError('Incremental checkpoints are not supported: tsflink takes full snapshots (use CONFIGURED or FULL).');
    const triggerId = request.triggerId();
    const jobId = parseJobId(params.jobid!);
    const id = services.operations.start(
      `checkpoints/${jobId}`,
      async () => ({ checkpointId: (await runningJobForOperation(dispatcher, jobId).checkpointCoordinator.triggerCheckpoint()).checkpointId }),
      triggerId,
      'failureCause',
    );
    return { status: 202, body: { 'request-id': id } };
  });

  router.add('GET', '/jobs/:jobid/checkpoints/:triggerid', ({ params }) => {
    const jobId = parseJobId(params.jobid!);
    const status = services.operations.status(`checkpoints/${jobId}`, params.triggerid!);
    if (!status) throw new NotFoundError(`There is no checkpoint operation with triggerId=${params.triggerid} for job ${jobId}.`);
    return { status: 200, body: status };
  });
}

/** GET /jobs/:id/checkpoints (Flink's CheckpointingStatistics). */
function checkpointingStatistics(tracker: CheckpointStatsTracker): unknown {
  const completed = tracker.completed.map(summarize);
  return {
    counts: { ...tracker.counts },
    summary: {
      checkpointed_size: summaryStats(completed.map((c) => c.stateSize)),
      state_size: summaryStats(completed.map((c) => c.stateSize)),
      end_to_end_duration: summaryStats(completed.map((c) => c.duration)),
      alignment_buffered: summaryStats(completed.map(() => 0)),
      processed_data: summaryStats(completed.map(() => 0)),
      persisted_data: summaryStats(completed.map(() => 0)),
    },
    latest: {
      completed: tracker.latestCompleted ? checkpointJson(tracker.latestCompleted, false) : null,
      savepoint: tracker.latestSavepoint ? checkpointJson(tracker.latestSavepoint, false) : null,
      failed: tracker.latestFailed ? checkpointJson(tracker.latestFailed, false) : null,
      restored: tracker.restored ?? null,
    },
    history: tracker.history.map((s) => checkpointJson(s, false)),
  };
}

/** GET /jobs/:id/checkpoints/details/:checkpointid/subtasks/:vertexid (Flink's TaskCheckpointStatisticsWithSubtaskDetails). */
function taskCheckpointDetails(stats: CheckpointStats, vertexId: string, acks: Array<SubtaskCheckpointStats | undefined>): unknown {
  const done = acks.filter((a): a is SubtaskCheckpointStats => a !== undefined);
  return {
    ...taskJson(stats, vertexId, acks),
    summary: {
      checkpointed_size: summaryStats(done.map((a) => a.stateSize)),
      state_size: summaryStats(done.map((a) => a.stateSize)),
      end_to_end_duration: summaryStats(done.map((a) => a.ackTimestamp - stats.triggerTimestamp)),
      checkpoint_duration: { sync: summaryStats(done.map((a) => a.syncDurationMs)), async: summaryStats(done.map((a) => a.asyncDurationMs)) },
      alignment: {
        buffered: summaryStats(done.map(() => 0)),
        processed: summaryStats(done.map(() => 0)),
        persisted: summaryStats(done.map(() => 0)),
        duration: summaryStats(done.map((a) => a.alignmentDurationMs)),
      },
      start_delay: summaryStats(done.map((a) => a.startDelayMs)),
    },
    subtasks: acks.map((a, index) =>
      a === undefined
        ? { index, status: 'pending_or_failed' }
        : {
            index,
            status: 'completed',
            ack_timestamp: a.ackTimestamp,
            end_to_end_duration: a.ackTimestamp - stats.triggerTimestamp,
            checkpointed_size: a.stateSize,
            state_size: a.stateSize,
            checkpoint: { sync: a.syncDurationMs, async: a.asyncDurationMs },
            alignment: { buffered: 0, processed: 0, persisted: 0, duration: a.alignmentDurationMs },
            start_delay: a.startDelayMs,
            unaligned_checkpoint: false,
            aborted: false,
          },
    ),
  };
}

function taskJson(stats: CheckpointStats, vertexId: string, acks: Array<SubtaskCheckpointStats | undefined>): Record<string, unknown> {
  const done = acks.filter((a): a is SubtaskCheckpointStats => a !== undefined);
  const latestAck = Math.max(0, ...done.map((a) => a.ackTimestamp));
  const size = done.reduce((sum, a) => sum + a.stateSize, 0);
  return {
    id: vertexId,
    status: stats.status,
    latest_ack_timestamp: latestAck,
    checkpointed_size: size,
    state_size: size,
    end_to_end_duration: latestAck > 0 ? latestAck - stats.triggerTimestamp : 0,
    alignment_buffered: 0,
    processed_data: 0,
    persisted_data: 0,
    num_subtasks: acks.length,
    num_acknowledged_subtasks: done.length,
  };
}

/** Flink's CheckpointStatistics (completed, failed or in progress). */
function checkpointJson(stats: CheckpointStats, withTasks: boolean): Record<string, unknown> {
  const a = summarize(stats);
  const json: Record<string, unknown> = {
    className: stats.status === 'COMPLETED' ? 'completed' : stats.status === 'FAILED' ? 'failed' : 'in_progress',
    id: stats.id,
    status: stats.status,
    is_savepoint: stats.type !== 'CHECKPOINT',
    savepointFormat: stats.type === 'CHECKPOINT' ? null : 'CANONICAL',
    trigger_timestamp: stats.triggerTimestamp,
    latest_ack_timestamp: a.latestAck,
    checkpointed_size: a.stateSize,
    state_size: a.stateSize,
    end_to_end_duration: a.duration,
    alignment_buffered: 0,
    processed_data: 0,
    persisted_data: 0,
    num_subtasks: a.subtasks,
    num_acknowledged_subtasks: a.acknowledged,
    checkpoint_type: stats.type,
    tasks: withTasks ? Object.fromEntries([...stats.tasks].map(([vertexId, acks]) => [vertexId, taskJson(stats, vertexId, acks)])) : {},
  };
  if (stats.status === 'COMPLETED') {
    json.external_path = stats.externalPath;
    json.discarded = stats.discarded;
  }
  if (stats.status === 'FAILED') {
    json.failure_timestamp = stats.failureTimestamp;
    json.failure_message = stats.failureMessage;
  }
  return json;
}

/** Flink's StatsSummaryDto: min, max, avg and percentiles (0 everywhere when empty). */
function summaryStats(values: readonly number[]): Record<string, number> {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    avg: Math.round(values.reduce((s, v) => s + v, 0) / values.length),
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
  };
}
