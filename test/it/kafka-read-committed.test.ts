// tsflink's Kafka source reads read_committed, whatever order the broker lists a fetch's aborted transactions in.
// Three transactional producers interleave on one partition of a real broker: two transactions abort in the opposite
// order of their beginnings (so the broker lists them out of first-offset order, which kafkajs 2.2.4's own filter gets
// wrong), others commit, one producer is not transactional. The source's reader, in this process, hands out exactly
// the committed and the non-transactional records, in order.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { KafkaSource } from '../../src/connectors/kafka/index.js';
import { Kafka, logLevel, type Producer } from '../../src/connectors/kafka/kafkajs.js';
import type { ReaderOutput } from '../../src/job/connectors.js';
import { ComponentMetricGroup } from '../../src/metrics/MetricGroup.js';
import { testRun } from '../testing/testRun.js';
import { waitFor } from '../testing/waitFor.js';

t.test('interleaved transactions of several producers: the source hands out only what was committed', async (t) => {
  const bootstrap = testRun().kafka.bootstrapServers;
  const kafka = new Kafka({ clientId: 'tsflink-read-committed-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const topic = `read-committed-${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });

  const producers: Producer[] = [];
  const transactional = async (name: string) => {
    const producer = kafka.producer({ transactionalId: `${topic}-${name}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    producers.push(producer);
    return producer;
  };
  t.teardown(() => Promise.all(producers.map((p) => p.disconnect())));
  const [a, b, c] = [await transactional('a'), await transactional('b'), await transactional('c')];
  const plain = kafka.producer();
  await plain.connect();
  producers.push(plain);
  const send = (sender: { send: Producer['send'] }, ...values: string[]) => sender.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });

  const expected: string[] = [];
  for (let round = 0; round < 3; round++) {
    const ta = await a.transaction();
    const tb = await b.transaction();
    await send(ta, `aborted-a-${round}-1`);
    await send(tb, `aborted-b-${round}-1`);
    const tc = await c.transaction();
    await send(tc, `committed-c-${round}-1`);
    await send(ta, `aborted-a-${round}-2`);
    await send(plain, `plain-${round}`);
    await send(tb, `aborted-b-${round}-2`);
    await send(tc, `committed-c-${round}-2`);
    // b began after a and ends first: the broker lists b's aborted transaction before a's.
    await tb.abort();
    await ta.abort();
    await tc.commit();
    expected.push(`committed-c-${round}-1`, `plain-${round}`, `committed-c-${round}-2`);
  }
  const last = await c.transaction();
  await send(last, 'end');
  await last.commit();
  expected.push('end');

  const source = KafkaSource.builder<string>().setBootstrapServers(bootstrap).setTopics(topic).setValueOnlyDeserializer((value) => value.toString('utf8')).build();
  const reader = source.createReader(
    { metricGroup: new ComponentMetricGroup(), jobId: 'a'.repeat(32), attemptId: randomBytes(16).toString('hex'), attemptNumber: 0, subtaskIndex: 0, parallelism: 1, operatorName: 'Source: Kafka', operatorId: 'b'.repeat(32) },
    [],
  );
  const read: string[] = [];
  const errors: string[] = [];
  let failure: Error | undefined;
  const output: ReaderOutput<string> = {
    addSplit: () => undefined,
    collect: (record) => void read.push(record),
    reportError: (_split, message) => void errors.push(message),
    fail: (error) => void (failure = error),
  };
  await reader.start(output);
  t.teardown(() => reader.close());
  await waitFor('the last committed record', async () => read.includes('end') || failure !== undefined, { timeoutMs: 60_000 });
  t.equal(failure, undefined);
  t.same(errors, []);
  t.same(read, expected, 'every committed and non-transactional record, in order; none of an aborted transaction');
});
