import type { Source } from './connectors.js';
import { DataStream } from './DataStream.js';
import { getPipelineExecutor, Transformation, type JobExecutionResult, type OperatorSpec, type Partitioning, type PipelineConfig } from './transformations.js';
import type { WatermarkStrategy } from './watermarks.js';

/** The entry point of a job (Flink's StreamExecutionEnvironment): build the pipeline, then `execute(name)`. */
export class StreamExecutionEnvironment {
  private readonly transformations: Transformation[] = [];
  private readonly config: PipelineConfig = { parallelism: undefined, maxParallelism: 128, chaining: true, checkpointInterval: undefined };

  static getExecutionEnvironment(): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment();
  }

  /** The default parallelism of every operator that sets none (else the cluster's `parallelism.default` or `-p`). */
  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError('The parallelism must be at least 1.');
    this.config.parallelism = parallelism;
    return this;
  }

  getParallelism(): number | undefined {
    return this.config.parallelism;
  }

  /** The number of key groups: the upper bound for rescaling keyed state (default 128). */
  setMaxParallelism(maxParallelism: number): this {
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 32768) {
      throw new RangeError('The maximum parallelism must be between 1 and 32768.');
    }
    this.config.maxParallelism = maxParallelism;
    return this;
  }

  enableCheckpointing(intervalMs: number): this {
    if (!(intervalMs >= 10)) throw new RangeError('The checkpoint interval must be at least 10 ms.');
    this.config.checkpointInterval = intervalMs;
    return this;
  }

  disableOperatorChaining(): this {
    this.config.chaining = false;
    return this;
  }

  fromSource<T>(source: Source<T>, watermarkStrategy: WatermarkStrategy<T>, sourceName: string): DataStream<T> {
    const transformation = this.addTransformation(sourceName, { kind: 'source', source, watermarkStrategy }, undefined);
    return new DataStream<T>(this, transformation);
  }

  /** Hands the pipeline to the cluster. Outside a cluster there is nothing to run it: submit it with `flink run`. */
  async execute(jobName = 'Flink Streaming Job'): Promise<JobExecutionResult> {
    const executor = getPipelineExecutor();
    if (!executor) {
      throw new Error('No tsflink cluster is running this program: submit it with `flink run <file>` or POST /jars/:jarid/run.');
    }
    const sinks = this.transformations.filter((t) => t.operator.kind === 'sink');
    return executor.execute({ jobName, sinks, config: { ...this.config } });
  }

  /** @internal Used by DataStream to add operators. */
  addTransformation(defaultName: string, operator: OperatorSpec, input: { transformation: Transformation; partitioning: Partitioning } | undefined): Transformation {
    const transformation = new Transformation(this.transformations.length, defaultName, operator, input);
    this.transformations.push(transformation);
    return transformation;
  }
}
