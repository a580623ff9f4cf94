import type { Sink } from './connectors.js';
import {
  resolveFunction,
  type AggregateFunction,
  type Collector,
  type FilterFunction,
  type FlatMapFunction,
  type Key,
  type KeySelector,
  type KeyedProcessFunction,
  type MapFunction,
  type ProcessFunction,
  type ProcessWindowFunction,
  type ReduceFunction,
} from './functions.js';
import type { StreamExecutionEnvironment } from './StreamExecutionEnvironment.js';
import { Transformation, type OperatorSpec, type Partitioning } from './transformations.js';
import type { WindowAssigner } from './windowing.js';

/** A stream of records of type T (Flink's DataStream / SingleOutputStreamOperator). */
export class DataStream<T> {
  constructor(
    protected readonly env: StreamExecutionEnvironment,
    readonly transformation: Transformation,
  ) {}

  map<R>(fn: MapFunction<T, R>): DataStream<R> {
    return this.apply<R>('Map', { kind: 'map', fn: resolveFunction(fn as never, 'map') });
  }

  filter(fn: FilterFunction<T>): DataStream<T> {
    return this.apply<T>('Filter', { kind: 'filter', fn: resolveFunction(fn as never, 'filter') });
  }

  flatMap<R>(fn: FlatMapFunction<T, R>): DataStream<R> {
    return this.apply<R>('Flat Map', { kind: 'flatMap', fn: resolveFunction(fn as never, 'flatMap') });
  }

  process<R>(fn: ProcessFunction<T, R>): DataStream<R> {
    return this.apply<R>('Process', { kind: 'process', fn: resolveFunction(fn as never, 'processElement') });
  }

  /** Partitions by key: records with the same key go to the same subtask (by key group). */
  keyBy<K extends Key>(selector: KeySelector<T, K>): KeyedStream<T, K> {
    const fn = resolveFunction<(value: T) => K>(selector as never, 'getKey');
    return new KeyedStream<T, K>(this.env, this.transformation, fn);
  }

  /** Sends records round-robin to all downstream subtasks. */
  rebalance(): DataStream<T> {
    return new PartitionedStream<T>(this.env, this.transformation, { kind: 'rebalance' });
  }

  /** Sends records to the downstream subtask of the same index (parallelism must match). */
  forward(): DataStream<T> {
    return new PartitionedStream<T>(this.env, this.transformation, { kind: 'forward' });
  }

  sinkTo(sink: Sink<T>): DataStream<never> {
    return this.apply<never>('Sink', { kind: 'sink', sink });
  }

  /** Names the operator (shown in the web UI, REST and logs). */
  name(name: string): this {
    this.transformation.name = name;
    return this;
  }

  /** A stable operator id, so state maps to this operator across program changes. */
  uid(uid: string): this {
    this.transformation.uid = uid;
    return this;
  }

  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new RangeError('The parallelism must be at least 1.');
    this.transformation.parallelism = parallelism;
    return this;
  }

  setMaxParallelism(maxParallelism: number): this {
    if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 32768) {
      throw new RangeError('The maximum parallelism must be between 1 and 32768.');
    }
    this.transformation.maxParallelism = maxParallelism;
    return this;
  }

  protected partitioning(): Partitioning {
    return { kind: 'default' };
  }

  protected apply<R>(defaultName: string, operator: OperatorSpec): DataStream<R> {
    const transformation = this.env.addTransformation(defaultName, operator, { transformation: this.transformation, partitioning: this.partitioning() });
    return new DataStream<R>(this.env, transformation);
  }
}

/** A stream whose next operator reads it with an explicit partitioning. */
class PartitionedStream<T> extends DataStream<T> {
  constructor(
    env: StreamExecutionEnvironment,
    transformation: Transformation,
    private readonly how: Partitioning,
  ) {
    super(env, transformation);
  }

  protected override partitioning(): Partitioning {
    return this.how;
  }
}

/** A stream partitioned by key (Flink's KeyedStream): operators on it see one key at a time. */
export class KeyedStream<T, K extends Key> extends DataStream<T> {
  constructor(
    env: StreamExecutionEnvironment,
    transformation: Transformation,
    readonly keySelector: (value: T) => K,
  ) {
    super(env, transformation);
  }

  /** Processes each element with keyed state and timers (Flink's KeyedStream.process with a KeyedProcessFunction). */
  override process<R>(fn: KeyedProcessFunction<K, T, R> | ProcessFunction<T, R>): DataStream<R> {
    const keyed: KeyedProcessFunction<K, T, R> = typeof fn === 'function' ? { processElement: fn as never } : (fn as KeyedProcessFunction<K, T, R>);
    if (typeof keyed.processElement !== 'function') throw new TypeError('Expected a function or an object with a processElement() method.');
    return this.apply<R>('KeyedProcess', { kind: 'keyedProcess', fn: keyed as KeyedProcessFunction<any, any, any> });
  }

  window(assigner: WindowAssigner): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this, assigner);
  }

  /** Applies an operator on the keyed stream (used by WindowedStream). */
  applyKeyed<R>(defaultName: string, operator: OperatorSpec): DataStream<R> {
    return this.apply<R>(defaultName, operator);
  }

  protected override partitioning(): Partitioning {
    return { kind: 'hash', keySelector: this.keySelector };
  }
}

/** A keyed stream cut into windows (Flink's WindowedStream). */
export class WindowedStream<T, K extends Key> {
  constructor(
    private readonly input: KeyedStream<T, K>,
    private readonly assigner: WindowAssigner,
  ) {}

  /** Aggregates each key's window incrementally; the optional window function turns the result into the output. */
  aggregate<ACC, V, R = V>(aggregate: AggregateFunction<T, ACC, V>, windowFunction?: ProcessWindowFunction<V, R, K>): DataStream<R> {
    return this.input.applyKeyed<R>('Window', {
      kind: 'window',
      assigner: this.assigner,
      aggregate,
      windowFunction: windowFunction === undefined ? undefined : resolveFunction(windowFunction as never, 'process'),
    });
  }

  reduce<R = T>(reduce: ReduceFunction<T>, windowFunction?: ProcessWindowFunction<T, R, K>): DataStream<R> {
    const fn = resolveFunction<(a: T, b: T) => T>(reduce as never, 'reduce');
    const none = Symbol('empty');
    return this.aggregate<T | typeof none, T, R>(
      {
        createAccumulator: () => none,
        add: (value, acc) => (acc === none ? value : fn(acc as T, value)),
        getResult: (acc) => acc as T,
        merge: (a, b) => (a === none ? b : b === none ? a : fn(a as T, b as T)),
      },
      windowFunction,
    );
  }

  /** Collects each key's window and hands all its elements to the function when it fires. */
  process<R>(windowFunction: ProcessWindowFunction<T, R, K>): DataStream<R> {
    const fn = resolveFunction<(key: K, ctx: unknown, elements: Iterable<T>, out: Collector<R>) => void>(windowFunction as never, 'process');
    return this.input.applyKeyed<R>('Window', {
      kind: 'window',
      assigner: this.assigner,
      aggregate: {
        createAccumulator: () => [] as T[],
        add: (value: T, acc: T[]) => {
          acc.push(value);
          return acc;
        },
        getResult: (acc: T[]) => acc,
        merge: (a: T[], b: T[]) => a.concat(b),
      },
      windowFunction: (key: K, ctx: unknown, results: Iterable<T[]>, out: Collector<R>) => {
        for (const elements of results) fn(key, ctx, elements, out);
      },
    });
  }
}
