import type { SinkWriter } from '../../job/connectors.js';
import { DeliveryGuarantee } from './DeliveryGuarantee.js';
import type { KafkaSinkProducer } from './KafkaSinkClient.js';
import type { KafkaSinkConfig } from './KafkaSinkConfig.js';

/**
 * NONE / AT_LEAST_ONCE: sends each batch and, with AT_LEAST_ONCE, waits for the broker's acknowledgement (acks from all
 * in-sync replicas) before the subtask takes more input, so nothing the subtask has processed can be lost in the sink.
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
    const sent = this.producer.send({
      topic: serializer.topic,
      acks: this.config.deliveryGuarantee === DeliveryGuarantee.AT_LEAST_ONCE ? -1 : 1,
      messages: records.map((record) => ({ value: serializer.serializeValue(record) })),
    });
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
