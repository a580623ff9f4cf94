// The NONE / AT_LEAST_ONCE writer against TestingKafkaClient: acks per guarantee, and a snapshot that waits for what
// is in flight.
import t from 'tap';
import { DeliveryGuarantee } from '../../../../src/connectors/kafka/DeliveryGuarantee.js';
import { KafkaWriter } from '../../../../src/connectors/kafka/KafkaWriter.js';
import { kafkaJsProtocolError } from '../../../testing/kafka/kafkajs-errors.js';
import { connectorContext, hasSettled, testingKafkaSink, TOPIC } from '../../../testing/kafka/kafka-sink-fixtures.js';
import { TestingKafkaClient } from '../../../testing/kafka/TestingKafkaClient.js';

async function writerOf(client: TestingKafkaClient, guarantee: DeliveryGuarantee) {
  const writer = await testingKafkaSink(client, { guarantee }).createWriter(connectorContext(), []);
  if (!(writer instanceof KafkaWriter)) throw new Error(`Expected a KafkaWriter, got ${writer.constructor.name}.`);
  return writer;
}

t.test('at-least-once: snapshotState waits for the send in flight', async (t) => {
  const client = new TestingKafkaClient();
  const writer = await writerOf(client, DeliveryGuarantee.AT_LEAST_ONCE);
  await writer.write(['a']);
  const release = client.holdSends();
  const written = writer.write(['b', 'c']);
  const snapshot = writer.snapshotState();
  t.notOk(await hasSettled(snapshot), 'the snapshot waits while b and c are not acknowledged');
  t.same(client.committedValues(TOPIC), ['a']);
  release();
  await written;
  t.equal(await snapshot, undefined, 'no state');
  t.same(client.sends, [
    { topic: TOPIC, acks: -1, values: ['a'] },
    { topic: TOPIC, acks: -1, values: ['b', 'c'] },
  ]);
  t.ok(await hasSettled(writer.snapshotState()), 'nothing in flight: resolves at once');
});

t.test('at-least-once: a failed send fails its write, not the next snapshot', async (t) => {
  const client = new TestingKafkaClient();
  const writer = await writerOf(client, DeliveryGuarantee.AT_LEAST_ONCE);
  client.failNext('send', kafkaJsProtocolError('NOT_ENOUGH_REPLICAS'));
  await t.rejects(writer.write(['a']), { name: 'KafkaJSProtocolError', message: 'The broker answered NOT_ENOUGH_REPLICAS' });
  t.equal(await writer.snapshotState(), undefined);
});

t.test('none: leader acks only; close disconnects; empty batches send nothing', async (t) => {
  const client = new TestingKafkaClient();
  const writer = await writerOf(client, DeliveryGuarantee.NONE);
  await writer.write([]);
  await writer.write(['a']);
  t.same(client.sends, [{ topic: TOPIC, acks: 1, values: ['a'] }]);
  t.same(client.producers[0]!.config, { allowAutoTopicCreation: true });
  await writer.close();
  t.ok(client.producers[0]!.disconnected);
  t.equal(client.countCalls('transaction'), 0);
});
