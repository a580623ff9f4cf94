import { retry } from '../../common/retry.js';
import { errorTypes, isRetriable } from './kafka-errors.js';
import type { KafkaSinkAdmin, KafkaSinkTransaction } from './KafkaSinkClient.js';

/** How long sendMarker retries CONCURRENT_TRANSACTIONS answers. */
const SEND_MARKER_TIMEOUT_MS = 30_000;

/**
 * The consumer group whose committed offset (topic = the sink's topic, partition 0) is the id of the last checkpoint
 * whose transaction committed under `transactionalId`. It is written inside that transaction, so it is visible only if
 * the transaction committed.
 */
export function markerGroupOf(transactionalId: string): string {
  return `${transactionalId}-marker`;
}

/** The marker's committed offset: the last checkpoint whose transaction committed under `id` (-1 if none). */
export async function fetchMarker(admin: KafkaSinkAdmin, id: string, topic: string): Promise<number> {
  const groupId = markerGroupOf(id);
  return retry(
    async () => {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      const partition = offsets.find((o) => o.topic === topic)?.partitions.find((p) => p.partition === 0);
      return partition ? Number(partition.offset) : -1;
    },
    { maxAttempts: 21, initialDelayMs: 50, multiplier: 2, maxDelayMs: 1000, isRetriable },
  );
}

/**
 * Commits the marker offset `checkpointId` inside `transaction`. AddOffsetsToTxn right after the previous transaction
 * ended can answer CONCURRENT_TRANSACTIONS while the coordinator still completes it; kafkajs does not retry that
 * (tulios/kafkajs#430), so we do, with a short backoff.
 */
export async function sendMarker(transaction: KafkaSinkTransaction, id: string, topic: string, checkpointId: number): Promise<void> {
  await retry(
    () =>
      transaction.sendOffsets({
        consumerGroupId: markerGroupOf(id),
        topics: [{ topic, partitions: [{ partition: 0, offset: String(checkpointId) }] }],
      }),
    {
      maxAttempts: Number.POSITIVE_INFINITY,
      initialDelayMs: 10,
      multiplier: 2,
      maxDelayMs: 200,
      deadline: Date.now() + SEND_MARKER_TIMEOUT_MS,
      isRetriable: (error) => errorTypes(error).includes('CONCURRENT_TRANSACTIONS'),
    },
  );
}
