// The exactly-once writer's transaction bookkeeping against TestingKafkaClient: when records go into which transaction,
// which notification commits what with which marker, and how it ends (close, abort, fencing).
import t from 'tap';
import { markerGroupOf } from '../../../../src/connectors/kafka/commit-marker.js';
import { kafkaJsProtocolError } from '../../../testing/kafka/kafkajs-errors.js';
import { createTransactionalWriter, testingKafkaSink, TOPIC, valuesOf } from '../../../testing/kafka/kafka-sink-fixtures.js';
import { TestingKafkaClient, type TestingTransactionRecord } from '../../../testing/kafka/TestingKafkaClient.js';

const ID = 'p-0';
const MARKER = markerGroupOf(ID);

/** A writer of subtask 0 on a fresh start, and its transactions after the marker reset. */
async function freshWriter(client = new TestingKafkaClient(), options: { transactionTimeoutMs?: number } = {}) {
  const writer = await createTransactionalWriter(testingKafkaSink(client, options));
  const transactions = () => client.transactionsOf(ID).slice(1);
  return { client, writer, transactions };
}

function summary(transaction: TestingTransactionRecord) {
  return { values: transaction.sends.flatMap((s) => s.values), markers: transaction.offsets.map((o) => `${o.groupId}@${o.offset}`), state: transaction.state };
}

t.test('records written while a transaction waits for its commit are kept, then sent in a new transaction', async (t) => {
  const { client, writer, transactions } = await freshWriter();
  await writer.write(['a1', 'a2']);
  t.same(valuesOf(await writer.snapshotState(1)), ['a1', 'a2']);
  await writer.write(['b']);
  t.same(transactions().map(summary), [{ values: ['a1', 'a2'], markers: [], state: 'open' }], 'b is kept, not sent');

  await writer.notifyCheckpointComplete(1);
  t.same(transactions().map(summary), [
    { values: ['a1', 'a2'], markers: [`${MARKER}@1`], state: 'committed' },
    { values: ['b'], markers: [], state: 'open' },
  ]);
  t.same(client.committedValues(TOPIC), ['a1', 'a2']);
  t.same(valuesOf(await writer.snapshotState(2)), ['b'], 'checkpoint 2 holds the new transaction only');
  t.equal(writer.commitLatenciesMs.length, 1);
});

t.test('notifyCheckpointComplete(M) commits the transaction pre-committed for N <= M with marker N', async (t) => {
  const { client, writer, transactions } = await freshWriter();
  await writer.notifyCheckpointComplete(1);
  t.same(transactions(), [], 'nothing open: nothing to commit');

  await writer.write(['a']);
  await writer.notifyCheckpointComplete(1);
  t.equal(transactions()[0]!.state, 'open', 'not pre-committed: not committed');

  await writer.snapshotState(3);
  await writer.notifyCheckpointComplete(2);
  t.same(transactions().map(summary), [{ values: ['a'], markers: [], state: 'open' }], 'M = 2 < N = 3: nothing happens');
  t.equal(client.committedOffset(MARKER, TOPIC), '0', 'the marker is still the reset value');

  await writer.notifyCheckpointComplete(5);
  t.same(transactions().map(summary), [{ values: ['a'], markers: [`${MARKER}@3`], state: 'committed' }], 'committed with marker N = 3, not M');
  t.equal(client.committedOffset(MARKER, TOPIC), '3');
  await writer.notifyCheckpointComplete(6);
  t.equal(transactions().length, 1, 'a second notification finds nothing to commit');
});

t.test('a second barrier before the commit absorbs the kept records; the late notification of the first commits nothing', async (t) => {
  const { client, writer, transactions } = await freshWriter();
  await writer.write(['a']);
  t.same(valuesOf(await writer.snapshotState(1)), ['a']);
  await writer.write(['b']);
  t.same(valuesOf(await writer.snapshotState(2)), ['a', 'b'], 'the open transaction absorbed b and is pre-committed for 2');
  t.same(transactions().map(summary), [{ values: ['a', 'b'], markers: [], state: 'open' }], 'one transaction');
  await writer.write(['c']);

  await writer.notifyCheckpointComplete(1);
  t.same(transactions().map(summary), [{ values: ['a', 'b'], markers: [], state: 'open' }], 'late notification of 1: no commit');
  t.same(client.committedValues(TOPIC), []);

  await writer.notifyCheckpointComplete(2);
  t.same(transactions().map(summary), [
    { values: ['a', 'b'], markers: [`${MARKER}@2`], state: 'committed' },
    { values: ['c'], markers: [], state: 'open' },
  ]);
  t.same(valuesOf(await writer.snapshotState(3)), ['c']);
});

t.test('notifyCheckpointAborted(N) lets the transaction pre-committed for N go on with the kept records', async (t) => {
  const { writer, transactions } = await freshWriter();
  await writer.write(['a']);
  await writer.snapshotState(1);
  await writer.write(['b']);
  await writer.notifyCheckpointAborted(7);
  t.same(transactions().map(summary), [{ values: ['a'], markers: [], state: 'open' }], 'another checkpoint aborted: b still kept');

  await writer.notifyCheckpointAborted(1);
  t.same(transactions().map(summary), [{ values: ['a', 'b'], markers: [], state: 'open' }], 'b went into the still open transaction');
  await writer.write(['c']);
  t.same(transactions().map(summary), [{ values: ['a', 'b', 'c'], markers: [], state: 'open' }], 'c is sent at once');
  await writer.notifyCheckpointComplete(1);
  t.equal(transactions()[0]!.state, 'open', 'no longer pre-committed for 1: not committed by its notification');

  t.same(valuesOf(await writer.snapshotState(2)), ['a', 'b', 'c']);
  await writer.notifyCheckpointComplete(2);
  t.same(transactions().map(summary), [{ values: ['a', 'b', 'c'], markers: [`${MARKER}@2`], state: 'committed' }]);
});

t.test('close() commits the open transaction, kept records included, then disconnects', async (t) => {
  const { client, writer, transactions } = await freshWriter();
  await writer.write(['a']);
  await writer.snapshotState(1);
  await writer.write(['b']);
  await writer.close();
  t.same(transactions().map(summary), [{ values: ['a', 'b'], markers: [`${MARKER}@1`], state: 'committed' }]);
  t.same(client.committedValues(TOPIC), ['a', 'b']);
  t.ok(client.producers.at(-1)!.disconnected);

  const idle = await freshWriter();
  await idle.writer.close();
  t.same(idle.transactions(), [], 'nothing open: close only disconnects');
  t.ok(idle.client.producers.at(-1)!.disconnected);

  const unmarked = await freshWriter();
  await unmarked.writer.write(['x']);
  await unmarked.writer.close();
  t.same(unmarked.transactions().map(summary), [{ values: ['x'], markers: [], state: 'committed' }], 'never pre-committed: committed without a marker');
});

t.test('abort() aborts the open transaction and disconnects; kept records are dropped', async (t) => {
  const { client, writer, transactions } = await freshWriter();
  await writer.write(['a']);
  await writer.snapshotState(1);
  await writer.write(['b']);
  await writer.abort();
  t.same(transactions().map(summary), [{ values: ['a'], markers: [], state: 'aborted' }]);
  t.same(client.committedValues(TOPIC), []);
  t.ok(client.producers.at(-1)!.disconnected);

  const failing = await freshWriter();
  await failing.writer.write(['a']);
  failing.client.failNext('abort', kafkaJsProtocolError('PRODUCER_FENCED'));
  await failing.writer.abort();
  t.ok(failing.client.producers.at(-1)!.disconnected, 'a failing abort is left to the broker; the producer still disconnects');
});

t.test('a fenced producer fails with the explanatory message, and stays failed', async (t) => {
  const client = new TestingKafkaClient();
  const sink = testingKafkaSink(client);
  const old = await createTransactionalWriter(sink);
  await old.write(['a']);
  await createTransactionalWriter(sink); // the same transactional id starts again: the old producer is fenced
  t.equal(client.transactionsOf(ID)[1]!.state, 'aborted', 'the fence aborted the open transaction');

  await t.rejects(old.write(['b']), {
    message:
      "KafkaSink 'p-0': write failed: Producer 'p-0' with epoch 0 was fenced by a newer producer with the same transactional id [INVALID_PRODUCER_EPOCH] " +
      '(the producer was fenced: another writer with the same transactional id started, or the transaction was open longer than transaction.timeout.ms = 60000 ms without a completed checkpoint)',
  });
  await t.rejects(old.snapshotState(1), { message: /^KafkaSink 'p-0': snapshotState\(1\) after the writer failed: KafkaSink 'p-0': write failed: / });
  const calls = client.calls.length;
  await old.close();
  t.same(
    client.calls.slice(calls).map((c) => c.call),
    ['disconnect'],
    'a failed writer only disconnects on close',
  );
});

t.test('a commit answered PRODUCER_FENCED names the configured transaction timeout', async (t) => {
  const { client, writer } = await freshWriter(new TestingKafkaClient(), { transactionTimeoutMs: 5000 });
  await writer.write(['a']);
  await writer.snapshotState(1);
  client.failNext('commit', kafkaJsProtocolError('PRODUCER_FENCED', { message: 'There is a newer producer with the same transactionalId which fences the current one' }));
  await t.rejects(writer.notifyCheckpointComplete(1), {
    message: /^KafkaSink 'p-0': notifyCheckpointComplete\(1\) failed: There is a newer producer .* \[PRODUCER_FENCED\] \(the producer was fenced: .* transaction\.timeout\.ms = 5000 ms without a completed checkpoint\)$/,
  });
});

t.test('other failures fail the writer without the fencing explanation', async (t) => {
  const { client, writer } = await freshWriter();
  client.failNext('transaction.send', kafkaJsProtocolError('MESSAGE_TOO_LARGE', { message: 'The request included a message larger than the max message size the server will accept' }));
  const error = await writer.write(['a']).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  t.match(error?.message, /^KafkaSink 'p-0': write failed: The request included a message larger .* \[MESSAGE_TOO_LARGE\]$/);
  t.equal((error?.cause as { type?: string } | undefined)?.type, 'MESSAGE_TOO_LARGE', 'the kafkajs error is the cause');
});

t.test('sendMarker retries CONCURRENT_TRANSACTIONS answers, and nothing else', async (t) => {
  const { client, writer, transactions } = await freshWriter();
  await writer.write(['a']);
  await writer.snapshotState(1);
  const before = client.countCalls('sendOffsets', ID);
  client.failNext('sendOffsets', kafkaJsProtocolError('CONCURRENT_TRANSACTIONS', { retriable: true }), { times: 3 });
  await writer.notifyCheckpointComplete(1);
  t.equal(client.countCalls('sendOffsets', ID) - before, 4, 'three answers CONCURRENT_TRANSACTIONS, then the marker went in');
  t.same(transactions().map(summary), [{ values: ['a'], markers: [`${MARKER}@1`], state: 'committed' }]);

  await writer.write(['b']);
  await writer.snapshotState(2);
  const second = client.countCalls('sendOffsets', ID);
  client.failNext('sendOffsets', kafkaJsProtocolError('COORDINATOR_NOT_AVAILABLE', { retriable: true }));
  await t.rejects(writer.notifyCheckpointComplete(2), { message: /notifyCheckpointComplete\(2\) failed: .*\[COORDINATOR_NOT_AVAILABLE\]$/ });
  t.equal(client.countCalls('sendOffsets', ID) - second, 1, 'not retried by sendMarker (kafkajs retries what it can)');
  t.equal(transactions()[1]!.state, 'open');
});

t.test('large batches go out in produce requests of at most ~512 KiB', async (t) => {
  const { writer, transactions } = await freshWriter();
  const value = 'x'.repeat(200 * 1024);
  await writer.write([value, value, value, value, value]);
  t.same(
    transactions()[0]!.sends.map((s) => s.values.length),
    [2, 2, 1],
    'two 200 KiB values per request',
  );
  t.ok(transactions()[0]!.sends.every((s) => s.topic === TOPIC && s.acks === -1));
});
