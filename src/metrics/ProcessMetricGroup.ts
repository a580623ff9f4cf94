import { cpus } from 'node:os';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { ComponentMetricGroup, type MetricEntry } from './MetricGroup.js';

/** How often CPU load, event-loop delay and utilization are sampled. */
const SAMPLE_INTERVAL_MS = 5_000;

/** V8's garbage collections under the names of the JVM's collectors they correspond to. */
const GC_NAMES: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'Scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'MarkSweepCompact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'IncrementalMarking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'ProcessWeakCallbacks',
};

/**
 * The most memory V8 gives an isolate's compiled code (its code range on 64-bit platforms): what `Metaspace` (the
 * JVM's class metadata, bounded by -XX:MaxMetaspaceSize) stands for in a Node process, used against its bound.
 */
export const V8_CODE_RANGE_BYTES = 128 * 1024 * 1024;

/**
 * A JobManager's or TaskManager's process metrics under Flink's `Status.JVM.*` names where the meaning carries over
 * to Node (see docs/metrics.md for the mapping), plus Node's own `Status.Node.*` (event-loop delay and utilization).
 * `close()` stops the sampler and the GC observer.
 */
export class ProcessMetricGroup extends ComponentMetricGroup {
  private readonly timer: NodeJS.Timeout;
  private readonly gcObserver: PerformanceObserver;
  private readonly eventLoopDelay = monitorEventLoopDelay({ resolution: 20 });
  private readonly gc = new Map<string, { count: number; timeMs: number }>();
  /** `process.memoryUsage()` reads /proc: taken once per dump, not once per memory gauge. */
  private memory = process.memoryUsage();
  private lastCpu = process.cpuUsage();
  private lastSampleAt = performance.now();
  private lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();
  private cpuLoad = 0;
  private delay = { mean: 0, max: 0, p99: 0 };
  private utilization = 0;

  /** `workerThreads` counts the threads besides the main one (a TaskManager's subtasks). */
  constructor(workerThreads: () => number = () => 0) {
    super();
    const status = this.addGroup('Status');
    const jvm = status.addGroup('JVM');
    const cpu = jvm.addGroup('CPU');
    cpu.gauge('Load', () => this.cpuLoad);
    cpu.gauge('Time', () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) * 1000;
    });
    const memory = jvm.addGroup('Memory');
    const heap = memory.addGroup('Heap');
    heap.gauge('Used', () => this.memory.heapUsed);
    heap.gauge('Committed', () => this.memory.heapTotal);
    heap.gauge('Max', () => getHeapStatistics().heap_size_limit);
    const nonHeap = memory.addGroup('NonHeap');
    nonHeap.gauge('Used', () => this.memory.external);
    nonHeap.gauge('Committed', () => Math.max(0, this.memory.rss - this.memory.heapTotal));
    nonHeap.gauge('Max', () => -1);
    const metaspace = memory.addGroup('Metaspace');
    metaspace.gauge('Used', () => codeSpace().space_used_size);
    metaspace.gauge('Committed', () => codeSpace().physical_space_size);
    metaspace.gauge('Max', () => V8_CODE_RANGE_BYTES);
    const direct = memory.addGroup('Direct');
    direct.gauge('MemoryUsed', () => this.memory.arrayBuffers);
    direct.gauge('TotalCapacity', () => this.memory.arrayBuffers);
    jvm.addGroup('Threads').gauge('Count', () => 1 + workerThreads());
    const collectors = jvm.addGroup('GarbageCollector');
    const addCollector = (name: string) => {
      const stats = { count: 0, timeMs: 0 };
      this.gc.set(name, stats);
      const group = collectors.addGroup(name);
      group.gauge('Count', () => stats.count);
      group.gauge('Time', () => Math.round(stats.timeMs));
      return stats;
    };
    addCollector('Scavenge');
    addCollector('MarkSweepCompact');
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = ((entry as unknown as { detail?: { kind?: number } }).detail)?.kind;
        const name = (kind !== undefined && GC_NAMES[kind]) || 'Other';
        const stats = this.gc.get(name) ?? addCollector(name);
        stats.count++;
        stats.timeMs += entry.duration;
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
    const managed = status.addGroup('Flink').addGroup('Memory').addGroup('Managed');
    managed.gauge('Used', () => 0);
    managed.gauge('Total', () => 0);
    const node = status.addGroup('Node');
    const eventLoop = node.addGroup('EventLoop');
    const delay = eventLoop.addGroup('Delay');
    delay.gauge('Mean', () => this.delay.mean);
    delay.gauge('Max', () => this.delay.max);
    delay.gauge('P99', () => this.delay.p99);
    eventLoop.gauge('Utilization', () => this.utilization);
    node.addGroup('Memory').gauge('RSS', () => this.memory.rss);
    this.eventLoopDelay.enable();
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  override dump(operator: string, out: MetricEntry[], groups = ''): MetricEntry[] {
    this.memory = process.memoryUsage();
    return super.dump(operator, out, groups);
  }

  close(): void {
    clearInterval(this.timer);
    this.gcObserver.disconnect();
    this.eventLoopDelay.disable();
  }

  private sample(): void {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMicros = (now - this.lastSampleAt) * 1000;
    this.cpuLoad = elapsedMicros > 0 ? Math.min(1, (cpu.user + cpu.system) / (elapsedMicros * cpus().length)) : 0;
    this.lastCpu = process.cpuUsage();
    this.lastSampleAt = now;
    const h = this.eventLoopDelay;
    this.delay = { mean: nanosToMs(h.mean), max: nanosToMs(h.max), p99: nanosToMs(h.percentile(99)) };
    h.reset();
    const utilization = performance.eventLoopUtilization(this.lastUtilization);
    this.lastUtilization = performance.eventLoopUtilization();
    this.utilization = utilization.utilization;
  }
}

function codeSpace(): { space_used_size: number; physical_space_size: number } {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'code_space') ?? { space_used_size: 0, physical_space_size: 0 };
}

function nanosToMs(nanos: number): number {
  return Number.isFinite(nanos) ? Math.round(nanos / 1000) / 1000 : 0;
}
