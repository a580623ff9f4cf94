import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sink, Source } from './connectors.js';
import type { AggregateFunction, Key, KeyedProcessFunction } from './functions.js';
import type { WatermarkStrategy } from './watermarks.js';
import type { WindowAssigner } from './windowing.js';

/** How records travel from an upstream operator to this one. */
export type Partitioning =
  | { kind: 'default' }
  | { kind: 'forward' }
  | { kind: 'rebalance' }
  | { kind: 'hash'; keySelector: (value: any) => Key };

/** What an operator does; the runtime instantiates one per subtask. Functions are already resolved to plain functions. */
export type OperatorSpec =
  | { kind: 'source'; source: Source<any>; watermarkStrategy: WatermarkStrategy<any> }
  | { kind: 'map'; fn: (value: any) => any }
  | { kind: 'filter'; fn: (value: any) => boolean }
  | { kind: 'flatMap'; fn: (value: any, out: { collect(v: any): void }) => void }
  | { kind: 'process'; fn: (value: any, ctx: any, out: { collect(v: any): void }) => void }
  | { kind: 'keyedProcess'; fn: KeyedProcessFunction<any, any, any> }
  | {
      kind: 'window';
      assigner: WindowAssigner;
      aggregate: AggregateFunction<any, any, any>;
      windowFunction: ((key: any, ctx: any, elements: Iterable<any>, out: { collect(v: any): void }) => void) | undefined;
    }
  | { kind: 'sink'; sink: Sink<any> };

/** One step of the pipeline as the user built it (Flink's Transformation). */
export class Transformation {
  uid: string | undefined;
  parallelism: number | undefined;
  maxParallelism: number | undefined;

  constructor(
    readonly id: number,
    public name: string,
    readonly operator: OperatorSpec,
    readonly input: { transformation: Transformation; partitioning: Partitioning } | undefined,
  ) {}
}

/** Settings of the environment that shape the job graph. */
export interface PipelineConfig {
  parallelism: number | undefined;
  maxParallelism: number;
  chaining: boolean;
  checkpointInterval: number | undefined;
}

/** What `execute()` hands to the cluster. */
export interface Pipeline {
  jobName: string;
  sinks: readonly Transformation[];
  config: PipelineConfig;
}

export interface JobExecutionResult {
  jobId: string;
}

/**
 * The cluster's side of `execute()`. The runtime installs one for the duration of a job's `main`; a program run
 * outside a cluster has none.
 */
export interface PipelineExecutor {
  execute(pipeline: Pipeline): Promise<JobExecutionResult>;
}

/**
 * The executor of the `main` that is running, per asynchronous context: two programs whose `main`s run at the same
 * time in one process (the JobManager compiling two submissions) each see their own, across their awaits.
 */
const currentExecutor = new AsyncLocalStorage<PipelineExecutor>();
/** `main`s running now. */
let running = 0;

/**
 * Runs `main` with `executor` as the cluster's side of every `execute()` it calls (also after awaits). The storage is
 * disabled again once no `main` runs: on Node 20 an enabled AsyncLocalStorage keeps promise hooks on for the whole
 * thread, which would cost every promise of the subtask that compiled its program (~10 % of a task's throughput).
 */
export async function runWithPipelineExecutor<T>(executor: PipelineExecutor, main: () => T | Promise<T>): Promise<T> {
  running++;
  try {
    return await currentExecutor.run(executor, main);
  } finally {
    if (--running === 0) currentExecutor.disable();
  }
}

export function getPipelineExecutor(): PipelineExecutor | undefined {
  return currentExecutor.getStore();
}
