/** The user functions of the DataStream API. Each may be a plain function or an object with the named method. */

export interface Collector<T> {
  collect(record: T): void;
}

export type MapFunction<IN, OUT> = ((value: IN) => OUT) | { map(value: IN): OUT };
export type FilterFunction<T> = ((value: T) => boolean) | { filter(value: T): boolean };
export type FlatMapFunction<IN, OUT> = ((value: IN, out: Collector<OUT>) => void) | { flatMap(value: IN, out: Collector<OUT>): void };
export type KeySelector<T, K extends Key> = ((value: T) => K) | { getKey(value: T): K };
export type ReduceFunction<T> = ((a: T, b: T) => T) | { reduce(a: T, b: T): T };

/** Keys are strings or numbers: they are hashed into key groups and compared by value. */
export type Key = string | number;

/** Flink's AggregateFunction: an accumulator per key and window. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

/** A window of time, [start, end). */
export class TimeWindow {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  /** The last timestamp that belongs to the window. */
  maxTimestamp(): number {
    return this.end - 1;
  }
}

export interface ProcessWindowFunctionContext {
  window: TimeWindow;
  currentWatermark(): number;
  currentProcessingTime(): number;
}

/** Flink's ProcessWindowFunction: called once per key and window when the window fires. */
export type ProcessWindowFunction<IN, OUT, K extends Key> =
  | ((key: K, context: ProcessWindowFunctionContext, elements: Iterable<IN>, out: Collector<OUT>) => void)
  | { process(key: K, context: ProcessWindowFunctionContext, elements: Iterable<IN>, out: Collector<OUT>): void };

export interface ProcessFunctionContext {
  /** The record's event timestamp, if it has one. */
  timestamp(): number | undefined;
  currentWatermark(): number;
  currentProcessingTime(): number;
}

/** Flink's ProcessFunction (on a DataStream) and KeyedProcessFunction (on a KeyedStream, `getCurrentKey` set). */
export type ProcessFunction<IN, OUT> =
  | ((value: IN, context: ProcessFunctionContext, out: Collector<OUT>) => void)
  | { processElement(value: IN, context: ProcessFunctionContext, out: Collector<OUT>): void };

/** Resolves either form of a user function to a plain function. */
export function resolveFunction<F extends (...args: any[]) => any>(fn: F | Record<string, unknown>, method: string): F {
  if (typeof fn === 'function') return fn as F;
  const m = (fn as Record<string, unknown>)[method];
  if (typeof m !== 'function') throw new TypeError(`Expected a function or an object with a ${method}() method.`);
  return m.bind(fn) as F;
}

/** Flink's TimerService as a KeyedProcessFunction sees it: timers belong to the current key and are checkpointed. */
export interface TimerService {
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** Calls `onTimer` once the watermark passes `time` (the same key and time registers one timer). */
  registerEventTimeTimer(time: number): void;
  /** Calls `onTimer` once the wall clock passes `time`. */
  registerProcessingTimeTimer(time: number): void;
}

export interface KeyedProcessFunctionContext<K extends Key> extends ProcessFunctionContext {
  /** The element's event timestamp (in `onTimer`: the timer's time), if it has one. */
  timestamp(): number | undefined;
  getCurrentKey(): K;
  timerService(): TimerService;
}

export interface OnTimerContext<K extends Key> extends KeyedProcessFunctionContext<K> {
  timeDomain(): 'EVENT_TIME' | 'PROCESSING_TIME';
}

/**
 * Flink's KeyedProcessFunction: sees one key at a time, with keyed state (obtained in `open` from the runtime
 * context) and timers. Both are checkpointed and restored.
 */
export interface KeyedProcessFunction<K extends Key, IN, OUT> {
  open?(context: import('./state.js').RuntimeContext): void | Promise<void>;
  processElement(value: IN, context: KeyedProcessFunctionContext<K>, out: Collector<OUT>): void;
  onTimer?(timestamp: number, context: OnTimerContext<K>, out: Collector<OUT>): void;
  close?(): void | Promise<void>;
}
