import { EXECUTION_STATES } from '../../executiongraph/ExecutionState.js';
import { aggregateExecutionState, type Execution, type ExecutionJobVertex } from '../../executiongraph/ExecutionGraph.js';
import { BadRequestError, NotFoundError } from '../RestHandlerError.js';
import type { Router } from '../Router.js';
import { subtaskMetrics } from '../../metrics/MetricQueries.js';
import type { JobManagerServices } from './JobManagerServices.js';
import { parseJobId, requireJob } from './pathParameters.js';
import { FLAME_GRAPH_DISABLED, FLAME_GRAPH_TERMINATED, type FlameGraphType } from '../VertexFlameGraphStatsTracker.js';
import { isTerminalExecutionState } from '../../executiongraph/ExecutionState.js';

/** The states a subtask passes through on its way to RUNNING, in order (Flink's `status-duration` keys). */
const LIFECYCLE_STATES = ['CREATED', 'SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING'] as const;

/**
 * The vertex endpoints: a vertex with its subtasks, one subtask (and attempt), subtask times, subtasks per
 * TaskManager, backpressure and accumulators.
 */
export function registerVertexHandlers(router: Router, services: JobManagerServices): void {
  const { dispatcher } = services;
  const vertex = (jobId: string, vertexId: string): ExecutionJobVertex => {
    const found = requireJob(dispatcher, jobId).graph.vertices.find((v) => v.jobVertex.id === vertexId);
    if (!found) throw new NotFoundError(`JobVertex ${vertexId} not found`);
    return found;
  };
  const subtask = (jobId: string, vertexId: string, index: string): Execution => {
    if (!/^\d+$/.test(index)) throw new BadRequestError(`Bad request, could not parse parameters: Cannot parse subtask index from "${index}".`);
    const execution = vertex(jobId, vertexId).executions[Number(index)];
    if (!execution) throw new NotFoundError(`Invalid subtask index for vertex ${vertexId}: ${index}.`);
    return execution;
  };

  router.add('GET', '/jobs/:jobid/vertices/:vertexid', ({ params }) => {
    const v = vertex(params.jobid!, params.vertexid!);
    const now = Date.now();
    return {
      status: 200,
      body: {
        id: v.jobVertex.id,
        name: v.jobVertex.name,
        parallelism: v.parallelism,
        maxParallelism: v.jobVertex.maxParallelism,
        now,
        subtasks: v.executions.map((e) => subtaskJson(e, now)),
        aggregated: aggregatedSubtasksJson(v.executions, now),
      },
    };
  });

  router.add('GET', '/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex', ({ params }) => ({
    status: 200,
    body: subtaskJson(subtask(params.jobid!, params.vertexid!, params.subtaskindex!), Date.now()),
  }));

  // Only the current attempt is kept; earlier attempts are gone once a subtask restarts.
  router.add('GET', '/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/attempts/:attempt', ({ params }) => {
    const execution = subtask(params.jobid!, params.vertexid!, params.subtaskindex!);
    if (!/^\d+$/.test(params.attempt!)) throw new BadRequestError(`Bad request, could not parse parameters: Cannot parse attempt number from "${params.attempt}".`);
    if (Number(params.attempt) !== execution.attemptNumber) {
      throw new NotFoundError(`Attempt ${params.attempt} not found for subtask ${execution.subtaskIndex} of vertex ${params.vertexid}; the current attempt is ${execution.attemptNumber}.`);
    }
    return { status: 200, body: subtaskJson(execution, Date.now()) };
  });

  router.add('GET', '/jobs/:jobid/vertices/:vertexid/subtasktimes', ({ params }) => {
    const v = vertex(params.jobid!, params.vertexid!);
    const now = Date.now();
    return {
      status: 200,
      body: {
        id: v.jobVertex.id,
        name: v.jobVertex.name,
        now,
        subtasks: v.executions.map((e) => ({
          subtask: e.subtaskIndex,
          host: e.host ?? '(unassigned)',
          duration: executionTimes(e, now).duration,
          timestamps: Object.fromEntries(EXECUTION_STATES.map((s) => [s, e.timestamps[s] ?? 0])),
        })),
      },
    };
  });

  router.add('GET', '/jobs/:jobid/vertices/:vertexid/taskmanagers', ({ params }) => {
    const v = vertex(params.jobid!, params.vertexid!);
    const now = Date.now();
    const byTaskManager = new Map<string, Execution[]>();
    for (const e of v.executions) {
      const id = e.resourceId ?? '(unassigned)';
      const executions = byTaskManager.get(id);
      if (executions) executions.push(e);
      else byTaskManager.set(id, [e]);
    }
    return {
      status: 200,
      body: {
        id: v.jobVertex.id,
        name: v.jobVertex.name,
        now,
        taskmanagers: [...byTaskManager].map(([id, executions]) => {
          const counts = Object.fromEntries(EXECUTION_STATES.map((s) => [s, executions.filter((e) => e.state === s).length]));
          const starts = executions.map((e) => executionTimes(e, now).start).filter((t) => t >= 0);
          const start = starts.length > 0 ? Math.min(...starts) : -1;
          const ended = executions.every((e) => e.isTerminal());
          const end = ended ? Math.max(...executions.map((e) => executionTimes(e, now).end)) : -1;
          return {
            host: executions[0]!.host ?? '(unassigned)',
            'taskmanager-id': id,
            status: aggregateExecutionState(executions),
            'start-time': start,
            'end-time': end,
            duration: start < 0 ? -1 : (end >= 0 ? end : now) - start,
            metrics: ioMetricsJson(executions),
            'status-counts': counts,
            aggregated: aggregatedSubtasksJson(executions, now),
          };
        }),
      },
    };
  });

  // Flink's JobVertexBackPressureHandler, from each subtask's backPressured/idle/busyTimeMsPerSecond.
  router.add('GET', '/jobs/:jobid/vertices/:vertexid/backpressure', ({ params }) => {
    const v = vertex(params.jobid!, params.vertexid!);
    const subtasks = [];
    for (const e of v.executions) {
      const metrics = subtaskMetrics(e);
      const ratio = (name: string) => {
        const value = Number(metrics.get(name));
        return Number.isFinite(value) ? value / 1000 : undefined;
      };
      const backPressured = ratio('backPressuredTimeMsPerSecond');
      if (backPressured === undefined) continue;
      const level = backPressureLevel(backPressured);
      subtasks.push({
        subtask: e.subtaskIndex,
        'attempt-number': e.attemptNumber,
        backpressureLevel: level,
        'backpressure-level': level,
        ratio: backPressured,
        idleRatio: ratio('idleTimeMsPerSecond') ?? 0,
        busyRatio: ratio('busyTimeMsPerSecond') ?? 0,
      });
    }
    if (subtasks.length === 0) return { status: 200, body: { status: 'deprecated' } };
    const level = backPressureLevel(Math.max(...subtasks.map((s) => s.ratio)));
    return {
      status: 200,
      body: { status: 'ok', backpressureLevel: level, 'backpressure-level': level, 'end-timestamp': Date.now(), subtasks },
    };
  });

  // Flink's JobVertexFlameGraphHandler: -2 while rest.flamegraph.enabled is false, -1 once the vertex ended, -3 while
  // its first sampling runs (VertexFlameGraphStatsTracker).
  router.add('GET', '/jobs/:jobid/vertices/:vertexid/flamegraph', ({ params, query }) => {
    const v = vertex(params.jobid!, params.vertexid!);
    const type = flameGraphType(query.get('type'));
    const index = query.get('subtaskindex');
    if (index !== null && (!/^\d+$/.test(index) || Number(index) >= v.parallelism)) {
      throw new BadRequestError(`Bad request, could not parse parameters: Cannot parse subtask index from "${index}".`);
    }
    if (!services.flameGraphs) return { status: 200, body: FLAME_GRAPH_DISABLED };
    if (isTerminalExecutionState(aggregateExecutionState(v.executions))) return { status: 200, body: FLAME_GRAPH_TERMINATED };
    return { status: 200, body: services.flameGraphs.flameGraph(parseJobId(params.jobid!), v, type, index === null ? undefined : Number(index)) };
  });

  // tsflink has no accumulators: the shapes are Flink's, the lists empty.
  router.add('GET', '/jobs/:jobid/accumulators', ({ params }) => {
    requireJob(dispatcher, params.jobid!);
    return { status: 200, body: { 'job-accumulators': [], 'user-task-accumulators': [], 'serialized-user-task-accumulators': {} } };
  });
  router.add('GET', '/jobs/:jobid/vertices/:vertexid/accumulators', ({ params }) => {
    const v = vertex(params.jobid!, params.vertexid!);
    return { status: 200, body: { id: v.jobVertex.id, 'user-accumulators': [] } };
  });
  router.add('GET', '/jobs/:jobid/vertices/:vertexid/subtasks/accumulators', ({ params }) => {
    const v = vertex(params.jobid!, params.vertexid!);
    return {
      status: 200,
      body: {
        id: v.jobVertex.id,
        parallelism: v.parallelism,
        subtasks: v.executions.map((e) => ({ subtask: e.subtaskIndex, attempt: e.attemptNumber, host: e.host ?? '(unassigned)', 'user-accumulators': [] })),
      },
    };
  });
}

/** ok up to 10% of the time backpressured, low up to 50%, high above (Flink's thresholds). */
function backPressureLevel(ratio: number): 'ok' | 'low' | 'high' {
  if (ratio <= 0.1) return 'ok';
  if (ratio <= 0.5) return 'low';
  return 'high';
}

/** Flink's SubtaskExecutionAttemptDetailsInfo. */
function subtaskJson(e: Execution, now: number): Record<string, unknown> {
  const { start, end, duration } = executionTimes(e, now);
  return {
    subtask: e.subtaskIndex,
    status: e.state,
    attempt: e.attemptNumber,
    host: e.host ?? '(unassigned)',
    'start-time': start,
    'end-time': end,
    duration,
    metrics: ioMetricsJson([e]),
    'taskmanager-id': e.resourceId ?? '(unassigned)',
    'status-duration': statusDurations(e, now),
  };
}

function executionTimes(e: Execution, now: number): { start: number; end: number; duration: number } {
  const start = e.timestamps.DEPLOYING ?? -1;
  const end = e.isTerminal() ? (e.timestamps[e.state] ?? -1) : -1;
  return { start, end, duration: start < 0 ? -1 : (end >= 0 ? end : now) - start };
}

/** Flink's IOMetricsInfo, summed over the given executions. */
export function ioMetricsJson(executions: readonly Execution[]): Record<string, unknown> {
  const sum = (pick: (io: NonNullable<Execution['metrics']>['io']) => number) => executions.reduce((total, e) => total + (e.metrics ? pick(e.metrics.io) : 0), 0);
  const complete = executions.every((e) => e.metrics !== undefined);
  return {
    'read-bytes': sum((m) => m.bytesIn),
    'read-bytes-complete': complete,
    'write-bytes': sum((m) => m.bytesOut),
    'write-bytes-complete': complete,
    'read-records': sum((m) => m.recordsIn),
    'read-records-complete': complete,
    'write-records': sum((m) => m.recordsOut),
    'write-records-complete': complete,
    'accumulated-backpressured-time': sum((m) => m.accumulatedBackPressuredMs),
    'accumulated-idle-time': sum((m) => m.accumulatedIdleMs),
    'accumulated-busy-time': sum((m) => m.accumulatedBusyMs),
  };
}

/** Milliseconds an execution spent in each state on its way to RUNNING; -1 for a state it never entered. */
function statusDurations(execution: Execution, now: number): Record<string, number> {
  const result: Record<string, number> = {};
  for (let i = 0; i < LIFECYCLE_STATES.length; i++) {
    const state = LIFECYCLE_STATES[i]!;
    const entered = execution.timestamps[state];
    if (entered === undefined) {
      result[state] = -1;
      continue;
    }
    const left =
      LIFECYCLE_STATES.slice(i + 1).map((s) => execution.timestamps[s]).find((t) => t !== undefined) ??
      (execution.state === state ? now : (execution.timestamps[execution.state] ?? now));
    result[state] = left - entered;
  }
  return result;
}

/** Flink's AggregatedTaskDetailsInfo: min/max/avg/sum/median/p25/p75/p95 of each I/O metric and status duration. */
function aggregatedSubtasksJson(executions: readonly Execution[], now: number): Record<string, unknown> {
  const io = executions.map((e) => ioMetricsJson([e]));
  const metricKeys = ['read-bytes', 'write-bytes', 'read-records', 'write-records', 'accumulated-backpressured-time', 'accumulated-idle-time', 'accumulated-busy-time'];
  const durations = executions.map((e) => statusDurations(e, now));
  return {
    metrics: Object.fromEntries(metricKeys.map((k) => [k, statistics(io.map((m) => m[k] as number))])),
    'status-duration': Object.fromEntries(LIFECYCLE_STATES.map((s) => [s, statistics(durations.map((d) => d[s]!).filter((d) => d >= 0))])),
  };
}

function statistics(values: number[]): Record<string, number> {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, sum: 0, median: 0, p25: 0, p75: 0, p95: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  const percentile = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { min: sorted[0]!, max: sorted[sorted.length - 1]!, avg: sum / sorted.length, sum, median: percentile(50), p25: percentile(25), p75: percentile(75), p95: percentile(95) };
}

/** Flink's FlameGraphTypeQueryParameter: full (default), on_cpu or off_cpu, in any case. */
function flameGraphType(value: string | null): FlameGraphType {
  if (value === null) return 'FULL';
  const type = value.toUpperCase();
  if (type === 'FULL' || type === 'ON_CPU' || type === 'OFF_CPU') return type;
  throw new BadRequestError(`Bad request, could not parse parameters: Cannot parse flame graph type from "${value}" (FULL, ON_CPU or OFF_CPU).`);
}
