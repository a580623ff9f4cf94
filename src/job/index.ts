/** tsflink's DataStream API: what a job imports as `tsflink`. */
export { StreamExecutionEnvironment } from './StreamExecutionEnvironment.js';
export { DataStream, KeyedStream, WindowedStream } from './DataStream.js';
export { WatermarkStrategy, MIN_WATERMARK, MAX_WATERMARK, type TimestampAssigner } from './watermarks.js';
export { TumblingEventTimeWindows, TumblingProcessingTimeWindows, type WindowAssigner } from './windowing.js';
export { ParameterTool } from './ParameterTool.js';
export {
  TimeWindow,
  type AggregateFunction,
  type Collector,
  type FilterFunction,
  type FlatMapFunction,
  type Key,
  type KeySelector,
  type KeyedProcessFunction,
  type KeyedProcessFunctionContext,
  type OnTimerContext,
  type TimerService,
  type MapFunction,
  type ProcessFunction,
  type ProcessFunctionContext,
  type ProcessWindowFunction,
  type ProcessWindowFunctionContext,
  type ReduceFunction,
} from './functions.js';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  type ValueState,
  type ListState,
  type MapState,
  type ReducingState,
  type AggregatingState,
  type RuntimeContext,
} from './state.js';
export type { RestoredSinkState, ConnectorContext, ReaderOutput, Sink, SinkWriter, Source, SourceReader, SplitPosition, SplitState } from './connectors.js';
export type { Counter, GaugeValue, MetricGroup } from './metrics.js';
export type { JobExecutionResult } from './transformations.js';
