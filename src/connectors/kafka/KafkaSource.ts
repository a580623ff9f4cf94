import { AssignerProtocol, Kafka, logLevel, type Admin, type Consumer, type PartitionAssigner } from './kafkajs.js';
import { GroupOffsetCommitter } from './GroupOffsetCommitter.js';
import { emitRecords, recordLocation } from './KafkaRecordEmitter.js';
import type { ConnectorContext, ReaderOutput, Source, SourceReader, SplitPosition, SplitState } from '../../job/connectors.js';
import type { Counter, MetricGroup } from '../../job/metrics.js';

/** Turns a record value into the stream's type (Flink's DeserializationSchema). */
export type DeserializationSchema<T> = ((value: Buffer) => T) | { deserialize(value: Buffer): T };

/** Where a source starts reading when it has no restored position (Flink's OffsetsInitializer). */
export type OffsetsInitializer = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'committed' };
export const OffsetsInitializer = {
  earliest: (): OffsetsInitializer => ({ kind: 'earliest' }),
  latest: (): OffsetsInitializer => ({ kind: 'latest' }),
  /** The offsets committed for the source's group id; partitions without one start from the earliest offset. */
  committedOffsets: (): OffsetsInitializer => ({ kind: 'committed' }),
};

export interface KafkaSourceConfig<T> {
  bootstrapServers: string[];
  topics: string[];
  groupId: string;
  startingOffsets: OffsetsInitializer;
  deserializer: (value: Buffer) => T;
  /** Kafka's `max.partition.fetch.bytes`: the most one fetch returns of a partition. */
  maxPartitionFetchBytes: number;
}

/** Kafka's default `max.partition.fetch.bytes` (1 MiB). */
export const DEFAULT_MAX_PARTITION_FETCH_BYTES = 1024 * 1024;

/**
 * Reads Kafka topics (Flink's KafkaSource). Each subtask owns a fixed set of partitions (Flink's split assignment);
 * subtasks with none are idle. Built with `KafkaSource.builder()`.
 */
export class KafkaSource<T> implements Source<T> {
  readonly connectorName = 'KafkaSource';

  constructor(readonly config: KafkaSourceConfig<T>) {}

  static builder<T>(): KafkaSourceBuilder<T> {
    return new KafkaSourceBuilder<T>();
  }

  createReader(context: ConnectorContext, restoredSplits: readonly SplitState[]): SourceReader<T> {
    return new KafkaSourceReader(this.config, context, restoredSplits);
  }
}

export class KafkaSourceBuilder<T> {
  private bootstrapServers: string[] = [];
  private topics: string[] = [];
  private groupId: string | undefined;
  private startingOffsets = OffsetsInitializer.earliest();
  private deserializer: ((value: Buffer) => T) | undefined;
  private maxPartitionFetchBytes = DEFAULT_MAX_PARTITION_FETCH_BYTES;

  setBootstrapServers(servers: string): this {
    this.bootstrapServers = servers.split(',').map((s) => s.trim()).filter(Boolean);
    return this;
  }

  setTopics(...topics: string[]): this {
    this.topics = topics.flat();
    return this;
  }

  setGroupId(groupId: string): this {
    this.groupId = groupId;
    return this;
  }

  setStartingOffsets(offsets: OffsetsInitializer): this {
    this.startingOffsets = offsets;
    return this;
  }

  setValueOnlyDeserializer(schema: DeserializationSchema<T>): this {
    this.deserializer = typeof schema === 'function' ? schema : (value) => schema.deserialize(value);
    return this;
  }

  /**
   * Kafka consumer properties: `bootstrap.servers`, `group.id` and `max.partition.fetch.bytes` (the most one fetch
   * returns of a partition; 1 MiB by default, as in Kafka. Every fetched record is a JavaScript object until the task
   * has processed it, so a smaller fetch bounds a reader's memory: see docs/benchmarks.md). Other properties are not
   * used.
   */
  setProperties(properties: Record<string, string>): this {
    for (const [key, value] of Object.entries(properties)) this.setProperty(key, value);
    return this;
  }

  setProperty(key: string, value: string): this {
    switch (key) {
      case 'bootstrap.servers':
        if (value) this.setBootstrapServers(value);
        break;
      case 'group.id':
        if (value) this.groupId = value;
        break;
      case 'max.partition.fetch.bytes': {
        const bytes = Number(value);
        if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(bytes) || bytes < 1) {
          throw new Error(`KafkaSource: max.partition.fetch.bytes must be a positive number of bytes, not '${value}'.`);
        }
        this.maxPartitionFetchBytes = bytes;
        break;
      }
    }
    return this;
  }

  build(): KafkaSource<T> {
    if (this.bootstrapServers.length === 0) throw new Error('KafkaSource: bootstrap servers must be set (setBootstrapServers or bootstrap.servers).');
    if (this.topics.length === 0) throw new Error('KafkaSource: no topics set (setTopics).');
    if (!this.deserializer) throw new Error('KafkaSource: no deserializer set (setValueOnlyDeserializer).');
    return new KafkaSource<T>({
      bootstrapServers: this.bootstrapServers,
      topics: this.topics,
      groupId: this.groupId ?? 'KafkaSource',
      startingOffsets: this.startingOffsets,
      deserializer: this.deserializer,
      maxPartitionFetchBytes: this.maxPartitionFetchBytes,
    });
  }
}

/** Flink's KafkaSourceEnumerator.getSplitOwner: which subtask reads a topic partition. */
export function splitOwner(topic: string, partition: number, parallelism: number): number {
  let hash = 0;
  for (let i = 0; i < topic.length; i++) hash = (Math.imul(31, hash) + topic.charCodeAt(i)) | 0;
  const startIndex = ((Math.imul(hash, 31) & 0x7fffffff) % parallelism);
  return (startIndex + partition) % parallelism;
}

const ASSIGNER_NAME = 'TsflinkSplitAssigner';

/**
 * One subtask's Kafka reader: a kafkajs consumer in a consumer group private to this execution attempt (so a restarted
 * job never waits for a dead member's session to time out), with an assigner that hands it exactly the partitions the
 * subtask owns, each seeked to its position: the restored offset, else where the starting-offsets initializer says.
 * The positions are the split state the runtime checkpoints. Backpressure pauses fetching, so the consumer keeps
 * heartbeating. A completed checkpoint's offsets are committed to the configured group id, for lag monitoring only.
 */
class KafkaSourceReader<T> implements SourceReader<T> {
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private committer: GroupOffsetCommitter | undefined;
  private committing = false;
  private owned: Array<{ topic: string; partition: number }> = [];
  /** Per `topic-partition`: the next offset to fetch (kept across consumer rejoins, which must not re-read). */
  private readonly fetchPositions = new Map<string, string>();
  private readonly privateGroupId: string;
  /** Per `topic-partition`: the log end offset of the newest fetch, and the offset last committed to `group.id`. */
  private readonly highWatermarks = new Map<string, number>();
  private readonly committedOffsets = new Map<string, number>();
  /** Flink's KafkaSourceReader metric group, below the source operator's. */
  private readonly metricGroup: MetricGroup;
  private readonly metrics: { commitsSucceeded: Counter; commitsFailed: Counter; recordsConsumed: Counter };

  constructor(
    private readonly config: KafkaSourceConfig<T>,
    private readonly context: ConnectorContext,
    private readonly restoredSplits: readonly SplitState[],
  ) {
    this.kafka = new Kafka({
      clientId: `tsflink-${context.operatorName.replace(/[^A-Za-z0-9._-]/g, '_')}-${context.subtaskIndex}`,
      brokers: config.bootstrapServers,
      logLevel: logLevel.ERROR,
    });
    this.privateGroupId = `${config.groupId}-tsflink-${context.attemptId}`;
    const group = context.metricGroup.addGroup('KafkaSourceReader');
    this.metricGroup = group;
    const consumer = group.addGroup('KafkaConsumer');
    this.metrics = {
      commitsSucceeded: group.counter('commitsSucceeded'),
      commitsFailed: group.counter('commitsFailed'),
      recordsConsumed: consumer.counter('records-consumed-total'),
    };
    consumer.gauge('records-lag-max', () => Math.max(-1, ...this.lags()));
    context.metricGroup.gauge('pendingRecords', () => this.lags().reduce((a, b) => a + b, 0));
  }

  /** Records behind the log end, per partition whose end is known from a fetch. */
  private lags(): number[] {
    const lags: number[] = [];
    for (const [split, end] of this.highWatermarks) lags.push(Math.max(0, end - Number(this.fetchPositions.get(split))));
    return lags;
  }

  /** Flink's per-partition gauges: `KafkaSourceReader.topic.<t>.partition.<p>.currentOffset|committedOffset` (-1: none yet). */
  private registerPartitionMetrics(topic: string, partition: number): void {
    const split = `${topic}-${partition}`;
    const group = this.metricGroup.addGroup('topic', topic).addGroup('partition', String(partition));
    group.gauge('currentOffset', () => Number(this.fetchPositions.get(split) ?? -1));
    group.gauge('committedOffset', () => this.committedOffsets.get(split) ?? -1);
  }

  async start(output: ReaderOutput<T>): Promise<void> {
    const restored = new Map(this.restoredSplits.map((s) => [s.splitId, s.position]));
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: this.config.topics });
      for (const topic of metadata.topics) {
        for (const p of topic.partitions) {
          if (splitOwner(topic.name, p.partitionId, this.context.parallelism) === this.context.subtaskIndex) {
            this.owned.push({ topic: topic.name, partition: p.partitionId });
          }
        }
      }
      const unresolved = this.owned.filter(({ topic, partition }) => !restored.has(`${topic}-${partition}`));
      const initial = await this.initialOffsets(admin, unresolved);
      for (const { topic, partition } of this.owned) {
        const split = `${topic}-${partition}`;
        this.fetchPositions.set(split, restored.get(split) ?? initial.get(split)!);
        this.registerPartitionMetrics(topic, partition);
      }
    } finally {
      await admin.disconnect();
    }
    for (const [split, position] of this.fetchPositions) output.addSplit(split, position);
    if (this.owned.length === 0) return;

    const owned = this.owned;
    const assigner: PartitionAssigner = () => ({
      name: ASSIGNER_NAME,
      version: 1,
      async assign({ members }) {
        const assignment: Record<string, number[]> = {};
        for (const { topic, partition } of owned) (assignment[topic] ??= []).push(partition);
        return members.map((member, i) => ({
          memberId: member.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: i === 0 ? assignment : {}, userData: Buffer.alloc(0) }),
        }));
      },
      protocol({ topics }) {
        return { name: ASSIGNER_NAME, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
      },
    });
    // A short fetch wait: kafkajs only notices resume() after its current fetch wait, and a paused reader must pick up
    // quickly once backpressure eases.
    const consumer = this.kafka.consumer({ groupId: this.privateGroupId, partitionAssigners: [assigner], allowAutoTopicCreation: false, maxWaitTimeInMs: 250, maxBytesPerPartition: this.config.maxPartitionFetchBytes });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      // Every (re)join starts each partition where fetching left off: nothing is read twice, nothing skipped.
      for (const { topic, partition } of owned) consumer.seek({ topic, partition, offset: this.fetchPositions.get(`${topic}-${partition}`)! });
    });
    consumer.on(consumer.events.CRASH, (event) => {
      // kafkajs restarts the consumer after retriable errors; anything else ends the reader and fails the subtask.
      if (!event.payload.restart) output.fail(new Error(`The Kafka consumer of ${this.context.operatorName} stopped: ${event.payload.error.message}`, { cause: event.payload.error }));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.config.topics, fromBeginning: true });
    const deserialize = this.config.deserializer;
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const split = `${batch.topic}-${batch.partition}`;
        // Records the schema cannot read go to the error path (see emitRecords): none of them fails the reader.
        emitRecords(batch.topic, batch.partition, batch.messages, deserialize, output);
        const last = batch.messages[batch.messages.length - 1];
        if (last) this.fetchPositions.set(split, String(Number(last.offset) + 1));
        this.metrics.recordsConsumed.inc(batch.messages.length);
        this.highWatermarks.set(split, Number(batch.highWatermark));
      },
    });
  }

  /** `topic t, partition p, offset o` of the record before `position` (the next offset) of a split. */
  describeRecord(splitId: string, position: SplitPosition): string {
    const owned = this.owned.find(({ topic, partition }) => `${topic}-${partition}` === splitId);
    return owned ? recordLocation(owned.topic, owned.partition, Number(position) - 1) : `split ${splitId}, offset ${Number(position) - 1}`;
  }

  /** Start offsets of partitions without a restored position, as the OffsetsInitializer says. */
  private async initialOffsets(admin: Admin, partitions: Array<{ topic: string; partition: number }>): Promise<Map<string, string>> {
    const result = new Map<string, string>();
    const topics = [...new Set(partitions.map((p) => p.topic))];
    if (topics.length === 0) return result;
    const kind = this.config.startingOffsets.kind;
    const committed = new Map<string, string>();
    if (kind === 'committed') {
      for (const t of await admin.fetchOffsets({ groupId: this.config.groupId, topics })) {
        for (const p of t.partitions) if (Number(p.offset) >= 0) committed.set(`${t.topic}-${p.partition}`, p.offset);
      }
    }
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const split = `${topic}-${p.partition}`;
        result.set(split, kind === 'latest' ? p.high : (committed.get(split) ?? p.low));
      }
    }
    return result;
  }

  /** Commits the checkpoint's offsets to the configured group id (skipped while the previous commit runs). */
  async notifyCheckpointComplete(_checkpointId: number, splits: readonly SplitState[]): Promise<void> {
    if (this.committing || splits.length === 0) return;
    this.committing = true;
    try {
      await this.commitOffsets(splits);
    } finally {
      this.committing = false;
    }
  }

  private async commitOffsets(splits: readonly SplitState[]): Promise<void> {
    try {
      this.committer ??= new GroupOffsetCommitter(this.kafka);
      const byTopic = new Map<string, Array<{ partition: number; offset: string }>>();
      for (const { topic, partition } of this.owned) {
        const position = splits.find((s) => s.splitId === `${topic}-${partition}`)?.position;
        if (position !== undefined) (byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!).push({ partition, offset: position });
      }
      await this.committer.commit(this.config.groupId, byTopic);
      for (const [topic, partitions] of byTopic) for (const { partition, offset } of partitions) this.committedOffsets.set(`${topic}-${partition}`, Number(offset));
      this.metrics.commitsSucceeded.inc();
    } catch (error) {
      this.metrics.commitsFailed.inc();
      throw new Error(`Could not commit offsets to group ${this.config.groupId} (for monitoring only; the next completed checkpoint commits again): ${(error as Error).message}`, { cause: error });
    }
  }

  pause(): void {
    this.consumer?.pause(this.config.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.consumer?.resume(this.config.topics.map((topic) => ({ topic })));
  }

  async close(): Promise<void> {
    const committer = this.committer;
    this.committer = undefined;
    await committer?.close().catch(() => undefined);
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.disconnect();
    // The group was private to this attempt: remove it rather than leave it behind in the broker.
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.privateGroupId]);
    } catch {
      // best effort
    } finally {
      await admin.disconnect();
    }
  }
}
