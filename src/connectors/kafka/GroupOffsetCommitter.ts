import type { Kafka } from './kafkajs.js';

/** The slice of kafkajs's internal Cluster and Broker this module uses (kafkajs 2.2.4, pinned in package-lock.json). */
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(request: { groupId: string }): Promise<{
    offsetCommit(request: {
      groupId: string;
      groupGenerationId: number;
      memberId: string;
      topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
    }): Promise<unknown>;
  }>;
}

/**
 * Commits offsets to a consumer group without joining it — what Flink's KafkaSource does on checkpoint completion
 * with a standalone (manually assigned) consumer: an OffsetCommit with generation -1 and no member id, which Kafka
 * accepts for a group that has no active members. kafkajs offers no such call (its `admin.setOffsets` joins the group
 * with a consumer, takes seconds, and refuses when another subtask does the same at once), so this uses kafkajs's
 * internal Cluster, reached through the private factory of the `Kafka` instance; it fails clearly if a kafkajs
 * version lacks it.
 */
export class GroupOffsetCommitter {
  private cluster: InternalCluster | undefined;

  constructor(private readonly kafka: Kafka) {}

  async commit(groupId: string, offsets: ReadonlyMap<string, Array<{ partition: number; offset: string }>>): Promise<void> {
    const cluster = await this.connect();
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    await coordinator.offsetCommit({
      groupId,
      groupGenerationId: -1,
      memberId: '',
      topics: [...offsets].map(([topic, partitions]) => ({ topic, partitions })),
    });
  }

  async close(): Promise<void> {
    const cluster = this.cluster;
    this.cluster = undefined;
    await cluster?.disconnect();
  }

  private async connect(): Promise<InternalCluster> {
    if (this.cluster) return this.cluster;
    const factory = Object.getOwnPropertySymbols(this.kafka).find((s) => s.description === 'private:Kafka:createCluster');
    const create = factory && (this.kafka as unknown as Record<symbol, unknown>)[factory];
    if (typeof create !== 'function') throw new Error('This kafkajs version has no internal cluster factory: cannot commit offsets to a group without joining it.');
    const cluster = (create as (options: object) => InternalCluster)({});
    await cluster.connect();
    this.cluster = cluster;
    return cluster;
  }
}
