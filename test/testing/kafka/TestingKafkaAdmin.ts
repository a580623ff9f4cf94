import type { KafkaSinkAdmin, KafkaSinkGroupOffsets } from '../../../src/connectors/kafka/KafkaSinkClient.js';
import type { TestingKafkaClient } from './TestingKafkaClient.js';

/** The admin client of a TestingKafkaClient: reads the committed offsets of consumer groups. */
export class TestingKafkaAdmin implements KafkaSinkAdmin {
  connected = false;
  disconnected = false;

  constructor(private readonly client: TestingKafkaClient) {}

  async connect(): Promise<void> {
    this.client.called('admin.connect');
    this.connected = true;
  }

  /** Like kafkajs: partition 0 of every topic asked for, offset '-1' where the group committed nothing. */
  async fetchOffsets(options: { groupId: string; topics: string[] }): Promise<KafkaSinkGroupOffsets> {
    this.client.called('fetchOffsets');
    if (!this.connected || this.disconnected) throw new Error('TestingKafkaClient: fetchOffsets on an admin that is not connected.');
    return options.topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: this.client.committedOffset(options.groupId, topic, 0) ?? '-1' }] }));
  }

  async disconnect(): Promise<void> {
    this.client.called('admin.disconnect');
    this.disconnected = true;
  }
}
