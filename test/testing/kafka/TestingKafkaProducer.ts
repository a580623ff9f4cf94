import type { KafkaSinkProducer, KafkaSinkProducerConfig, KafkaSinkRecord } from '../../../src/connectors/kafka/KafkaSinkClient.js';
import { kafkaJsProtocolError } from './kafkajs-errors.js';
import type { TestingKafkaClient } from './TestingKafkaClient.js';
import { TestingKafkaTransaction } from './TestingKafkaTransaction.js';

/**
 * A producer of a TestingKafkaClient. Like kafkajs, a transactional producer gets its epoch with its first
 * `transaction()`, which fences every earlier producer with the same transactional id; it has one transaction at a time.
 */
export class TestingKafkaProducer implements KafkaSinkProducer {
  connected = false;
  disconnected = false;
  /** Set by the first transaction() of a transactional producer. */
  epoch: number | undefined;
  private open: TestingKafkaTransaction | undefined;

  constructor(
    private readonly client: TestingKafkaClient,
    readonly config: KafkaSinkProducerConfig,
  ) {}

  get transactionalId(): string | undefined {
    return this.config.transactionalId;
  }

  async connect(): Promise<void> {
    this.client.called('connect', this.transactionalId);
    this.connected = true;
  }

  async send(record: KafkaSinkRecord): Promise<void> {
    this.client.called('send', this.transactionalId);
    this.checkUsable('send');
    if (this.transactionalId !== undefined) throw new Error(`TestingKafkaClient: send outside a transaction by the transactional producer '${this.transactionalId}'.`);
    await this.client.sendGate();
    this.client.acknowledge({ topic: record.topic, acks: record.acks, values: record.messages.map((m) => m.value.toString()) });
  }

  async transaction(): Promise<TestingKafkaTransaction> {
    this.client.called('transaction', this.transactionalId);
    this.checkUsable('transaction');
    const id = this.transactionalId;
    if (id === undefined) throw new Error('TestingKafkaClient: transaction() on a producer without a transactionalId.');
    if (this.open) throw new Error('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
    if (this.epoch === undefined) this.epoch = this.client.initProducerId(id);
    this.checkNotFenced('PRODUCER_FENCED');
    this.open = new TestingKafkaTransaction(this.client, this, this.client.beginTransaction(id, this.epoch));
    return this.open;
  }

  async disconnect(): Promise<void> {
    this.client.called('disconnect', this.transactionalId);
    this.disconnected = true;
  }

  /** Called by its transaction once it committed or aborted. */
  transactionEnded(): void {
    this.open = undefined;
  }

  /** Throws what the broker answers a producer whose epoch is no longer the id's latest. */
  checkNotFenced(type: 'PRODUCER_FENCED' | 'INVALID_PRODUCER_EPOCH'): void {
    const id = this.transactionalId;
    if (id !== undefined && this.epoch !== undefined && !this.client.isCurrentEpoch(id, this.epoch)) {
      throw kafkaJsProtocolError(type, { message: `Producer '${id}' with epoch ${this.epoch} was fenced by a newer producer with the same transactional id` });
    }
  }

  private checkUsable(call: string): void {
    if (!this.connected) throw new Error(`TestingKafkaClient: ${call} before connect().`);
    if (this.disconnected) throw new Error(`TestingKafkaClient: ${call} after disconnect().`);
  }
}
