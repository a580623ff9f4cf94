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
  type MapFunction,
  type ProcessFunction,
  type ProcessFunctionContext,
  type ProcessWindowFunction,
  type ProcessWindowFunctionContext,
  type ReduceFunction,
} from './functions.js';
export type { ConnectorContext, ReaderOutput, Sink, SinkWriter, Source, SourceReader } from './connectors.js';
export type { JobExecutionResult } from './transformations.js';
