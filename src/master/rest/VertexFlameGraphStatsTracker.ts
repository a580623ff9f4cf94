import type { Configuration } from '../../common/config/Configuration.js';
import { RestOptions } from '../../common/config/options.js';
import type { Logger } from '../../common/Logger.js';
import type { Clock } from '../../common/time/Clock.js';
import { IllegalConfigurationError } from '../../common/errors.js';
import { MAX_SAMPLING_DURATION_MS } from '../../common/process/StackSampling.js';
import type { SubtaskStackSamples } from '../../taskmanager/TaskExecutorGateway.js';
import type { Execution, ExecutionJobVertex } from '../executiongraph/ExecutionGraph.js';

/** Flink's flame graph types: on-CPU (the threads' busy stacks), off-CPU (their idle time), or both. */
export type FlameGraphType = 'FULL' | 'ON_CPU' | 'OFF_CPU';

/** A node of Flink's VertexFlameGraph: a frame, the samples in it and below it, the frames it called. */
export interface FlameGraphNode {
  name: string;
  value: number;
  children: FlameGraphNode[];
}

/** Flink's VertexFlameGraph: `endTimestamp` -1 terminated, -2 disabled, -3 waiting for the first samples. */
export type VertexFlameGraph = { endTimestamp: number; data: FlameGraphNode } | { endTimestamp: -1 | -2 | -3 };

export const FLAME_GRAPH_TERMINATED = { endTimestamp: -1 } as const;
export const FLAME_GRAPH_DISABLED = { endTimestamp: -2 } as const;
export const FLAME_GRAPH_WAITING = { endTimestamp: -3 } as const;

/** The idle stack of a sampled thread (V8's `(idle)`): off-CPU time. */
const IDLE_FRAME = '(idle)';

interface VertexSamples {
  /** When the sampling ended. */
  endTimestamp: number;
  /** By subtask index. */
  samples: Map<number, SubtaskStackSamples['samples']>;
  lastRead: number;
}

export interface FlameGraphConfig {
  refreshIntervalMs: number;
  cleanupIntervalMs: number;
  samplingDurationMs: number;
  stackDepth: number;
}

/** The rest.flamegraph.* keys; a sampling longer than the TaskExecutors do (MAX_SAMPLING_DURATION_MS) is refused. */
export function flameGraphConfig(configuration: Configuration): FlameGraphConfig {
  const duration = configuration.get(RestOptions.FLAMEGRAPH_NUM_SAMPLES) * configuration.get(RestOptions.FLAMEGRAPH_DELAY);
  if (!(duration >= 1 && duration <= MAX_SAMPLING_DURATION_MS)) {
    throw new IllegalConfigurationError(
      `${RestOptions.FLAMEGRAPH_NUM_SAMPLES.key} × ${RestOptions.FLAMEGRAPH_DELAY.key} is ${duration} ms; a flame graph's sampling lasts 1 ms to ${MAX_SAMPLING_DURATION_MS / 1000} s.`,
    );
  }
  return {
    refreshIntervalMs: configuration.get(RestOptions.FLAMEGRAPH_REFRESH_INTERVAL),
    cleanupIntervalMs: configuration.get(RestOptions.FLAMEGRAPH_CLEANUP_INTERVAL),
    samplingDurationMs: duration,
    stackDepth: Math.max(1, configuration.get(RestOptions.FLAMEGRAPH_STACK_DEPTH)),
  };
}

/**
 * Flame graphs of job vertices (Flink's VertexFlameGraphStatsTracker): the first request for a vertex starts a
 * sampling of its running subtasks' threads on their TaskExecutors and answers "waiting" (-3); later requests get the
 * graph of the newest sampling, and one older than `rest.flamegraph.refresh-interval` starts the next. One sampling
 * per vertex at a time; graphs unread for `rest.flamegraph.cleanup-interval` are dropped.
 */
export class VertexFlameGraphStatsTracker {
  private readonly stats = new Map<string, VertexSamples>();
  private readonly sampling = new Set<string>();

  constructor(
    private readonly config: FlameGraphConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** The vertex's flame graph for `type` (of one subtask if `subtaskIndex` is given), or WAITING while it is sampled. */
  flameGraph(jobId: string, vertex: ExecutionJobVertex, type: FlameGraphType, subtaskIndex: number | undefined): VertexFlameGraph {
    const key = `${jobId}/${vertex.jobVertex.id}`;
    const now = this.clock.now();
    this.cleanUp(now);
    const stats = this.stats.get(key);
    if (!stats || now - stats.endTimestamp >= this.config.refreshIntervalMs) this.sample(key, vertex);
    if (!stats) return FLAME_GRAPH_WAITING;
    stats.lastRead = now;
    const samples = subtaskIndex === undefined ? [...stats.samples.values()].flat() : (stats.samples.get(subtaskIndex) ?? []);
    return { endTimestamp: stats.endTimestamp, data: flameGraphTree(samples, type, this.config.stackDepth) };
  }

  private sample(key: string, vertex: ExecutionJobVertex): void {
    if (this.sampling.has(key)) return;
    const running = vertex.executions.filter((e) => e.state === 'RUNNING' && e.location);
    if (running.length === 0) return;
    this.sampling.add(key);
    const byTaskExecutor = new Map<string, Execution[]>();
    for (const e of running) {
      const executions = byTaskExecutor.get(e.location!.resourceId);
      if (executions) executions.push(e);
      else byTaskExecutor.set(e.location!.resourceId, [e]);
    }
    const indexOf = new Map(running.map((e) => [e.attemptId, e.subtaskIndex]));
    const requests = [...byTaskExecutor.values()].map((executions) =>
      executions[0]!.location!.gateway.requestThreadInfoSamples(
        executions.map((e) => e.attemptId),
        this.config.samplingDurationMs,
      ),
    );
    void Promise.allSettled(requests)
      .then((results) => {
        const samples = new Map<number, SubtaskStackSamples['samples']>();
        for (const result of results) {
          if (result.status === 'rejected') {
            this.log.warn(`Could not sample the threads of ${vertex.jobVertex.name}: ${(result.reason as Error).message}`);
            continue;
          }
          for (const subtask of result.value) {
            const index = indexOf.get(subtask.attemptId);
            if (index !== undefined) samples.set(index, subtask.samples);
          }
        }
        const now = this.clock.now();
        this.stats.set(key, { endTimestamp: now, samples, lastRead: now });
      })
      .finally(() => this.sampling.delete(key));
  }

  private cleanUp(now: number): void {
    for (const [key, stats] of this.stats) if (now - stats.lastRead >= this.config.cleanupIntervalMs) this.stats.delete(key);
  }
}

/** The stacks as Flink's flame graph tree: `root`, then frames from the outermost in; each node's value its samples. */
export function flameGraphTree(samples: SubtaskStackSamples['samples'], type: FlameGraphType, stackDepth: number): FlameGraphNode {
  const root: FlameGraphNode = { name: 'root', value: 0, children: [] };
  for (const { frames, count } of samples) {
    const idle = frames.length === 1 && frames[0] === IDLE_FRAME;
    if ((type === 'ON_CPU' && idle) || (type === 'OFF_CPU' && !idle)) continue;
    root.value += count;
    let node = root;
    for (const frame of frames.slice(0, stackDepth)) {
      let child = node.children.find((c) => c.name === frame);
      if (!child) node.children.push((child = { name: frame, value: 0, children: [] }));
      child.value += count;
      node = child;
    }
  }
  return root;
}
