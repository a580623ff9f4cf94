/**
 * Flink's operations-playground job, for tsflink: counts click events per page in 15 s tumbling windows.
 *
 *   flink run -d examples/streaming/ClickEventCount.ts --bootstrap.servers localhost:9092 --checkpointing --event-time
 *
 * Options as in Flink's ClickEventCount: --bootstrap.servers (localhost:9092), --input-topic (input), --output-topic
 * (output), --checkpointing (1 s interval), --event-time (event-time windows, else processing time), --backpressure
 * (a slow "Backpressure" map in even minutes), --chaining (operator chaining; off by default, as in the playground),
 * --delivery-guarantee exactly-once|at-least-once (at-least-once; exactly-once writes in Kafka transactions that commit
 * with each completed checkpoint, transactional id prefix `click-event-count-<output topic>`: use it with
 * --checkpointing and read the output with isolation.level=read_committed). tsflink's own: --max-partition-fetch-bytes
 * (the source's Kafka max.partition.fetch.bytes, 1 MiB by default).
 */
import { isUtf8 } from 'node:buffer';
import { ParameterTool, StreamExecutionEnvironment, TumblingEventTimeWindows, TumblingProcessingTimeWindows, WatermarkStrategy } from 'tsflink';
import type { AggregateFunction, Collector, ProcessWindowFunctionContext } from 'tsflink';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, KafkaSource } from 'tsflink/connectors/kafka';

export const WINDOW_SIZE_MS = 15_000;

export interface ClickEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  page: string;
}

export interface ClickEventStatistics {
  windowStart: number;
  windowEnd: number;
  page: string;
  count: number;
}

const TIMESTAMP_PATTERN = 'dd-MM-yyyy HH:mm:ss:SSS';

/** `dd-MM-yyyy HH:mm:ss:SSS` in UTC, 24-hour clock (Flink's playground uses `hh`, a 12-hour clock without AM/PM). */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  const p3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);
  return `${p2(d.getUTCDate())}-${p2(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}:${p3(d.getUTCMilliseconds())}`;
}

/** Character codes of the separators of `dd-MM-yyyy HH:mm:ss:SSS`, by position; 0 where a digit belongs. */
const SEPARATORS = new Uint8Array(23);
for (const [at, ch] of [[2, '-'], [5, '-'], [10, ' '], [13, ':'], [16, ':'], [19, ':']] as const) SEPARATORS[at] = ch.charCodeAt(0);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses `dd-MM-yyyy HH:mm:ss:SSS` (UTC) by hand, in one pass over the characters and without allocating: it runs for
 * every record the source reads.
 */
export function parseTimestamp(text: string): number {
  if (typeof text !== 'string' || text.length !== 23) throw new Error(`Timestamp '${text}' does not match ${TIMESTAMP_PATTERN}.`);
  // The 17 digits as one field value at a time: day, month, year, hour, minute, second, milli.
  let day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0, milli = 0;
  for (let i = 0; i < 23; i++) {
    const c = text.charCodeAt(i);
    const separator = SEPARATORS[i]!;
    if (separator !== 0) {
      if (c !== separator) throw new Error(`Timestamp '${text}' does not match ${TIMESTAMP_PATTERN}.`);
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) throw new Error(`Timestamp '${text}' does not match ${TIMESTAMP_PATTERN}.`);
    if (i < 2) day = day * 10 + d;
    else if (i < 5) month = month * 10 + d;
    else if (i < 10) year = year * 10 + d;
    else if (i < 13) hour = hour * 10 + d;
    else if (i < 16) minute = minute * 10 + d;
    else if (i < 19) second = second * 10 + d;
    else milli = milli * 10 + d;
  }
  // Date.UTC would roll 31-02 over into March: a day the month does not have is an error, not another window.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new Error(`Timestamp '${text}' is out of range.`);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, milli);
}

/** Days of `month` (1–12) in `year` of the proleptic Gregorian calendar (as Date.UTC counts). */
function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/**
 * Reads one `input` record: `{"timestamp":"01-01-1970 00:00:00:000","page":"/help"}` (other fields are ignored, as
 * Flink's ClickEvent schema does). Throws on anything else — invalid UTF-8, malformed JSON, not an object, a missing or
 * non-string `page`, a missing, non-string or impossible `timestamp` — so the record goes to the source's error path
 * (numRecordsInErrors and the task log) and never into a count.
 *
 * Records written exactly as the generator writes them (that shape, a plain ASCII page) are read from their bytes
 * without JSON.parse; anything else goes through JSON.parse, so both read the same and fail the same.
 */
export function deserializeClickEvent(value: Buffer): ClickEvent {
  return readGeneratorShape(value) ?? readJson(value);
}

const SHAPE_HEAD = Buffer.from('{"timestamp":"');
const SHAPE_MIDDLE = Buffer.from('","page":"');
const TIMESTAMP_AT = SHAPE_HEAD.length;
const MIDDLE_AT = TIMESTAMP_AT + 23;
const PAGE_AT = MIDDLE_AT + SHAPE_MIDDLE.length;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** `{"timestamp":"<dd-MM-yyyy HH:mm:ss:SSS>","page":"<printable ASCII, no escapes>"}`, or undefined. */
function readGeneratorShape(value: Buffer): ClickEvent | undefined {
  const end = value.length - 2;
  if (end < PAGE_AT || value[end] !== QUOTE || value[end + 1] !== 0x7d) return undefined;
  for (let i = 0; i < TIMESTAMP_AT; i++) if (value[i] !== SHAPE_HEAD[i]) return undefined;
  for (let i = 0; i < SHAPE_MIDDLE.length; i++) if (value[MIDDLE_AT + i] !== SHAPE_MIDDLE[i]) return undefined;
  for (let i = PAGE_AT; i < end; i++) {
    const c = value[i]!;
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return undefined;
  }
  // Any byte but the timestamp's digits and separators makes parseTimestamp throw (latin1 keeps bytes as they are).
  const timestamp = value.toString('latin1', TIMESTAMP_AT, MIDDLE_AT);
  try {
    return { timestamp: parseTimestamp(timestamp), page: value.toString('latin1', PAGE_AT, end) };
  } catch {
    return undefined; // JSON.parse's path says what is wrong with it
  }
}

function readJson(value: Buffer): ClickEvent {
  // Strict UTF-8: decoding invalid bytes to U+FFFD would merge distinct pages into one.
  if (!isUtf8(value)) throw new Error('Click event is not valid UTF-8.');
  const json = JSON.parse(value.toString('utf8')) as unknown;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('Click event is not a JSON object.');
  const { timestamp, page } = json as { timestamp?: unknown; page?: unknown };
  if (typeof page !== 'string') throw new Error('Click event without a "page" string.');
  if (typeof timestamp !== 'string') throw new Error('Click event without a "timestamp" string.');
  return { timestamp: parseTimestamp(timestamp), page };
}

export function serializeClickEventStatistics(s: ClickEventStatistics): string {
  return `{"windowStart":"${formatTimestamp(s.windowStart)}","windowEnd":"${formatTimestamp(s.windowEnd)}","page":${JSON.stringify(s.page)},"count":${s.count}}`;
}

const countingAggregator: AggregateFunction<ClickEvent, number, number> = {
  createAccumulator: () => 0,
  add: (_event, count) => count + 1,
  getResult: (count) => count,
  merge: (a, b) => a + b,
};

function clickEventStatisticsCollector(page: string, context: ProcessWindowFunctionContext, counts: Iterable<number>, out: Collector<ClickEventStatistics>): void {
  for (const count of counts) out.collect({ windowStart: context.window.start, windowEnd: context.window.end, page, count });
}

/** Flink's BackpressureMap: in even-numbered minutes every record takes 100 ms. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function backpressureMap(event: ClickEvent): ClickEvent {
  if (new Date().getMinutes() % 2 === 0) Atomics.wait(sleeper, 0, 0, 100);
  return event;
}

const DELIVERY_GUARANTEES = [DeliveryGuarantee.EXACTLY_ONCE, DeliveryGuarantee.AT_LEAST_ONCE];

/** The value of --delivery-guarantee; throws on anything but exactly-once or at-least-once. */
export function parseDeliveryGuarantee(value: string): DeliveryGuarantee {
  const guarantee = DELIVERY_GUARANTEES.find((g) => g === value);
  if (!guarantee) throw new Error(`Unknown --delivery-guarantee '${value}': allowed values are ${DELIVERY_GUARANTEES.join(', ')}.`);
  return guarantee;
}

export async function main(args: string[]): Promise<void> {
  const params = ParameterTool.fromArgs(args);
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  if (params.has('checkpointing')) env.enableCheckpointing(1000);
  if (!params.has('chaining')) env.disableOperatorChaining();

  const brokers = params.get('bootstrap.servers', 'localhost:9092');
  const outputTopic = params.get('output-topic', 'output');
  const deliveryGuarantee = parseDeliveryGuarantee(params.get('delivery-guarantee', DeliveryGuarantee.AT_LEAST_ONCE));
  const kafkaProps = { 'bootstrap.servers': brokers, 'group.id': 'click-event-count' };

  const sourceBuilder = KafkaSource.builder<ClickEvent>()
    .setTopics(params.get('input-topic', 'input'))
    .setValueOnlyDeserializer(deserializeClickEvent)
    .setProperties(kafkaProps);
  if (params.has('max-partition-fetch-bytes')) sourceBuilder.setProperty('max.partition.fetch.bytes', params.get('max-partition-fetch-bytes', ''));
  const source = sourceBuilder.build();
  const watermarkStrategy = WatermarkStrategy.forBoundedOutOfOrderness<ClickEvent>(200)
    .withIdleness(5000)
    .withTimestampAssigner((event) => event.timestamp);

  let clicks = env.fromSource(source, watermarkStrategy, 'ClickEvent Source');
  if (params.has('backpressure')) {
    clicks = clicks.keyBy((e) => e.page).map(backpressureMap).name('Backpressure');
  }
  const assigner = params.has('event-time') ? TumblingEventTimeWindows.of(WINDOW_SIZE_MS) : TumblingProcessingTimeWindows.of(WINDOW_SIZE_MS);
  const statistics = clicks
    .keyBy((e) => e.page)
    .window(assigner)
    .aggregate(countingAggregator, clickEventStatisticsCollector)
    .name('ClickEvent Counter');

  const sink = KafkaSink.builder<ClickEventStatistics>()
    .setBootstrapServers(brokers)
    .setKafkaProducerConfig(kafkaProps)
    .setRecordSerializer(
      KafkaRecordSerializationSchema.builder<ClickEventStatistics>()
        .setTopic(outputTopic)
        .setValueSerializationSchema(serializeClickEventStatistics)
        .build(),
    )
    .setDeliveryGuarantee(deliveryGuarantee);
  if (deliveryGuarantee === DeliveryGuarantee.EXACTLY_ONCE) sink.setTransactionalIdPrefix(`click-event-count-${outputTopic}`);
  statistics.sinkTo(sink.build()).name('ClickEventStatistics Sink');

  await env.execute('Click Event Count');
}
