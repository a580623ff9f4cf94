// KafkaSink's checkpoint hooks against the real broker of the test run, driving the writers directly (no cluster):
// exactly-once transactions that commit with completed checkpoints and survive a crash, a restore and a rescale, and the
// at-least-once snapshot. Readers are kafkajs consumers with read_committed (their default).
import t from 'tap';
import { randomBytes } from 'node:crypto';
import type { Producer } from '../../src/connectors/kafka/kafkajs.js';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, markerGroupOf, type KafkaWriterState } from '../../src/connectors/kafka/index.js';
import type { ConnectorContext, RestoredSinkState, SinkWriter } from '../../src/job/connectors.js';
import { ComponentMetricGroup } from '../../src/metrics/MetricGroup.js';
import { kafka, readCommitted, readTopicUntil } from '../testing/jobs.js';
import { testRun } from '../testing/testRun.js';

type Writer = SinkWriter<string> & { commitLatenciesMs?: number[] };

const commitLatencies: number[] = [];

function unique(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}

/** A topic with one partition: reading up to a sentinel then sees every transaction before it decided. */
async function createTopic(prefix: string): Promise<string> {
  const topic = unique(prefix);
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return topic;
}

function buildSink(topic: string, guarantee: DeliveryGuarantee, prefix?: string): KafkaSink<string> {
  const builder = KafkaSink.builder<string>()
    .setBootstrapServers(testRun().kafka.bootstrapServers)
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(topic).setValueSerializationSchema((v) => v).build())
    .setDeliveryGuarantee(guarantee);
  if (prefix) builder.setTransactionalIdPrefix(prefix);
  return builder.build();
}

function context(subtaskIndex: number, parallelism: number, attemptNumber = 0): ConnectorContext {
  return {
    jobId: 'kafka-sink-test',
    attemptId: unique('attempt'),
    attemptNumber,
    subtaskIndex,
    parallelism,
    operatorName: 'Kafka Sink: test',
    operatorId: 'sink-operator',
    metricGroup: new ComponentMetricGroup(),
  };
}

async function createWriter(sink: KafkaSink<string>, ctx: ConnectorContext, restored: RestoredSinkState[] = []): Promise<Writer> {
  return (await sink.createWriter(ctx, restored)) as Writer;
}

function restoredOf(states: Array<{ subtaskIndex: number; parallelism: number; state: unknown }>): RestoredSinkState[] {
  return states.map((s) => ({ ...s, checkpointId: (s.state as KafkaWriterState).checkpointId }));
}

/** A crash: the writer is never committed nor closed; only its sockets go (after a new writer fenced it). */
async function abandon(writer: Writer): Promise<void> {
  await (writer as unknown as { producer: Producer }).producer.disconnect();
}

async function complete(writer: Writer, checkpointId: number): Promise<void> {
  await writer.notifyCheckpointComplete!(checkpointId);
  const latencies = writer.commitLatenciesMs ?? [];
  if (latencies.length > 0) commitLatencies.push(latencies[latencies.length - 1]!);
}

/** Commits a sentinel through `writer` and reads the topic up to it with read_committed. */
async function readAllCommitted(topic: string, writer: Writer, checkpointId: number): Promise<string[]> {
  const sentinel = unique('end');
  await writer.write([sentinel]);
  await writer.snapshotState!(checkpointId);
  await complete(writer, checkpointId);
  const values = await readTopicUntil(topic, (v) => v.includes(sentinel), 60_000);
  return values.filter((v) => v !== sentinel);
}

async function marker(transactionalId: string, topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: markerGroupOf(transactionalId), topics: [topic] });
    return Number(offsets[0]!.partitions.find((p) => p.partition === 0)!.offset);
  } finally {
    await admin.disconnect();
  }
}

/** Everything read_committed readers can see within `ms` (for "nothing committed yet"). */
async function readFor(topic: string, ms: number): Promise<string[]> {
  const consumer = kafka().consumer({ groupId: unique('peek') });
  await consumer.connect();
  const values: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
    await new Promise((resolve) => setTimeout(resolve, ms));
    return values;
  } finally {
    await consumer.disconnect();
  }
}

const sorted = (values: string[]) => [...values].sort();

t.test('builder: EXACTLY_ONCE needs a transactional id prefix (Flink message)', async (t) => {
  const builder = () =>
    KafkaSink.builder<string>()
      .setBootstrapServers('localhost:9092')
      .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic('out').setValueSerializationSchema((v) => v).build());
  t.throws(() => builder().setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE).build(), {
    message:
      'EXACTLY_ONCE delivery guarantee requires a transactionalIdPrefix to be set to provide unique transaction names across multiple KafkaSinks writing to the same Kafka cluster.',
  });
  t.throws(() => builder().setDeliverGuarantee(DeliveryGuarantee.EXACTLY_ONCE).build(), /requires a transactionalIdPrefix/, 'the deprecated alias too');
  const sink = builder().setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE).setTransactionalIdPrefix('p').build();
  t.equal(sink.config.transactionalIdPrefix, 'p');
  t.equal(sink.config.deliveryGuarantee, 'exactly-once');
  t.doesNotThrow(() => builder().setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE).build(), 'no prefix needed for at-least-once');
});

t.test('at-least-once: snapshotState resolves with no state once everything is acknowledged', async (t) => {
  const topic = await createTopic('kafka-sink-alo');
  const writer = await createWriter(buildSink(topic, DeliveryGuarantee.AT_LEAST_ONCE), context(0, 1));
  t.teardown(() => writer.close());
  await writer.write(['a', 'b']);
  await writer.write(['c']);
  t.equal(await writer.snapshotState!(1), undefined);
  // Acknowledged means readable: the high watermark already counts all three.
  const admin = kafka().admin();
  await admin.connect();
  const [offsets] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  t.equal(offsets!.high, '3');
  t.same(sorted(await readTopicUntil(topic, (v) => v.length >= 3, 30_000)), ['a', 'b', 'c']);
});

t.test('exactly-once: a crash after the pre-commit of checkpoint 2 loses and duplicates nothing', async (t) => {
  const topic = await createTopic('kafka-sink-eos');
  const prefix = unique('eos');
  const sink = buildSink(topic, DeliveryGuarantee.EXACTLY_ONCE, prefix);
  const old = await createWriter(sink, context(0, 1));

  await old.write(['a1', 'a2']);
  const s1 = (await old.snapshotState!(1)) as KafkaWriterState;
  t.same(s1.values.map(String), ['a1', 'a2']);
  t.equal(s1.transactionalId, `${prefix}-0`);
  await complete(old, 1);
  t.equal(await marker(`${prefix}-0`, topic), 1, 'the marker committed with checkpoint 1');

  await old.write(['b1']);
  await old.write(['b2', 'b3']);
  const s2 = (await old.snapshotState!(2)) as KafkaWriterState;
  t.same(s2.values.map(String), ['b1', 'b2', 'b3'], 'state 2 holds the values of its transaction only');
  await old.write(['c1']); // after barrier 2: kept in memory, lost with the crash, replayed by the source
  // crash: checkpoint 2 completed, its notification never arrived. The transaction of b* stays open.

  const fresh = await createWriter(sink, context(0, 1, 1), restoredOf([{ subtaskIndex: 0, parallelism: 1, state: s2 }]));
  t.teardown(() => fresh.close());
  await abandon(old);
  t.equal(await marker(`${prefix}-0`, topic), 2, 'the restore committed checkpoint 2 again');
  t.same(sorted(await readAllCommitted(topic, fresh, 3)), ['a1', 'a2', 'b1', 'b2', 'b3'], 'every value exactly once');
});

t.test('exactly-once: a restore from checkpoint 1 after checkpoint 2 committed commits nothing again', async (t) => {
  const topic = await createTopic('kafka-sink-eos-skip');
  const prefix = unique('eos-skip');
  const sink = buildSink(topic, DeliveryGuarantee.EXACTLY_ONCE, prefix);
  const old = await createWriter(sink, context(0, 1));
  await old.write(['a']);
  const s1 = (await old.snapshotState!(1)) as KafkaWriterState;
  await complete(old, 1);
  await old.write(['b']);
  await old.snapshotState!(2);
  await complete(old, 2);
  await old.write(['x']); // sent in an open transaction that no checkpoint covers: aborted by the fence

  const fresh = await createWriter(sink, context(0, 1, 1), restoredOf([{ subtaskIndex: 0, parallelism: 1, state: s1 }]));
  t.teardown(() => fresh.close());
  await abandon(old);
  t.equal(await marker(`${prefix}-0`, topic), 2, 'marker 2 >= 1: checkpoint 1 was skipped');
  t.same(sorted(await readAllCommitted(topic, fresh, 3)), ['a', 'b'], 'a not duplicated, x aborted');
});

t.test('exactly-once: two old subtasks restored into one (rescale 2 -> 1)', async (t) => {
  const topic = await createTopic('kafka-sink-eos-rescale');
  const prefix = unique('eos-rescale');
  const sink = buildSink(topic, DeliveryGuarantee.EXACTLY_ONCE, prefix);
  const old0 = await createWriter(sink, context(0, 2));
  const old1 = await createWriter(sink, context(1, 2));

  await old0.write(['s0-a']);
  await old1.write(['s1-a']);
  await old0.snapshotState!(1);
  await old1.snapshotState!(1);
  await complete(old0, 1);
  await complete(old1, 1);
  await old0.write(['s0-b']);
  await old1.write(['s1-b']);
  const s0 = (await old0.snapshotState!(2)) as KafkaWriterState;
  const s1 = (await old1.snapshotState!(2)) as KafkaWriterState;
  await complete(old1, 2); // subtask 1 heard of checkpoint 2 before the crash, subtask 0 did not
  await old1.write(['s1-x']); // open, uncovered: must be aborted

  const restored = restoredOf([
    { subtaskIndex: 0, parallelism: 2, state: s0 },
    { subtaskIndex: 1, parallelism: 2, state: s1 },
  ]);
  const fresh = await createWriter(sink, context(0, 1, 1), restored);
  t.teardown(() => fresh.close());
  await Promise.all([abandon(old0), abandon(old1)]);
  t.equal(await marker(`${prefix}-0`, topic), 2, 'subtask 0 of the old job: committed again');
  t.equal(await marker(`${prefix}-1`, topic), 2, 'subtask 1 of the old job: already committed, left alone');
  await fresh.write(['new', 'end']);
  await fresh.snapshotState!(3);
  await complete(fresh, 3);
  // Two producers' open transactions were aborted by the fences, in either order: read with Kafka's own consumer.
  const values = await readCommitted(topic, { maxMessages: 6 });
  t.equal(values.at(-1), 'end', `nothing before the sentinel but the five values: ${values.join(' ')}`);
  t.same(sorted(values.slice(0, -1)), ['new', 's0-a', 's0-b', 's1-a', 's1-b'], 'every value exactly once');
});

t.test('exactly-once: barrier N+1 before the notification of N, then a late notify N commits nothing', async (t) => {
  const topic = await createTopic('kafka-sink-eos-race');
  const prefix = unique('eos-race');
  const sink = buildSink(topic, DeliveryGuarantee.EXACTLY_ONCE, prefix);
  const writer = await createWriter(sink, context(0, 1));
  t.teardown(() => writer.close());
  const id = `${prefix}-0`;

  await writer.write(['a']);
  t.same(((await writer.snapshotState!(1)) as KafkaWriterState).values.map(String), ['a']);
  await writer.write(['b']); // kept: transaction 1 waits for its commit
  const s2 = (await writer.snapshotState!(2)) as KafkaWriterState;
  t.same(s2.values.map(String), ['a', 'b'], 'the open transaction absorbed b and is pre-committed for 2');
  await writer.write(['c']); // kept again
  await complete(writer, 1); // late: must not commit a transaction that holds b
  t.equal(await marker(id, topic), 0, 'no commit on the late notification (marker still the reset value)');
  t.same(await readFor(topic, 1500), [], 'read_committed sees nothing yet');

  await complete(writer, 2);
  t.equal(await marker(id, topic), 2);
  // c went into a new transaction after the commit: checkpoint 3 holds only c.
  const s3 = (await writer.snapshotState!(3)) as KafkaWriterState;
  t.same(s3.values.map(String), ['c']);
  await complete(writer, 3);
  t.same(await readAllCommitted(topic, writer, 4), ['a', 'b', 'c']);
});

t.test('exactly-once: an aborted checkpoint leaves the transaction open for the next one', async (t) => {
  const topic = await createTopic('kafka-sink-eos-abort');
  const prefix = unique('eos-abort');
  const writer = await createWriter(buildSink(topic, DeliveryGuarantee.EXACTLY_ONCE, prefix), context(0, 1));
  t.teardown(() => writer.close());
  await writer.write(['a']);
  await writer.snapshotState!(1);
  await writer.write(['b']); // kept
  await writer.notifyCheckpointAborted!(1); // b goes into the still open transaction
  await writer.write(['c']);
  const s2 = (await writer.snapshotState!(2)) as KafkaWriterState;
  t.same(s2.values.map(String), ['a', 'b', 'c']);
  await complete(writer, 1); // checkpoint 1 never completes; even if told so, 2 is what covers the transaction
  t.equal(await marker(`${prefix}-0`, topic), 0);
  await complete(writer, 2);
  t.same(await readAllCommitted(topic, writer, 3), ['a', 'b', 'c']);
});

t.test('exactly-once: close() at the end of a bounded job commits the open transaction', async (t) => {
  const topic = await createTopic('kafka-sink-eos-close');
  const writer = await createWriter(buildSink(topic, DeliveryGuarantee.EXACTLY_ONCE, unique('eos-close')), context(0, 1));
  await writer.write(['a']);
  await writer.snapshotState!(1);
  await writer.write(['b']);
  await writer.close();
  t.same(sorted(await readTopicUntil(topic, (v) => v.length >= 2, 30_000)), ['a', 'b']);
});

t.test('commit latency (sendOffsets + commit), and the first send of the next transaction', async (t) => {
  const topic = await createTopic('kafka-sink-eos-latency');
  const writer = await createWriter(buildSink(topic, DeliveryGuarantee.EXACTLY_ONCE, unique('eos-latency')), context(0, 1));
  t.teardown(() => writer.close());
  const firstSends: number[] = [];
  await writer.write(['0']);
  for (let checkpointId = 1; checkpointId <= 5; checkpointId++) {
    await writer.snapshotState!(checkpointId);
    await complete(writer, checkpointId);
    const started = performance.now();
    await writer.write([String(checkpointId)]);
    firstSends.push(performance.now() - started);
  }
  t.ok(commitLatencies.length >= 10, `${commitLatencies.length} commits measured`);
  t.comment(`commit latencies ms: ${commitLatencies.map((ms) => ms.toFixed(1)).join(', ')}`);
  t.comment(`first write after a commit ms: ${firstSends.map((ms) => ms.toFixed(1)).join(', ')}`);
});
