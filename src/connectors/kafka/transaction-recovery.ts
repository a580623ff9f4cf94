import { fetchMarker, sendMarker } from './commit-marker.js';
import { describeError } from './kafka-errors.js';
import type { KafkaSinkAdmin, KafkaSinkClient } from './KafkaSinkClient.js';
import type { KafkaWriterState } from './KafkaWriterState.js';
import { toMessageChunks } from './record-chunks.js';
import { transactionalProducerConfig } from './transactional-producer.js';

/**
 * Recovers the transactional ids of an old job: fences each one (InitProducerId aborts its open transaction at once),
 * then commits the state's values again in a new transaction of that id unless the marker shows that the transaction
 * pre-committed for the state's checkpoint (or a later one) committed.
 */
export async function recoverTransactionalIds(
  client: KafkaSinkClient,
  topic: string,
  timeoutMs: number,
  ids: ReadonlyMap<string, KafkaWriterState | undefined>,
): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    await Promise.all([...ids].map(([id, state]) => recoverTransactionalId(client, admin, topic, timeoutMs, id, state)));
  } finally {
    await admin.disconnect();
  }
}

async function recoverTransactionalId(
  client: KafkaSinkClient,
  admin: KafkaSinkAdmin,
  topic: string,
  timeoutMs: number,
  id: string,
  state: KafkaWriterState | undefined,
): Promise<void> {
  const producer = client.producer(transactionalProducerConfig(id, timeoutMs));
  try {
    await producer.connect();
    const fence = await producer.transaction();
    await fence.abort(); // nothing added: ends locally
    if (!state || state.values.length === 0) return;
    const committed = await fetchMarker(admin, id, topic);
    if (committed >= state.checkpointId) return;
    const transaction = await producer.transaction();
    for (const chunk of toMessageChunks(state.values)) {
      await transaction.send({ topic, acks: -1, messages: chunk });
    }
    await sendMarker(transaction, id, topic, state.checkpointId);
    await transaction.commit();
  } catch (error) {
    throw new Error(`KafkaSink: could not recover transactional id '${id}'${state ? ` (checkpoint ${state.checkpointId}, ${state.values.length} records)` : ''}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
