// The read_committed filter of a fetch: records of aborted transactions never reach a reader, whatever order the broker
// lists the aborted transactions in (it lists them in the order they ended). kafkajs 2.2.4's own filter hands them out
// when transactions of several producers interleave; tsflink installs its own in kafkajs's consumer.
import { createRequire } from 'node:module';
import t from 'tap';
import '../../../../src/connectors/kafka/kafkajs.js';
import { filterAbortedMessages, type FetchedMessage } from '../../../../src/connectors/kafka/read-committed.js';

const require = createRequire(import.meta.url);
const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);

/** A record of producer `producerId` at `offset`: transactional unless told otherwise; a control record with `marker`. */
function record(offset: number, producerId: string, options: { marker?: Buffer; inTransaction?: boolean } = {}): FetchedMessage & { value: string } {
  return {
    offset: String(offset),
    key: options.marker ?? Buffer.from(`k${offset}`),
    value: `${producerId}@${offset}`,
    isControlRecord: options.marker !== undefined,
    batchContext: { producerId, inTransaction: options.inTransaction ?? true },
  };
}

/**
 * Producers 1 and 2 interleave: 1 begins at 10, 2 at 11; 2 aborts first (marker 13), then 1 (marker 14); producer 3
 * commits 15 (marker 16); a non-transactional record at 17. The broker lists the aborted transactions as they ended:
 * producer 2 (first offset 11) before producer 1 (first offset 10).
 */
const FETCH = {
  messages: [
    record(10, '1'),
    record(11, '2'),
    record(12, '1'),
    record(13, '2', { marker: ABORT }),
    record(14, '1', { marker: ABORT }),
    record(15, '3'),
    record(16, '3', { marker: COMMIT }),
    record(17, '4', { inTransaction: false }),
  ],
  abortedTransactions: [
    { producerId: '2', firstOffset: '11' },
    { producerId: '1', firstOffset: '10' },
  ],
};

t.test('records of aborted transactions are dropped whatever order the aborted transactions are listed in', async (t) => {
  const kept = filterAbortedMessages(FETCH).filter((m) => !m.isControlRecord);
  t.same(kept.map((m) => m.value), ['3@15', '4@17']);
});

t.test('a producer aborting and then committing: only its aborted transaction is dropped', async (t) => {
  const kept = filterAbortedMessages({
    messages: [record(0, '1'), record(1, '1', { marker: ABORT }), record(2, '1'), record(3, '1', { marker: COMMIT })],
    abortedTransactions: [{ producerId: '1', firstOffset: '0' }],
  }).filter((m) => !m.isControlRecord);
  t.same(kept.map((m) => m.value), ['1@2']);
});

t.test('without aborted transactions the fetch is handed on as it is', async (t) => {
  const messages = [record(0, '1'), record(1, '1', { marker: COMMIT })];
  t.equal(filterAbortedMessages({ messages, abortedTransactions: [] }), messages);
});

t.test('kafkajs’s consumer filters every fetched batch with it', async (t) => {
  const Batch = require('kafkajs/src/consumer/batch.js') as new (topic: string, fetchedOffset: string, partitionData: unknown) => { messages: Array<{ value: string }> };
  const batch = new Batch('input', '10', { partition: 0, highWatermark: '18', ...FETCH });
  t.same(batch.messages.map((m) => m.value), ['3@15', '4@17'], 'kafkajs 2.2.4 alone would hand out 1@10');
});
