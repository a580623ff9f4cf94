import type { KafkaSinkRecord, KafkaSinkTransaction, KafkaSinkTransactionOffsets } from '../../../src/connectors/kafka/KafkaSinkClient.js';
import type { TestingKafkaClient, TestingTransactionRecord } from './TestingKafkaClient.js';
import type { TestingKafkaProducer } from './TestingKafkaProducer.js';

/** One transaction of a TestingKafkaProducer: records what is sent in it in its TestingTransactionRecord. */
export class TestingKafkaTransaction implements KafkaSinkTransaction {
  constructor(
    private readonly client: TestingKafkaClient,
    private readonly producer: TestingKafkaProducer,
    readonly record: TestingTransactionRecord,
  ) {}

  async send(record: KafkaSinkRecord): Promise<void> {
    this.check('transaction.send');
    await this.client.sendGate();
    this.check('transaction.send');
    this.record.sends.push({ topic: record.topic, acks: record.acks, values: record.messages.map((m) => m.value.toString()) });
  }

  async sendOffsets(offsets: KafkaSinkTransactionOffsets): Promise<void> {
    this.check('sendOffsets');
    for (const { topic, partitions } of offsets.topics) {
      for (const { partition, offset } of partitions) this.record.offsets.push({ groupId: offsets.consumerGroupId, topic, partition, offset });
    }
  }

  async commit(): Promise<void> {
    this.check('commit');
    this.client.endTransaction(this.record, 'committed');
    this.producer.transactionEnded();
  }

  async abort(): Promise<void> {
    this.check('abort');
    this.client.endTransaction(this.record, 'aborted');
    this.producer.transactionEnded();
  }

  private check(call: 'transaction.send' | 'sendOffsets' | 'commit' | 'abort'): void {
    this.client.called(call, this.record.transactionalId);
    this.producer.checkNotFenced(call === 'commit' || call === 'abort' ? 'PRODUCER_FENCED' : 'INVALID_PRODUCER_EPOCH');
    if (this.record.state !== 'open') {
      throw new Error(`TestingKafkaClient: ${call} on transaction ${this.record.number} of '${this.record.transactionalId}', which is ${this.record.state}.`);
    }
  }
}
