import { V8_CODE_RANGE_BYTES } from '../../../metrics/ProcessMetricGroup.js';
import type { TaskManagerView } from '../../resourcemanager/types.js';
import { ClusterOptions } from '../../../common/config/options.js';
import { NotFoundError, RestHandlerError } from '../RestHandlerError.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

const MB = 1024 * 1024;

/** GET /taskmanagers and /taskmanagers/:taskmanagerid. */
export function registerTaskManagerHandlers(router: Router, services: JobManagerServices): void {
  const { resourceManager } = services;

  router.add('GET', '/taskmanagers', () => ({
    status: 200,
    body: { taskmanagers: resourceManager.getTaskManagers().map((tm) => taskManagerInfo(tm, resourceManager.slotManager.freeSlotsOf(tm.registration.resourceId))) },
  }));

  // Flink's TaskManagerThreadDumpHandler: the TaskExecutor's own dump, asked for over RPC.
  router.add('GET', '/taskmanagers/:taskmanagerid/thread-dump', async ({ params }) => {
    const tm = resourceManager.getTaskManager(params.taskmanagerid!);
    if (!tm) throw new NotFoundError(`Could not find TaskExecutor ${params.taskmanagerid}.`);
    try {
      return { status: 200, body: await tm.gateway.requestThreadDump(services.configuration.get(ClusterOptions.THREAD_DUMP_STACKTRACE_MAX_DEPTH)) };
    } catch (error) {
      throw new RestHandlerError(`Could not get the thread dump of TaskExecutor ${params.taskmanagerid}.`, 500, { cause: error });
    }
  });

  router.add('GET', '/taskmanagers/:taskmanagerid', ({ params }) => {
    const tm = resourceManager.getTaskManager(params.taskmanagerid!);
    if (!tm) throw new NotFoundError(`Could not find TaskExecutor ${params.taskmanagerid}.`);
    const metric = (id: string) => numericMetric(tm, id);
    return {
      status: 200,
      body: {
        ...taskManagerInfo(tm, resourceManager.slotManager.freeSlotsOf(tm.registration.resourceId)),
        allocatedSlots: resourceManager.slotManager
          .slotsOf(tm.registration.resourceId)
          .filter((s) => s.allocationId !== '')
          .map((s) => ({ jobId: s.jobId, resource: resourceProfile(tm, 1) })),
        metrics: {
          heapUsed: metric('Status.JVM.Memory.Heap.Used'),
          heapCommitted: metric('Status.JVM.Memory.Heap.Committed'),
          heapMax: metric('Status.JVM.Memory.Heap.Max'),
          nonHeapUsed: metric('Status.JVM.Memory.NonHeap.Used'),
          nonHeapCommitted: metric('Status.JVM.Memory.NonHeap.Committed'),
          nonHeapMax: -1,
          directCount: 0,
          directUsed: metric('Status.JVM.Memory.Direct.MemoryUsed'),
          directMax: -1,
          mappedCount: 0,
          mappedUsed: 0,
          mappedMax: -1,
          memorySegmentsAvailable: 0,
          memorySegmentsTotal: 0,
          nettyShuffleMemorySegmentsAvailable: 0,
          nettyShuffleMemorySegmentsUsed: 0,
          nettyShuffleMemorySegmentsTotal: 0,
          nettyShuffleMemoryAvailable: 0,
          nettyShuffleMemoryUsed: 0,
          nettyShuffleMemoryTotal: 0,
          garbageCollectors: garbageCollectors(tm),
        },
      },
    };
  });
}

/** Flink's TaskManagerInfo. Memory figures are the TaskManager process's V8 heap: Node has no JVM memory model. */
function taskManagerInfo(tm: TaskManagerView, freeSlots: number): Record<string, unknown> {
  const { registration } = tm;
  const heapMax = numericMetric(tm, 'Status.JVM.Memory.Heap.Max');
  return {
    id: registration.resourceId,
    path: registration.address,
    dataPort: registration.dataPort,
    jmxPort: -1,
    timeSinceLastHeartbeat: tm.lastHeartbeat,
    slotsNumber: registration.numberOfSlots,
    freeSlots,
    totalResource: resourceProfile(tm, registration.numberOfSlots),
    freeResource: resourceProfile(tm, freeSlots),
    hardware: {
      cpuCores: registration.hardware.cpuCores,
      physicalMemory: registration.hardware.physicalMemory,
      freeMemory: registration.hardware.freeMemory,
      managedMemory: registration.hardware.managedMemory,
    },
    memoryConfiguration: {
      frameworkHeap: 0,
      taskHeap: heapMax,
      frameworkOffHeap: 0,
      taskOffHeap: 0,
      networkMemory: 0,
      managedMemory: registration.hardware.managedMemory,
      jvmMetaspace: V8_CODE_RANGE_BYTES,
      jvmOverhead: 0,
      totalFlinkMemory: heapMax,
      totalProcessMemory: numericMetric(tm, 'Status.Node.Memory.RSS'),
    },
    blocked: false,
  };
}

/** The resources of `slots` slots: CPU cores and heap split evenly over the TaskManager's slots, memory in MB. */
function resourceProfile(tm: TaskManagerView, slots: number): Record<string, unknown> {
  const { numberOfSlots, hardware } = tm.registration;
  const share = numberOfSlots > 0 ? slots / numberOfSlots : 0;
  return {
    cpuCores: hardware.cpuCores * share,
    taskHeapMemory: Math.floor((numericMetric(tm, 'Status.JVM.Memory.Heap.Max') * share) / MB),
    taskOffHeapMemory: 0,
    managedMemory: Math.floor((hardware.managedMemory * share) / MB),
    networkMemory: 0,
    extendedResources: {},
  };
}

/** A process metric of the TaskManager's newest heartbeat, 0 before the first. */
function numericMetric(tm: TaskManagerView, id: string): number {
  const value = Number(tm.metrics.get(id));
  return Number.isFinite(value) ? value : 0;
}

/** `[{name, count, time}]` from the `Status.JVM.GarbageCollector.<name>.Count|Time` metrics. */
function garbageCollectors(tm: TaskManagerView): Array<{ name: string; count: number; time: number }> {
  const prefix = 'Status.JVM.GarbageCollector.';
  const names = [...tm.metrics.keys()].filter((id) => id.startsWith(prefix) && id.endsWith('.Count')).map((id) => id.slice(prefix.length, -'.Count'.length));
  return names.map((name) => ({ name, count: numericMetric(tm, `${prefix}${name}.Count`), time: numericMetric(tm, `${prefix}${name}.Time`) }));
}
