import { DeliveryGuarantee } from './DeliveryGuarantee.js';
import type { KafkaRecordSerializationSchema } from './KafkaRecordSerializationSchema.js';
import type { KafkaSink } from './KafkaSink.js';
import type { KafkaSinkConfig } from './KafkaSinkConfig.js';

/** Flink's KafkaSinkBuilder message, word for word. */
export const EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE =
  'EXACTLY_ONCE delivery guarantee requires a transactionalIdPrefix to be set to provide unique transaction names across multiple KafkaSinks writing to the same Kafka cluster.';

/** Builds a KafkaSink (Flink's KafkaSinkBuilder); get one with `KafkaSink.builder()`. */
export class KafkaSinkBuilder<T> {
  private bootstrapServers: string[] = [];
  private serializer: KafkaRecordSerializationSchema<T> | undefined;
  private guarantee = DeliveryGuarantee.NONE;
  private transactionalIdPrefix: string | undefined;
  private transactionTimeoutMs: number | undefined;

  /** `create` makes the sink from the checked configuration (KafkaSink.builder() passes its constructor). */
  constructor(private readonly create: (config: KafkaSinkConfig<T>) => KafkaSink<T>) {}

  setBootstrapServers(servers: string): this {
    this.bootstrapServers = servers.split(',').map((s) => s.trim()).filter(Boolean);
    return this;
  }

  /** Kafka producer properties; `bootstrap.servers` and `transaction.timeout.ms` are read from them. */
  setKafkaProducerConfig(properties: Record<string, string>): this {
    if (properties['bootstrap.servers']) this.setBootstrapServers(properties['bootstrap.servers']);
    const timeout = properties['transaction.timeout.ms'];
    if (timeout !== undefined) {
      const ms = Number(timeout);
      if (!Number.isInteger(ms) || ms <= 0) throw new Error(`KafkaSink: transaction.timeout.ms must be a positive integer, got '${timeout}'.`);
      this.transactionTimeoutMs = ms;
    }
    return this;
  }

  setRecordSerializer(serializer: KafkaRecordSerializationSchema<T>): this {
    this.serializer = serializer;
    return this;
  }

  setDeliveryGuarantee(guarantee: DeliveryGuarantee): this {
    this.guarantee = guarantee;
    return this;
  }

  /** Flink's deprecated spelling of setDeliveryGuarantee. */
  setDeliverGuarantee(guarantee: DeliveryGuarantee): this {
    return this.setDeliveryGuarantee(guarantee);
  }

  /** Subtask i of the sink uses the transactional id `<prefix>-<i>`; unique per sink on the Kafka cluster. */
  setTransactionalIdPrefix(prefix: string): this {
    if (!prefix) throw new Error('KafkaSink: the transactionalIdPrefix must not be empty.');
    this.transactionalIdPrefix = prefix;
    return this;
  }

  build(): KafkaSink<T> {
    if (this.bootstrapServers.length === 0) throw new Error('KafkaSink: bootstrap servers must be set.');
    if (!this.serializer) throw new Error('KafkaSink: no record serializer set (setRecordSerializer).');
    if (!Object.values(DeliveryGuarantee).includes(this.guarantee)) {
      throw new Error(`KafkaSink: unknown delivery guarantee '${String(this.guarantee)}' (one of ${Object.values(DeliveryGuarantee).join(', ')}).`);
    }
    if (this.guarantee === DeliveryGuarantee.EXACTLY_ONCE && !this.transactionalIdPrefix) throw new Error(EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE);
    return this.create({
      bootstrapServers: this.bootstrapServers,
      serializer: this.serializer,
      deliveryGuarantee: this.guarantee,
      ...(this.transactionalIdPrefix !== undefined ? { transactionalIdPrefix: this.transactionalIdPrefix } : {}),
      ...(this.transactionTimeoutMs !== undefined ? { transactionTimeoutMs: this.transactionTimeoutMs } : {}),
    });
  }
}
