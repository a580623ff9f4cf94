/**
 * The records of one partition of a fetch as kafkajs 2.2.4's consumer hands them out (its `consumer/batch` class): the
 * same fields and methods, but the records at or beyond the fetched offset are found by comparing numbers, where
 * kafkajs parses every record's offset into a BigInt-backed `Long`. Offsets beyond 2^53 are compared as kafkajs does.
 * The methods (firstOffset, lastOffset, offsetLag, …) are kafkajs's own, inherited from its class: they run once per
 * batch.
 */
import { createRequire } from 'node:module';
import { filterAbortedMessages, type AbortedTransaction, type FetchedMessage } from './read-committed.js';

const require = createRequire(import.meta.url);
interface LongLike {
  gte(other: LongLike): boolean;
}
const Long = require(require.resolve('kafkajs/src/utils/long')) as { fromValue(value: unknown): LongLike };

interface PartitionData<M> {
  partition: number;
  highWatermark: string;
  messages: M[];
  abortedTransactions?: AbortedTransaction[];
}

interface FetchedBatch<M> {
  fetchedOffset: string;
  topic: string;
  partition: number;
  highWatermark: string;
  rawMessages: M[];
  messagesWithinOffset: M[];
  messages: M[];
}

type BatchConstructor = new <M extends FetchedMessage>(topic: string, fetchedOffset: string, partitionData: PartitionData<M>) => FetchedBatch<M>;

/**
 * Records at or beyond `fetchedOffset` (a fetch may start before the offset asked for, e.g. in a compressed batch):
 * `messages` itself when that is all of them (the usual case: no copy of a fetch's array).
 */
export function recordsFrom<M extends { offset: string; offsetNumber?: number }>(messages: M[], fetchedOffset: string): M[] {
  const fetched = Number(fetchedOffset);
  let fetchedLong: LongLike | undefined;
  const isFrom = (message: M): boolean => {
    const offset = message.offsetNumber ?? Number(message.offset);
    if (Number.isSafeInteger(offset) && Number.isSafeInteger(fetched)) return offset >= fetched;
    fetchedLong ??= Long.fromValue(fetchedOffset);
    return Long.fromValue(message.offset).gte(fetchedLong);
  };
  return everyOne(messages, isFrom) ? messages : messages.filter(isFrom);
}

/** The records that are not control records (transaction markers): `messages` itself when none is one. */
export function withoutControlRecords<M extends { isControlRecord?: boolean }>(messages: M[]): M[] {
  const isData = (message: M) => !message.isControlRecord;
  return everyOne(messages, isData) ? messages : messages.filter(isData);
}

function everyOne<M>(messages: M[], test: (message: M) => boolean): boolean {
  for (let i = 0; i < messages.length; i++) if (!test(messages[i]!)) return false;
  return true;
}

/** A constructor for kafkajs's consumer that builds batches this way, with `KafkajsBatch`'s methods. */
export function createFetchedBatchClass(KafkajsBatch: BatchConstructor): BatchConstructor {
  function Batch<M extends FetchedMessage>(this: FetchedBatch<M>, topic: string, fetchedOffset: string, partitionData: PartitionData<M>): void {
    this.fetchedOffset = fetchedOffset;
    this.topic = topic;
    this.partition = partitionData.partition;
    this.highWatermark = partitionData.highWatermark;
    this.rawMessages = partitionData.messages;
    this.messagesWithinOffset = recordsFrom(partitionData.messages, fetchedOffset);
    // Neither records of aborted transactions nor control records (transaction markers) are handed out.
    const committed = filterAbortedMessages({ messages: this.messagesWithinOffset, abortedTransactions: partitionData.abortedTransactions });
    this.messages = withoutControlRecords(committed);
  }
  Batch.prototype = Object.create(KafkajsBatch.prototype, { constructor: { value: Batch, writable: true, configurable: true } }) as object;
  return Batch as unknown as BatchConstructor;
}
