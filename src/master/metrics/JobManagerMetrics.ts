import type { GaugeValue } from '../../job/metrics.js';
import { metricId } from '../../metrics/MetricGroup.js';
import { ProcessMetricGroup } from '../../metrics/ProcessMetricGroup.js';
import type { Dispatcher } from '../dispatcher/Dispatcher.js';
import { isGloballyTerminal, type JobStatus } from '../executiongraph/JobStatus.js';
import type { JobMaster } from '../jobmaster/JobMaster.js';
import type { ResourceManager } from '../resourcemanager/ResourceManager.js';

/**
 * The JobManager's metrics (Flink's JobManagerMetricGroup): its process, the cluster's TaskManagers, slots and jobs.
 */
export class JobManagerMetricGroup extends ProcessMetricGroup {
  constructor(resourceManager: ResourceManager, dispatcher: Dispatcher) {
    super();
    this.gauge('numRegisteredTaskManagers', () => resourceManager.getTaskManagers().length);
    this.gauge('numPendingTaskManagers', () => 0);
    this.gauge('numRunningJobs', () => dispatcher.listJobs().filter((j) => !isGloballyTerminal(j.status)).length);
    this.gauge('taskSlotsAvailable', () => resourceManager.slotManager.getNumberFreeSlots());
    this.gauge('taskSlotsTotal', () => resourceManager.slotManager.getNumberRegisteredSlots());
  }

  values(): Map<string, GaugeValue> {
    return new Map(this.dump('', []).map((entry) => [metricId(entry), entry[3]]));
  }
}

/** The states whose time Flink reports as `<state>Time` (metrics.job.status.enable: CURRENT_TIME). */
const TIMED_STATES: ReadonlyArray<[JobStatus, string]> = [
  ['INITIALIZING', 'initializingTime'],
  ['CREATED', 'createdTime'],
  ['RUNNING', 'runningTime'],
  ['RESTARTING', 'restartingTime'],
  ['CANCELLING', 'cancellingTime'],
  ['FAILING', 'failingTime'],
];

/**
 * A job's metrics on the JobManager (Flink's JobManagerJobMetricGroup): restarts, the time in the current state
 * (`runningTime`, `restartingTime`, …; 0 when in another state), the deprecated `uptime` / `downtime` (-1 once the job
 * ended), and the checkpoint statistics when checkpointing is enabled.
 */
export function jobMetrics(job: JobMaster, now = Date.now()): Map<string, GaugeValue> {
  const status = job.status;
  const since = (s: JobStatus) => now - (job.graph.statusTimestamps[s] ?? now);
  const values = new Map<string, GaugeValue>([
    ['numRestarts', job.numRestarts],
    ['fullRestarts', job.numRestarts],
  ]);
  for (const [state, name] of TIMED_STATES) values.set(name, status === state ? since(state) : 0);
  const ended = isGloballyTerminal(status);
  values.set('uptime', ended ? -1 : status === 'RUNNING' ? since('RUNNING') : 0);
  values.set('downtime', ended ? -1 : status === 'FAILING' || status === 'RESTARTING' ? since(status) : 0);
  if (job.checkpointingEnabled) for (const [id, value] of Object.entries(job.checkpointCoordinator.stats.metrics())) values.set(id, value);
  return values;
}
