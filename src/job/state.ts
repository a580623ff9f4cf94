/**
 * Keyed state as user functions see it (Flink's State API). A state object is obtained once, in `open`, from the
 * runtime context, and always refers to the key of the element or timer being processed. The runtime keeps it in the
 * subtask's state backend (LevelDB), checkpoints it, and restores it after a failure or from a savepoint, also into a
 * job with another parallelism.
 */
import type { AggregateFunction, ReduceFunction } from './functions.js';

export interface ValueState<T> {
  /** The key's value; the descriptor's default value if it has none. */
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  get(): T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  update(values: readonly T[]): void;
  clear(): void;
}

export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  putAll(entries: Iterable<[UK, UV]>): void;
  remove(key: UK): void;
  contains(key: UK): boolean;
  entries(): IterableIterator<[UK, UV]>;
  keys(): IterableIterator<UK>;
  values(): IterableIterator<UV>;
  isEmpty(): boolean;
  clear(): void;
}

/** Adds values with a reduce function; `get()` is the reduced value. */
export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

/** Adds values into an accumulator; `get()` is the aggregate's result. */
export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}

abstract class StateDescriptor {
  constructor(readonly name: string) {
    if (!name) throw new Error('A state descriptor needs a name.');
    if (name.startsWith('_')) throw new Error(`State name '${name}': names starting with '_' are reserved for the runtime.`);
    if (Buffer.byteLength(name) > 255) throw new Error(`State name '${name}' is longer than 255 bytes.`);
  }
}

export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'value';
  constructor(
    name: string,
    readonly defaultValue?: T,
  ) {
    super(name);
  }
}

export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'list';
  declare readonly _type?: T;
}

export class MapStateDescriptor<UK, UV> extends StateDescriptor {
  readonly kind = 'map';
  declare readonly _type?: [UK, UV];
}

export class ReducingStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'reducing';
  readonly reduce: (a: T, b: T) => T;
  constructor(name: string, reduceFunction: ReduceFunction<T>) {
    super(name);
    this.reduce = typeof reduceFunction === 'function' ? reduceFunction : (a, b) => reduceFunction.reduce(a, b);
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor {
  readonly kind = 'aggregating';
  constructor(
    name: string,
    readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(name);
  }
}

/** What a rich function may ask of the runtime (Flink's RuntimeContext). */
export interface RuntimeContext {
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
  getMaxNumberOfParallelSubtasks(): number;
  getAttemptNumber(): number;
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}
