// The broker that bin/kafka.sh starts (once per test run, see test/setup/before.ts) is a real Kafka: 10 000 records
// produced with kafkajs all come back to a kafkajs consumer, in order within each partition.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from '../../src/connectors/kafka/kafkajs.js';
import { testRun } from '../testing/testRun.js';

t.test('10 000 records round-trip through the broker in per-partition order', async (t) => {
  const kafka = new Kafka({ clientId: 'tsflink-kafka-test', brokers: [testRun().kafka.bootstrapServers], logLevel: logLevel.NOTHING });
  const topic = `kafka-roundtrip-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  t.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true }));

  const total = 10_000;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let start = 0; start < total; start += 1000) {
    const messages = [];
    for (let i = start; i < start + 1000; i++) messages.push({ key: `key-${i % 7}`, value: String(i) });
    await producer.send({ topic, messages });
  }
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const perPartition = new Map<number, number[]>();
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const values = perPartition.get(batch.partition) ?? [];
          for (const message of batch.messages) values.push(Number(message.value!.toString()));
          perPartition.set(batch.partition, values);
          received += batch.messages.length;
          if (received >= total) resolve();
        },
      })
      .catch(reject);
  });

  t.equal(received, total, 'every record came back exactly once');
  t.equal(perPartition.size, 2, 'both partitions were used');
  const all = [...perPartition.values()].flat().sort((a, b) => a - b);
  t.same(all, Array.from({ length: total }, (_, i) => i), 'no record lost or duplicated');
  for (const [partition, values] of perPartition) {
    const ordered = values.every((v, i) => i === 0 || v > values[i - 1]!);
    t.ok(ordered, `partition ${partition}: ${values.length} records in the order they were produced`);
  }
});
