import type { TaskManagerView } from '../../resourcemanager/types.js';
import { NotFoundError } from '../RestHandlerError.js';
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

  router.add('GET', '/taskmanagers/:taskmanagerid', ({ params }) => {
    const tm = resourceManager.getTaskManager(params.taskmanagerid!);
    if (!tm) throw new NotFoundError(`Could not find TaskExecutor ${params.taskmanagerid}.`);
    const metrics = tm.metrics;
    return {
      status: 200,
      body: {
        ...taskManagerInfo(tm, resourceManager.slotManager.freeSlotsOf(tm.registration.resourceId)),
        allocatedSlots: resourceManager.slotManager
          .slotsOf(tm.registration.resourceId)
          .filter((s) => s.allocationId !== '')
          .map((s) => ({ jobId: s.jobId, resource: resourceProfile(tm, 1) })),
        metrics: {
          heapUsed: metrics?.heapUsed ?? 0,
          heapCommitted: metrics?.heapCommitted ?? 0,
          heapMax: metrics?.heapMax ?? 0,
          nonHeapUsed: metrics?.external ?? 0,
          nonHeapCommitted: metrics?.external ?? 0,
          nonHeapMax: -1,
          directCount: 0,
          directUsed: metrics?.arrayBuffers ?? 0,
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
          garbageCollectors: [],
        },
      },
    };
  });
}

/** Flink's TaskManagerInfo. Memory figures are the TaskManager process's V8 heap: Node has no JVM memory model. */
function taskManagerInfo(tm: TaskManagerView, freeSlots: number): Record<string, unknown> {
  const { registration } = tm;
  const heapMax = tm.metrics?.heapMax ?? 0;
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
      jvmMetaspace: 0,
      jvmOverhead: 0,
      totalFlinkMemory: heapMax,
      totalProcessMemory: tm.metrics?.rss ?? 0,
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
    taskHeapMemory: Math.floor(((tm.metrics?.heapMax ?? 0) * share) / MB),
    taskOffHeapMemory: 0,
    managedMemory: Math.floor((hardware.managedMemory * share) / MB),
    networkMemory: 0,
    extendedResources: {},
  };
}
