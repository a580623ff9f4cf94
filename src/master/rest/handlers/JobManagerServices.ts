import type { AsyncOperations } from '../AsyncOperations.js';
import type { VertexFlameGraphStatsTracker } from '../VertexFlameGraphStatsTracker.js';
import type { Configuration } from '../../../common/config/Configuration.js';
import type { Dispatcher } from '../../dispatcher/Dispatcher.js';
import type { JobManagerMetricGroup } from '../../metrics/JobManagerMetrics.js';
import type { ResourceManager } from '../../resourcemanager/ResourceManager.js';

/** The long-lived parts of the JobManager that REST handlers read. */
export interface JobManagerServices {
  configuration: Configuration;
  resourceManager: ResourceManager;
  dispatcher: Dispatcher;
  /** Results of savepoint, stop and rescaling triggers. */
  operations: AsyncOperations;
  /** The JobManager's own metrics (process, TaskManagers, slots, jobs). */
  metrics: JobManagerMetricGroup;
  /** The JobManager's own log file; without one there are no JobManager logs to serve. */
  logFile?: string;
  /** Flame graphs of job vertices; undefined while rest.flamegraph.enabled is false. */
  flameGraphs?: VertexFlameGraphStatsTracker;
}
