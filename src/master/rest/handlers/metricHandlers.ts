import type { GaugeValue } from '../../../job/metrics.js';
import type { Execution } from '../../executiongraph/ExecutionGraph.js';
import type { JobMaster } from '../../jobmaster/JobMaster.js';
import { jobMetrics } from '../../metrics/JobManagerMetrics.js';
import { aggregatedMetrics, metricCollection, parseIdList, parseIndexRanges, subtaskMetrics, type MetricValues } from '../../metrics/MetricQueries.js';
import { BadRequestError } from '../RestHandlerError.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';
import { parseJobId } from './pathParameters.js';

const NONE: MetricValues = new Map<string, GaugeValue>();

/**
 * The metric endpoints (Flink's metrics handlers): collections for the JobManager, a TaskManager, a job, a vertex and
 * a subtask; aggregations over TaskManagers, jobs and subtasks; and a vertex's watermarks. As in Flink, a component
 * without metrics (unknown, or not reported yet) answers an empty list.
 */
export function registerMetricHandlers(router: Router, services: JobManagerServices): void {
  const { resourceManager, dispatcher, metrics } = services;
  const job = (jobId: string): JobMaster | undefined => dispatcher.getJob(parseJobId(jobId));
  const executions = (jobId: string, vertexId: string): readonly Execution[] =>
    job(jobId)?.graph.vertices.find((v) => v.jobVertex.id === vertexId)?.executions ?? [];

  router.add('GET', '/jobmanager/metrics', ({ query }) => ({ status: 200, body: metricCollection(metrics.values(), query) }));

  router.add('GET', '/taskmanagers/metrics', ({ query }) => {
    const wanted = parseIdList(query, 'taskmanagers');
    const components = resourceManager
      .getTaskManagers()
      .filter((tm) => !wanted || wanted.has(tm.registration.resourceId))
      .map((tm) => tm.metrics);
    return { status: 200, body: aggregatedMetrics(components, query) };
  });

  router.add('GET', '/taskmanagers/:taskmanagerid/metrics', ({ params, query }) => ({
    status: 200,
    body: metricCollection(resourceManager.getTaskManager(params.taskmanagerid!)?.metrics ?? NONE, query),
  }));

  router.add('GET', '/jobs/metrics', ({ query }) => {
    const wanted = parseIdList(query, 'jobs');
    const components = dispatcher
      .listJobs()
      .filter((j) => !wanted || wanted.has(j.jobId))
      .map((j) => dispatcher.getJob(j.jobId))
      .filter((j): j is JobMaster => j !== undefined)
      .map((j) => jobMetrics(j));
    return { status: 200, body: aggregatedMetrics(components, query) };
  });

  router.add('GET', '/jobs/:jobid/metrics', ({ params, query }) => {
    const j = job(params.jobid!);
    return { status: 200, body: metricCollection(j ? jobMetrics(j) : NONE, query) };
  });

  router.add('GET', '/jobs/:jobid/vertices/:vertexid/metrics', ({ params, query }) => {
    const values = new Map<string, GaugeValue>();
    for (const execution of executions(params.jobid!, params.vertexid!)) {
      for (const [id, value] of subtaskMetrics(execution)) values.set(`${execution.subtaskIndex}.${id}`, value);
    }
    return { status: 200, body: metricCollection(values, query) };
  });

  router.add('GET', '/jobs/:jobid/vertices/:vertexid/subtasks/metrics', ({ params, query }) => {
    const wanted = parseIndexRanges(query, 'subtasks');
    const components = executions(params.jobid!, params.vertexid!)
      .filter((e) => !wanted || wanted.has(e.subtaskIndex))
      .map(subtaskMetrics);
    return { status: 200, body: aggregatedMetrics(components, query) };
  });

  router.add('GET', '/jobs/:jobid/vertices/:vertexid/subtasks/:subtaskindex/metrics', ({ params, query }) => {
    const index = parseSubtaskIndex(params.subtaskindex!);
    const execution = executions(params.jobid!, params.vertexid!).find((e) => e.subtaskIndex === index);
    return { status: 200, body: metricCollection(execution ? subtaskMetrics(execution) : NONE, query) };
  });

  // Flink's JobVertexWatermarksHandler: each subtask's currentInputWatermark, as a metric collection.
  router.add('GET', '/jobs/:jobid/vertices/:vertexid/watermarks', ({ params }) => {
    const body: Array<{ id: string; value: string }> = [];
    for (const execution of executions(params.jobid!, params.vertexid!)) {
      const value = subtaskMetrics(execution).get('currentInputWatermark');
      if (value !== undefined) body.push({ id: `${execution.subtaskIndex}.currentInputWatermark`, value: String(value) });
    }
    return { status: 200, body };
  });
}


function parseSubtaskIndex(value: string): number {
  if (!/^\d+$/.test(value)) throw new BadRequestError(`Bad request, could not parse parameters: Cannot parse subtask index from "${value}".`);
  return Number(value);
}
