// The bench's second workload (not ClickEventCount): a running sum per key over 100 000 distinct keys in keyed state,
// then a 1-minute tumbling event-time window summing per key. Input records are `<key>,<value>,<event time ms>`; the
// output is one `<key>,<window start>,<sum>,<running sum>` per key and closed window.
import {
  ParameterTool,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type KeyedProcessFunction,
  type RuntimeContext,
  type ValueState,
} from 'tsflink';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, KafkaSource } from 'tsflink/connectors/kafka';

interface Event {
  key: string;
  value: number;
  time: number;
  running: number;
}

interface Sums {
  sum: number;
  running: number;
}

/** Keeps the key's running sum in keyed state and passes every event on with it. */
class RunningSum implements KeyedProcessFunction<string, Event, Event> {
  private sum!: ValueState<number>;

  open(context: RuntimeContext): void {
    this.sum = context.getState(new ValueStateDescriptor<number>('running-sum', 0));
  }

  processElement(event: Event, _ctx: unknown, out: { collect(e: Event): void }): void {
    const running = this.sum.value()! + event.value;
    this.sum.update(running);
    out.collect({ ...event, running });
  }
}

export async function main(args: string[]): Promise<void> {
  const params = ParameterTool.fromArgs(args);
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  if (params.has('checkpointing')) env.enableCheckpointing(1000);
  const brokers = params.get('bootstrap.servers', 'localhost:9092');
  const source = KafkaSource.builder<Event>()
    .setBootstrapServers(brokers)
    .setTopics(params.get('input-topic', 'keyed-input'))
    .setValueOnlyDeserializer((value) => {
      const [key, v, time] = value.toString('utf8').split(',');
      return { key: key!, value: Number(v), time: Number(time), running: 0 };
    })
    .build();
  env
    .fromSource(source, WatermarkStrategy.forBoundedOutOfOrderness<Event>(200).withTimestampAssigner((e) => e.time), 'Keyed Events')
    .keyBy((e) => e.key)
    .process(new RunningSum())
    .name('Running Sum')
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(60_000))
    .aggregate<Sums, Sums, string>(
      {
        createAccumulator: () => ({ sum: 0, running: 0 }),
        add: (e, acc) => ({ sum: acc.sum + e.value, running: Math.max(acc.running, e.running) }),
        getResult: (acc) => acc,
        merge: (a, b) => ({ sum: a.sum + b.sum, running: Math.max(a.running, b.running) }),
      },
      (key: string, context, results, out) => {
        for (const r of results) out.collect(`${key},${context.window.start},${r.sum},${r.running}`);
      },
    )
    .name('Sum per Minute')
    .sinkTo(
      KafkaSink.builder<string>()
        .setBootstrapServers(brokers)
        .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(params.get('output-topic', 'keyed-output')).setValueSerializationSchema((s: string) => s).build())
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build(),
    )
    .name('Sink');
  await env.execute('Keyed Sums');
}
