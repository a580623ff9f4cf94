import { Packr } from 'msgpackr';
import type { MetricEntry } from './MetricGroup.js';
import type { TaskMetricsSnapshot } from './TaskMetricGroup.js';

/** One running subtask's metrics, as its TaskExecutor reports them. */
export interface TaskMetricDump extends TaskMetricsSnapshot {
  jobId: string;
  attemptId: string;
}

/** What a TaskExecutor sends with each heartbeat: its process metrics and every running subtask's. */
export interface MetricDumps {
  process: MetricEntry[];
  tasks: TaskMetricDump[];
}

const packr = new Packr({ useRecords: false });

export function encodeMetricDumps(dumps: MetricDumps): Buffer {
  return packr.pack(dumps);
}

/** The heartbeat's dumps; an empty one (an older TaskExecutor, or none yet) is no metrics. */
export function decodeMetricDumps(bytes: Uint8Array): MetricDumps {
  if (bytes.length === 0) return { process: [], tasks: [] };
  const dumps = packr.unpack(bytes) as MetricDumps;
  return { process: dumps.process ?? [], tasks: dumps.tasks ?? [] };
}
