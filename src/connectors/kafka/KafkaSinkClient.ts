/**
 * The part of a Kafka client that the KafkaSink uses (kafkajs' `Kafka`, `Producer`, `Transaction` and `Admin` satisfy
 * it as they are). The sink gets its client from a KafkaSinkClientFactory, so that tests can hand it a fake.
 */

/** One produce request: values for the partitions the producer's partitioner picks. */
export interface KafkaSinkRecord {
  topic: string;
  /** -1: all in-sync replicas, 1: the leader only. */
  acks: number;
  messages: Array<{ value: Buffer | string }>;
}

/** The subset of kafkajs' ProducerConfig that the sink sets. */
export interface KafkaSinkProducerConfig {
  allowAutoTopicCreation?: boolean;
  idempotent?: boolean;
  maxInFlightRequests?: number;
  transactionalId?: string;
  /** `transaction.timeout.ms`. */
  transactionTimeout?: number;
  retry?: { retries?: number; initialRetryTime?: number; maxRetryTime?: number };
}

/** The marker offsets a transaction commits for a consumer group (kafkajs' sendOffsets argument). */
export interface KafkaSinkTransactionOffsets {
  consumerGroupId: string;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
}

/** A Kafka transaction of a transactional producer: all of it commits, or none of it. */
export interface KafkaSinkTransaction {
  send(record: KafkaSinkRecord): Promise<unknown>;
  /** Commits consumer group offsets as part of this transaction. */
  sendOffsets(offsets: KafkaSinkTransactionOffsets): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface KafkaSinkProducer {
  connect(): Promise<void>;
  send(record: KafkaSinkRecord): Promise<unknown>;
  /** Opens a transaction; the first call of a transactional producer fences earlier producers with its id. */
  transaction(): Promise<KafkaSinkTransaction>;
  disconnect(): Promise<void>;
}

/** The committed offsets of a consumer group, per topic and partition. */
export type KafkaSinkGroupOffsets = Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;

export interface KafkaSinkAdmin {
  connect(): Promise<void>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<KafkaSinkGroupOffsets>;
  disconnect(): Promise<void>;
}

export interface KafkaSinkClient {
  producer(config: KafkaSinkProducerConfig): KafkaSinkProducer;
  admin(): KafkaSinkAdmin;
}

/** Creates the client of one sink subtask. */
export type KafkaSinkClientFactory = (options: { clientId: string; brokers: string[] }) => KafkaSinkClient;
