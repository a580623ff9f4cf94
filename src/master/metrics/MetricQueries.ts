import type { GaugeValue } from '../../job/metrics.js';
import { metricId, metricValueString } from '../../metrics/MetricGroup.js';
import type { Execution } from '../executiongraph/ExecutionGraph.js';
import { BadRequestError } from '../rest/RestHandlerError.js';

/** The metrics of one component (a process, a job, a subtask) by REST id. */
export type MetricValues = ReadonlyMap<string, GaugeValue>;

/** A subtask's task and operator metrics by REST id (`numRecordsIn`, `<operator>.numRecordsIn`), from its newest report. */
export function subtaskMetrics(execution: Execution): MetricValues {
  return new Map(execution.metrics?.entries.map((entry) => [metricId(entry), entry[3]]) ?? []);
}

export const AGGREGATIONS = ['min', 'max', 'avg', 'sum'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** The ids named by `get=a,b` (repeatable), or undefined without `get`. */
function requestedIds(query: URLSearchParams): string[] | undefined {
  const values = query.getAll('get');
  if (values.length === 0) return undefined;
  return values.flatMap((v) => v.split(',')).map((id) => id.trim()).filter((id) => id !== '');
}

/**
 * Flink's MetricCollectionResponseBody: without `get` the available ids (`[{"id"}]`), with it the requested ones
 * that exist, values as strings (`[{"id","value"}]`). Unknown ids are left out, as Flink does.
 */
export function metricCollection(values: MetricValues, query: URLSearchParams): Array<{ id: string; value?: string }> {
  const ids = requestedIds(query);
  if (ids === undefined) return [...values.keys()].sort().map((id) => ({ id }));
  const result: Array<{ id: string; value: string }> = [];
  for (const id of ids) {
    const value = values.get(id);
    if (value !== undefined) result.push({ id, value: metricValueString(value) });
  }
  return result;
}

/** `agg=min,max` (any case); all four when absent. */
export function parseAggregations(query: URLSearchParams): Aggregation[] {
  const values = query.getAll('agg');
  if (values.length === 0) return [...AGGREGATIONS];
  const result: Aggregation[] = [];
  for (const raw of values.flatMap((v) => v.split(','))) {
    const agg = raw.trim().toLowerCase();
    if (!(AGGREGATIONS as readonly string[]).includes(agg)) {
      throw new BadRequestError(`Bad request, could not parse parameters: Cannot resolve query parameter (agg) from value "${raw.trim()}". Use one of ${AGGREGATIONS.join(', ')}.`);
    }
    if (!result.includes(agg as Aggregation)) result.push(agg as Aggregation);
  }
  return result;
}

/**
 * Flink's AggregatedMetricsResponseBody over several components (TaskManagers, jobs, subtasks): without `get` the ids
 * any of them has, with it `{"id", "min", "max", "avg", "sum"}` (the requested aggregations, numbers) per requested id
 * that has a numeric value somewhere.
 */
export function aggregatedMetrics(components: readonly MetricValues[], query: URLSearchParams): Array<Record<string, unknown>> {
  const ids = requestedIds(query);
  const aggregations = parseAggregations(query);
  if (ids === undefined) {
    const all = new Set<string>();
    for (const component of components) for (const id of component.keys()) all.add(id);
    return [...all].sort().map((id) => ({ id }));
  }
  const result: Array<Record<string, unknown>> = [];
  for (const id of ids) {
    const numbers: number[] = [];
    for (const component of components) {
      const value = component.get(id);
      const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      if (Number.isFinite(number)) numbers.push(number);
    }
    if (numbers.length === 0) continue;
    const sum = numbers.reduce((a, b) => a + b, 0);
    const stats: Record<Aggregation, number> = { min: Math.min(...numbers), max: Math.max(...numbers), avg: sum / numbers.length, sum };
    const entry: Record<string, unknown> = { id };
    for (const agg of aggregations) entry[agg] = stats[agg];
    result.push(entry);
  }
  return result;
}

/** `subtasks=1,3,5-9` (Flink's SubtasksFilterQueryParameter), or undefined for all. */
export function parseIndexRanges(query: URLSearchParams, name: string): Set<number> | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  const result = new Set<number>();
  for (const part of values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) throw new BadRequestError(`Bad request, could not parse parameters: Cannot resolve query parameter (${name}) from value "${part}".`);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from || to - from > 32_768) throw new BadRequestError(`Bad request, could not parse parameters: Cannot resolve query parameter (${name}) from value "${part}".`);
    for (let i = from; i <= to; i++) result.add(i);
  }
  return result;
}

/** A comma-separated id list parameter (`taskmanagers=a,b`, `jobs=a,b`), or undefined for all. */
export function parseIdList(query: URLSearchParams, name: string): Set<string> | undefined {
  const values = query.getAll(name);
  if (values.length === 0) return undefined;
  return new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''));
}
