import type { ConnectorContext, RestoredSinkState, Sink, SinkWriter } from '../../job/connectors.js';
import { sendMarker } from './commit-marker.js';
import { DeliveryGuarantee } from './DeliveryGuarantee.js';
import { describeError } from './kafka-errors.js';
import { kafkaJsSinkClientFactory } from './kafkajs-sink-client-factory.js';
import type { KafkaSinkClient, KafkaSinkClientFactory } from './KafkaSinkClient.js';
import { EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE, KafkaSinkBuilder } from './KafkaSinkBuilder.js';
import { DEFAULT_TRANSACTION_TIMEOUT_MS, type KafkaSinkConfig } from './KafkaSinkConfig.js';
import { KafkaWriter } from './KafkaWriter.js';
import { parseKafkaWriterState, type KafkaWriterState } from './KafkaWriterState.js';
import { recoverTransactionalIds } from './transaction-recovery.js';
import { TransactionalKafkaWriter } from './TransactionalKafkaWriter.js';
import { transactionalIdOf, transactionalProducerConfig } from './transactional-producer.js';

/**
 * Writes a stream to a Kafka topic (Flink's KafkaSink). Built with `KafkaSink.builder()`; the client comes from
 * `clientFactory` (kafkajs unless a test passes a fake).
 */
export class KafkaSink<T> implements Sink<T> {
  readonly connectorName = 'KafkaSink';

  constructor(
    readonly config: KafkaSinkConfig<T>,
    private readonly clientFactory: KafkaSinkClientFactory = kafkaJsSinkClientFactory,
  ) {}

  static builder<T>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>((config) => new KafkaSink(config));
  }

  /**
   * A KafkaWriter (NONE, AT_LEAST_ONCE) or a TransactionalKafkaWriter (EXACTLY_ONCE), after recovering the transactional
   * ids of the restored state that belong to this subtask.
   */
  async createWriter(context: ConnectorContext, restored: readonly RestoredSinkState[] = []): Promise<SinkWriter<T>> {
    const client = this.clientFactory({
      clientId: `tsflink-${context.operatorName.replace(/[^A-Za-z0-9._-]/g, '_')}-${context.subtaskIndex}`,
      brokers: this.config.bootstrapServers,
    });
    const mine = restored.filter((r) => r.subtaskIndex % context.parallelism === context.subtaskIndex);
    return this.config.deliveryGuarantee === DeliveryGuarantee.EXACTLY_ONCE
      ? this.createTransactionalWriter(client, context, mine)
      : this.createKafkaWriter(client, mine);
  }

  private async createKafkaWriter(client: KafkaSinkClient, mine: readonly RestoredSinkState[]): Promise<KafkaWriter<T>> {
    // A job that switched from EXACTLY_ONCE still owes the transactions its last checkpoint pre-committed.
    const pending = new Map<string, KafkaWriterState | undefined>();
    for (const r of mine) {
      const state = parseKafkaWriterState(r);
      if (state) pending.set(state.transactionalId, state);
    }
    if (pending.size > 0) await recoverTransactionalIds(client, this.config.serializer.topic, this.transactionTimeoutMs(), pending);
    const producer = client.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    return new KafkaWriter(producer, this.config);
  }

  private async createTransactionalWriter(client: KafkaSinkClient, context: ConnectorContext, mine: readonly RestoredSinkState[]): Promise<TransactionalKafkaWriter<T>> {
    const topic = this.config.serializer.topic;
    const timeoutMs = this.transactionTimeoutMs();
    const prefix = this.config.transactionalIdPrefix;
    if (!prefix) throw new Error(EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE);
    const transactionalId = transactionalIdOf(prefix, context.subtaskIndex);
    // Every transactional id of the old job that belongs to this subtask: fenced (its open transaction aborted), and
    // the transaction its checkpoint state pre-committed committed again unless its marker shows it committed.
    const toRecover = new Map<string, KafkaWriterState | undefined>();
    for (const r of mine) {
      const state = parseKafkaWriterState(r);
      if (state) toRecover.set(state.transactionalId, state);
    }
    const oldParallelism = mine.reduce((max, r) => Math.max(max, r.parallelism), 0);
    for (let i = context.parallelism; i < oldParallelism; i++) {
      if (i % context.parallelism !== context.subtaskIndex) continue;
      const id = transactionalIdOf(prefix, i);
      if (!toRecover.has(id)) toRecover.set(id, undefined);
    }
    const ownIdRestored = toRecover.get(transactionalId) !== undefined;
    if (toRecover.size > 0) await recoverTransactionalIds(client, topic, timeoutMs, toRecover);

    const producer = client.producer(transactionalProducerConfig(transactionalId, timeoutMs));
    await producer.connect();
    try {
      // kafkajs' connect() does not send the transactional id (its InitProducerId is non-transactional): the first
      // transaction() does. That fences any earlier producer with this id and aborts its open transaction.
      const first = await producer.transaction();
      if (ownIdRestored) {
        await first.abort(); // nothing was added: ends locally, no request
      } else {
        // Fresh start (or a new subtask after scaling up): no checkpoint refers to this id's marker any more. Reset it,
        // so that the markers of an earlier job with the same prefix cannot hide this job's uncommitted checkpoints.
        await sendMarker(first, transactionalId, topic, 0);
        await first.commit();
      }
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw new Error(`KafkaSink: could not initialise the transactional producer '${transactionalId}': ${describeError(error)}`, { cause: error });
    }
    return new TransactionalKafkaWriter(producer, this.config, transactionalId, timeoutMs);
  }

  private transactionTimeoutMs(): number {
    return this.config.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
  }
}
