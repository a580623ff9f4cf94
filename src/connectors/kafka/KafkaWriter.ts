import type { SinkWriter } from '../../job/connectors.js';
import { DeliveryGuarantee } from './DeliveryGuarantee.js';
import type { KafkaSinkProducer } from './KafkaSinkClient.js';
import type { KafkaSinkConfig } from './KafkaSinkConfig.js';
import { toMessageChunks } from './record-chunks.js';

/**
 * NONE / AT_LEAST_ONCE: sends each batch and, with AT_LEAST_ONCE, waits for the broker's acknowledgement (acks from all
 * in-sync replicas) before the subtask takes more input, so nothing the subtask has processed can be lost in the sink.
 * A large write goes out in produce requests of about 512 KiB, one after the other (as the transactional writer's), so
 * many small records, or one large record among them, never make one record batch the broker refuses as too large;
 * a single record above the topic's `max.message.bytes` still fails the write, as in Flink.
 */
export class KafkaWriter<T> implements SinkWriter<T> {
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly producer: KafkaSinkProducer,
    private readonly config: KafkaSinkConfig<T>,
  ) {}

  async write(records: readonly T[]): Promise<void> {
    if (records.length === 0) return;
    const { serializer } = this.config;
    const acks = this.config.deliveryGuarantee === DeliveryGuarantee.AT_LEAST_ONCE ? -1 : 1;
    const values = records.map((record) => {
      const value = serializer.serializeValue(record);
      return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    });
    const sent = (async () => {
      for (const messages of toMessageChunks(values)) await this.producer.send({ topic: serializer.topic, acks, messages });
    })();
    this.inFlight = sent.catch(() => undefined);
    await sent;
  }

  /** Resolves once everything written so far is acknowledged; no state. */
  async snapshotState(): Promise<undefined> {
    await this.inFlight;
    return undefined;
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
