import { buildJobGraph, describeJobGraph, type JobGraphDescription } from '../../../src/graph/JobGraph.js';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type Sink, type Source } from '../../../src/job/index.js';
import { runWithPipelineExecutor, type Pipeline } from '../../../src/job/transformations.js';

/** A source and a sink for job graphs that are scheduled but never run (the TaskExecutors are fakes). */
export const NEVER_RUN_SOURCE: Source<{ page: string }> = {
  connectorName: 'test',
  createReader: () => {
    throw new Error('not run');
  },
};
export const NEVER_RUN_SINK: Sink<unknown> = {
  connectorName: 'test',
  createWriter: async () => {
    throw new Error('not run');
  },
};

/** The pipeline a program builds with `env`, as execute() hands it to the cluster. */
export async function pipelineOf(build: (env: StreamExecutionEnvironment) => void, jobName = 'test job'): Promise<Pipeline> {
  let captured: Pipeline | undefined;
  await runWithPipelineExecutor({ execute: async (p) => ((captured = p), { jobId: 'test' }) }, async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    build(env);
    await env.execute(jobName);
  });
  return captured!;
}

/** The job graph as the JobManager gets it from a program thread: its description, without functions. */
export async function jobGraphOf(build: (env: StreamExecutionEnvironment) => void, defaultParallelism = 1): Promise<JobGraphDescription> {
  return describeJobGraph(buildJobGraph(await pipelineOf(build), { defaultParallelism }));
}

/** ClickEventCount's shape: source → keyBy → 15 s windows → sink, unchained (three vertices). */
export function clickEventCountShape(options: { checkpointInterval?: number } = {}) {
  return (env: StreamExecutionEnvironment): void => {
    env.disableOperatorChaining();
    if (options.checkpointInterval !== undefined) env.enableCheckpointing(options.checkpointInterval);
    env
      .fromSource(NEVER_RUN_SOURCE, WatermarkStrategy.forBoundedOutOfOrderness(200), 'ClickEvent Source')
      .keyBy((e) => e.page)
      .window(TumblingEventTimeWindows.of(15_000))
      .aggregate({ createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n, merge: (a, b) => a + b })
      .name('ClickEvent Counter')
      .sinkTo(NEVER_RUN_SINK)
      .name('ClickEventStatistics Sink');
  };
}
