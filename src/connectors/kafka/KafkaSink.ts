import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import type { ConnectorContext, Sink, SinkWriter } from '../../job/connectors.js';

/** Turns a stream element into a record value (Flink's SerializationSchema). */
export type SerializationSchema<T> = ((element: T) => Buffer | string) | { serialize(element: T): Buffer | string };

export interface KafkaRecordSerializationSchema<T> {
  topic: string;
  serializeValue(element: T): Buffer | string;
}

export interface KafkaRecordSerializationSchemaBuilder<T> {
  setTopic(topic: string): KafkaRecordSerializationSchemaBuilder<T>;
  setValueSerializationSchema(schema: SerializationSchema<T>): KafkaRecordSerializationSchemaBuilder<T>;
  build(): KafkaRecordSerializationSchema<T>;
}

export const KafkaRecordSerializationSchema = {
  builder<T>(): KafkaRecordSerializationSchemaBuilder<T> {
    let topic: string | undefined;
    let serializer: ((element: T) => Buffer | string) | undefined;
    const builder: KafkaRecordSerializationSchemaBuilder<T> = {
      setTopic(t: string) {
        topic = t;
        return builder;
      },
      setValueSerializationSchema(schema: SerializationSchema<T>) {
        serializer = typeof schema === 'function' ? schema : (e: T) => schema.serialize(e);
        return builder;
      },
      build(): KafkaRecordSerializationSchema<T> {
        if (!topic) throw new Error('KafkaRecordSerializationSchema: no topic set (setTopic).');
        if (!serializer) throw new Error('KafkaRecordSerializationSchema: no value serializer set (setValueSerializationSchema).');
        return { topic, serializeValue: serializer };
      },
    };
    return builder;
  },
};

export enum DeliveryGuarantee {
  AT_LEAST_ONCE = 'at-least-once',
  NONE = 'none',
}

export interface KafkaSinkConfig<T> {
  bootstrapServers: string[];
  serializer: KafkaRecordSerializationSchema<T>;
  deliveryGuarantee: DeliveryGuarantee;
}

/** Writes a stream to a Kafka topic (Flink's KafkaSink). Built with `KafkaSink.builder()`. */
export class KafkaSink<T> implements Sink<T> {
  readonly connectorName = 'KafkaSink';

  constructor(readonly config: KafkaSinkConfig<T>) {}

  static builder<T>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>();
  }

  async createWriter(context: ConnectorContext): Promise<SinkWriter<T>> {
    const kafka = new Kafka({
      clientId: `tsflink-${context.operatorName.replace(/[^A-Za-z0-9._-]/g, '_')}-${context.subtaskIndex}`,
      brokers: this.config.bootstrapServers,
      logLevel: logLevel.ERROR,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    return new KafkaWriter(producer, this.config);
  }
}

export class KafkaSinkBuilder<T> {
  private bootstrapServers: string[] = [];
  private serializer: KafkaRecordSerializationSchema<T> | undefined;
  private guarantee = DeliveryGuarantee.NONE;

  setBootstrapServers(servers: string): this {
    this.bootstrapServers = servers.split(',').map((s) => s.trim()).filter(Boolean);
    return this;
  }

  /** Kafka producer properties; `bootstrap.servers` is read from them. */
  setKafkaProducerConfig(properties: Record<string, string>): this {
    if (properties['bootstrap.servers']) this.setBootstrapServers(properties['bootstrap.servers']);
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

  build(): KafkaSink<T> {
    if (this.bootstrapServers.length === 0) throw new Error('KafkaSink: bootstrap servers must be set.');
    if (!this.serializer) throw new Error('KafkaSink: no record serializer set (setRecordSerializer).');
    return new KafkaSink<T>({ bootstrapServers: this.bootstrapServers, serializer: this.serializer, deliveryGuarantee: this.guarantee });
  }
}

/**
 * Sends each batch and, with AT_LEAST_ONCE, waits for the broker's acknowledgement (acks from all in-sync replicas)
 * before the subtask takes more input, so nothing the subtask has processed can be lost in the sink.
 */
class KafkaWriter<T> implements SinkWriter<T> {
  constructor(
    private readonly producer: Producer,
    private readonly config: KafkaSinkConfig<T>,
  ) {}

  async write(records: readonly T[]): Promise<void> {
    const { serializer } = this.config;
    await this.producer.send({
      topic: serializer.topic,
      acks: this.config.deliveryGuarantee === DeliveryGuarantee.AT_LEAST_ONCE ? -1 : 1,
      compression: CompressionTypes.None,
      messages: records.map((record) => ({ value: serializer.serializeValue(record) })),
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}
