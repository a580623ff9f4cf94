// KafkaSink.createWriter on a fresh start and on a restore, against TestingKafkaClient: the marker reset, fencing the
// old job's transactional ids, committing again what a checkpoint pre-committed unless its marker shows it committed,
// and which ids a subtask recovers after a rescale.
import t from 'tap';
import { markerGroupOf } from '../../../../src/connectors/kafka/commit-marker.js';
import { DeliveryGuarantee } from '../../../../src/connectors/kafka/DeliveryGuarantee.js';
import type { KafkaWriterState } from '../../../../src/connectors/kafka/KafkaWriterState.js';
import { kafkaJsProtocolError } from '../../../testing/kafka/kafkajs-errors.js';
import { connectorContext, createTransactionalWriter, restoredStates, testingKafkaSink, TOPIC } from '../../../testing/kafka/kafka-sink-fixtures.js';
import { TestingKafkaClient } from '../../../testing/kafka/TestingKafkaClient.js';

function summary(client: TestingKafkaClient, transactionalId: string) {
  return client.transactionsOf(transactionalId).map((tx) => ({
    values: tx.sends.flatMap((s) => s.values),
    markers: tx.offsets.map((o) => o.offset),
    state: tx.state,
  }));
}

const FENCE = { values: [], markers: [], state: 'aborted' };

t.test('a fresh start resets the marker to 0, hiding the markers of an earlier job with the same prefix', async (t) => {
  const client = new TestingKafkaClient().setCommittedOffset(markerGroupOf('p-0'), TOPIC, 0, '7');
  const writer = await createTransactionalWriter(testingKafkaSink(client));
  t.same(summary(client, 'p-0'), [{ values: [], markers: ['0'], state: 'committed' }]);
  t.equal(client.committedOffset(markerGroupOf('p-0'), TOPIC), '0');
  t.equal(writer.transactionalId, 'p-0');
  t.same(client.producers.map((p) => p.config), [
    {
      idempotent: true,
      maxInFlightRequests: 1,
      transactionalId: 'p-0',
      transactionTimeout: 60_000,
      allowAutoTopicCreation: true,
      retry: { retries: 15, initialRetryTime: 10, maxRetryTime: 10_000 },
    },
  ]);
  t.same(client.clientIds, ['tsflink-Sink__Kafka-0'], 'one client per subtask, named after operator and subtask');
  t.equal(client.admins.length, 0, 'nothing to recover: no admin');
});

t.test('restore: the checkpoint\'s transaction did not commit: its values are sent again with its marker and committed', async (t) => {
  const client = new TestingKafkaClient();
  const sink = testingKafkaSink(client);
  const old = await createTransactionalWriter(sink);
  await old.write(['a']);
  await old.snapshotState(1);
  await old.notifyCheckpointComplete(1);
  await old.write(['b1', 'b2']);
  const state = await old.snapshotState(2);
  await old.write(['c']); // kept, lost with the crash
  // crash: checkpoint 2 completed, its notification never arrived

  await createTransactionalWriter(sink, 0, 1, restoredStates([{ subtaskIndex: 0, parallelism: 1, state }]));
  t.same(summary(client, 'p-0'), [
    { values: [], markers: ['0'], state: 'committed' }, // the old writer's marker reset
    { values: ['a'], markers: ['1'], state: 'committed' },
    { values: ['b1', 'b2'], markers: [], state: 'aborted' }, // fenced by the recovery
    FENCE,
    { values: ['b1', 'b2'], markers: ['2'], state: 'committed' }, // committed again
    FENCE, // the new writer's first transaction: its id was restored, so no marker reset
  ]);
  t.same(client.committedValues(TOPIC), ['a', 'b1', 'b2']);
  t.equal(client.committedOffset(markerGroupOf('p-0'), TOPIC), '2');
  t.ok(client.admins[0]!.disconnected, 'the admin of the recovery is disconnected');
  t.ok(client.producers[1]!.disconnected, 'the producer of the recovery is disconnected');
});

t.test('restore: a marker at or past the checkpoint means its transaction committed: nothing is sent again', async (t) => {
  const client = new TestingKafkaClient();
  const sink = testingKafkaSink(client);
  const old = await createTransactionalWriter(sink);
  await old.write(['a']);
  const state1 = await old.snapshotState(1);
  await old.notifyCheckpointComplete(1);
  await old.write(['b']);
  const state2 = await old.snapshotState(2);
  await old.notifyCheckpointComplete(2);
  await old.write(['x']); // open, no checkpoint covers it

  for (const state of [state1, state2]) {
    await createTransactionalWriter(sink, 0, 1, restoredStates([{ subtaskIndex: 0, parallelism: 1, state }]));
    t.same(client.committedValues(TOPIC), ['a', 'b'], `restored from checkpoint ${state.checkpointId}: nothing duplicated, x aborted`);
  }
  t.equal(client.committedOffset(markerGroupOf('p-0'), TOPIC), '2');
  t.notOk(client.transactions.some((tx) => tx.state === 'open'), 'nothing left open');
});

t.test('restore: an empty state is only fenced, without asking for its marker', async (t) => {
  const client = new TestingKafkaClient();
  const state: KafkaWriterState = { transactionalId: 'p-0', checkpointId: 4, values: [] };
  await createTransactionalWriter(testingKafkaSink(client), 0, 1, restoredStates([{ subtaskIndex: 0, parallelism: 1, state }]));
  t.same(summary(client, 'p-0'), [FENCE, FENCE]);
  t.equal(client.countCalls('fetchOffsets'), 0);
});

t.test('after scaling down, subtask i also recovers the ids of old subtasks j with j % newParallelism == i', async (t) => {
  const client = new TestingKafkaClient();
  const oldSink = testingKafkaSink(client);
  const states: Array<KafkaWriterState | null> = [];
  for (let j = 0; j < 4; j++) {
    const old = await createTransactionalWriter(oldSink, j, 4);
    await old.write([`s${j}`]);
    // old subtask 3 had no state (e.g. it was restored from an at-least-once checkpoint that still ran)
    states.push(j === 3 ? null : await old.snapshotState(1));
  }
  const restored = restoredStates(states.map((state, j) => ({ subtaskIndex: j, parallelism: 4, state })));

  const sink = testingKafkaSink(client);
  await createTransactionalWriter(sink, 0, 2, restored);
  t.same(client.committedValues(TOPIC).sort(), ['s0', 's2'], 'subtask 0 committed the checkpoints of old subtasks 0 and 2');
  t.equal(client.committedOffset(markerGroupOf('p-2'), TOPIC), '1');
  t.same(summary(client, 'p-1').at(-1), { values: ['s1'], markers: [], state: 'open' }, 'old subtask 1 is not touched');

  await createTransactionalWriter(sink, 1, 2, restored);
  t.same(client.committedValues(TOPIC).sort(), ['s0', 's1', 's2']);
  t.same(summary(client, 'p-3').slice(1), [{ values: ['s3'], markers: [], state: 'aborted' }, FENCE], 'old subtask 3 without state: fenced only');
  t.equal(client.committedOffset(markerGroupOf('p-3'), TOPIC), '0', 'its marker is not touched');
  t.notOk(client.transactions.some((tx) => tx.state === 'open' && ['p-2', 'p-3'].includes(tx.transactionalId)));
});

t.test('after scaling up, a new subtask starts fresh and resets its marker', async (t) => {
  const client = new TestingKafkaClient();
  const old = await createTransactionalWriter(testingKafkaSink(client));
  await old.write(['a']);
  const state = await old.snapshotState(1);
  const restored = restoredStates([{ subtaskIndex: 0, parallelism: 1, state }]);
  const sink = testingKafkaSink(client);
  await createTransactionalWriter(sink, 0, 2, restored);
  await createTransactionalWriter(sink, 1, 2, restored);
  t.same(client.committedValues(TOPIC), ['a']);
  t.same(summary(client, 'p-1'), [{ values: [], markers: ['0'], state: 'committed' }]);
});

t.test('fetchMarker retries retriable errors with backoff; other errors fail the restore', async (t) => {
  const state: KafkaWriterState = { transactionalId: 'p-0', checkpointId: 3, values: [Buffer.from('a')] };
  const restored = restoredStates([{ subtaskIndex: 0, parallelism: 1, state }]);

  const client = new TestingKafkaClient();
  client.failNext('fetchOffsets', kafkaJsProtocolError('COORDINATOR_LOAD_IN_PROGRESS', { retriable: true }), { times: 2 });
  await createTransactionalWriter(testingKafkaSink(client), 0, 1, restored);
  t.equal(client.countCalls('fetchOffsets'), 3);
  t.same(client.committedValues(TOPIC), ['a'], 'no marker (-1): committed again');

  const failing = new TestingKafkaClient();
  failing.failNext('fetchOffsets', kafkaJsProtocolError('GROUP_AUTHORIZATION_FAILED', { message: 'Not authorized to access group' }));
  await t.rejects(createTransactionalWriter(testingKafkaSink(failing), 0, 1, restored), {
    message: "KafkaSink: could not recover transactional id 'p-0' (checkpoint 3, 1 records): Not authorized to access group [GROUP_AUTHORIZATION_FAILED]",
  });
  t.equal(failing.countCalls('fetchOffsets'), 1);
  t.ok(failing.producers.every((p) => p.disconnected) && failing.admins.every((a) => a.disconnected), 'everything disconnected');
});

t.test('a failing marker reset fails createWriter and disconnects the producer', async (t) => {
  const client = new TestingKafkaClient();
  client.failNext('commit', kafkaJsProtocolError('TRANSACTION_COORDINATOR_FENCED', { message: 'Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator' }));
  await t.rejects(createTransactionalWriter(testingKafkaSink(client)), {
    message: /^KafkaSink: could not initialise the transactional producer 'p-0': Indicates .* \[TRANSACTION_COORDINATOR_FENCED\]$/,
  });
  t.ok(client.producers[0]!.disconnected);

  const concurrent = new TestingKafkaClient();
  concurrent.failNext('sendOffsets', kafkaJsProtocolError('CONCURRENT_TRANSACTIONS', { retriable: true }), { times: 2 });
  await createTransactionalWriter(testingKafkaSink(concurrent));
  t.equal(concurrent.committedOffset(markerGroupOf('p-0'), TOPIC), '0', 'the reset retries CONCURRENT_TRANSACTIONS too');
});

t.test('an at-least-once sink restored from an exactly-once checkpoint commits the transactions it owes', async (t) => {
  const client = new TestingKafkaClient();
  const old = await createTransactionalWriter(testingKafkaSink(client));
  await old.write(['a']);
  const state = await old.snapshotState(1);

  const sink = testingKafkaSink(client, { guarantee: DeliveryGuarantee.AT_LEAST_ONCE });
  const writer = await sink.createWriter(connectorContext(0, 1, 1), restoredStates([{ subtaskIndex: 0, parallelism: 1, state }]));
  t.same(client.committedValues(TOPIC), ['a']);
  t.equal(client.committedOffset(markerGroupOf('p-0'), TOPIC), '1');
  await writer.write(['b']);
  t.same(client.committedValues(TOPIC), ['a', 'b']);
  t.same(client.producers.at(-1)!.config, { allowAutoTopicCreation: true }, 'its own producer is not transactional');
});

t.test('a restored state that is not a KafkaSink state is rejected with what it holds', async (t) => {
  const client = new TestingKafkaClient();
  const restored = [{ subtaskIndex: 0, parallelism: 1, checkpointId: 5, state: { offsets: [1, 2] } }];
  await t.rejects(createTransactionalWriter(testingKafkaSink(client), 0, 1, restored), {
    message: 'KafkaSink: the restored state of subtask 0 (checkpoint 5) is not a KafkaSink state ({ transactionalId, checkpointId, values }): {"offsets":[1,2]}',
  });
  const stringValues = [{ subtaskIndex: 0, parallelism: 1, checkpointId: 5, state: { transactionalId: 'p-0', checkpointId: 5, values: ['a', new Uint8Array([98])] } }];
  await createTransactionalWriter(testingKafkaSink(client), 0, 1, stringValues);
  t.same(client.committedValues(TOPIC), ['a', 'b'], 'strings and Uint8Arrays are values too');
});
