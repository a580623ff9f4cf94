/**
 * What a `read_committed` reader keeps of one fetch of a partition, as Kafka's Java consumer decides it (its Fetcher's
 * aborted-transaction handling), for kafkajs's message shapes.
 *
 * The broker returns, with the records up to the last stable offset, the transactions among them that were aborted:
 * producer id and first offset of each. kafkajs 2.2.4 (`consumer/filterAbortedMessages`) assumes that list is in
 * first-offset order and starts at most one aborted transaction per record; the broker lists them in the order they
 * ended, so with interleaved transactions of several producers it hands out records of aborted transactions. Here, as
 * in the Java client: the list is ordered by first offset; before each record every aborted transaction that began at
 * or before it is started; a transactional record of a producer with a started aborted transaction is dropped; that
 * producer's abort marker ends it. Control records (commit and abort markers) are never handed out.
 */

/** A record as kafkajs decodes it (the parts this needs). */
export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** An aborted transaction of a fetch response. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** The key of an abort marker: control record version 0, type 0 (ABORT). */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

export function filterAbortedMessages<M extends FetchedMessage>({ messages, abortedTransactions }: { messages: M[]; abortedTransactions?: AbortedTransaction[] }): M[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = abortedTransactions.map((t) => ({ producerId: String(t.producerId), firstOffset: Number(t.firstOffset) })).sort((a, b) => a.firstOffset - b.firstOffset);
  let next = 0;
  const aborted = new Set<string>();
  return messages.filter((message) => {
    const offset = Number(message.offset);
    while (next < pending.length && pending[next]!.firstOffset <= offset) aborted.add(pending[next++]!.producerId);
    const producerId = String(message.batchContext.producerId);
    if (message.isControlRecord) {
      if (message.key && ABORT_MARKER_KEY.equals(Buffer.from(message.key))) aborted.delete(producerId);
      return true;
    }
    return !(message.batchContext.inTransaction && aborted.has(producerId));
  });
}
