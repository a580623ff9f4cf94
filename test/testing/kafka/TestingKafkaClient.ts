import type { KafkaSinkClient, KafkaSinkClientFactory, KafkaSinkProducerConfig } from '../../../src/connectors/kafka/KafkaSinkClient.js';
import { TestingKafkaAdmin } from './TestingKafkaAdmin.js';
import { TestingKafkaProducer } from './TestingKafkaProducer.js';

/** The calls of the KafkaSinkClient interface, as TestingKafkaClient logs them and can fail them. */
export type KafkaCall =
  | 'connect'
  | 'send'
  | 'transaction'
  | 'transaction.send'
  | 'sendOffsets'
  | 'commit'
  | 'abort'
  | 'disconnect'
  | 'admin.connect'
  | 'fetchOffsets'
  | 'admin.disconnect';

/** One produce request as the fake acknowledged it, values as UTF-8 text. */
export interface TestingSend {
  topic: string;
  acks: number;
  values: string[];
}

/** Everything one transaction did, and how it ended. */
export interface TestingTransactionRecord {
  /** Its place among all transactions of the client, from 1. */
  readonly number: number;
  readonly transactionalId: string;
  readonly epoch: number;
  readonly sends: TestingSend[];
  /** The consumer group offsets committed with it (sendOffsets). */
  readonly offsets: Array<{ groupId: string; topic: string; partition: number; offset: string }>;
  /** 'aborted' also when a newer producer with the same id fenced it while it was open. */
  state: 'open' | 'committed' | 'aborted';
}

interface PlannedFailure {
  call: KafkaCall;
  transactionalId: string | undefined;
  error: unknown;
  remaining: number;
}

/**
 * A fake Kafka cluster behind the KafkaSinkClient interface, for unit tests of the KafkaSink: no broker, no sockets.
 * It keeps every transaction (what was sent in it, the offsets it committed, whether it committed), the acknowledged
 * non-transactional sends, the committed offsets per consumer group, and the producer epoch per transactional id. Tests
 * can make calls fail (`failNext`) and hold sends in flight (`holdSends`).
 *
 * Pass `client.factory` to `new KafkaSink(config, factory)`: every subtask's client is this one cluster.
 */
export class TestingKafkaClient implements KafkaSinkClient {
  /** The clientIds the sink asked for, one per createWriter. */
  readonly clientIds: string[] = [];
  readonly producers: TestingKafkaProducer[] = [];
  readonly admins: TestingKafkaAdmin[] = [];
  readonly transactions: TestingTransactionRecord[] = [];
  /** Acknowledged sends of non-transactional producers. */
  readonly sends: TestingSend[] = [];
  /** Every call in order, with the transactional id of its producer (undefined for others and the admin). */
  readonly calls: Array<{ call: KafkaCall; transactionalId: string | undefined }> = [];

  private readonly epochs = new Map<string, number>();
  /** groupId -> `topic/partition` -> offset */
  private readonly groupOffsets = new Map<string, Map<string, string>>();
  /** Committed values per topic in the order read_committed readers see them. */
  private readonly committed = new Map<string, string[]>();
  private readonly failures: PlannedFailure[] = [];
  private gate: Promise<void> | undefined;

  readonly factory: KafkaSinkClientFactory = ({ clientId }) => {
    this.clientIds.push(clientId);
    return this;
  };

  producer(config: KafkaSinkProducerConfig): TestingKafkaProducer {
    const producer = new TestingKafkaProducer(this, config);
    this.producers.push(producer);
    return producer;
  }

  admin(): TestingKafkaAdmin {
    const admin = new TestingKafkaAdmin(this);
    this.admins.push(admin);
    return admin;
  }

  // --- what tests set up -------------------------------------------------------------------------------------------

  /**
   * The next `times` calls of `call` (by producers with `transactionalId`, if given) throw `error` instead of taking
   * effect.
   */
  failNext(call: KafkaCall, error: unknown, options: { times?: number; transactionalId?: string } = {}): this {
    this.failures.push({ call, transactionalId: options.transactionalId, error, remaining: options.times ?? 1 });
    return this;
  }

  /** Sends (transactional or not) wait until the returned function is called: they are in flight until then. */
  holdSends(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** An offset committed earlier, e.g. the marker of a transaction of an earlier job. */
  setCommittedOffset(groupId: string, topic: string, partition: number, offset: string): this {
    let offsets = this.groupOffsets.get(groupId);
    if (!offsets) this.groupOffsets.set(groupId, (offsets = new Map()));
    offsets.set(`${topic}/${partition}`, offset);
    return this;
  }

  // --- what tests read ---------------------------------------------------------------------------------------------

  committedOffset(groupId: string, topic: string, partition = 0): string | undefined {
    return this.groupOffsets.get(groupId)?.get(`${topic}/${partition}`);
  }

  /** What a read_committed reader of `topic` sees: non-transactional sends and committed transactions, in order. */
  committedValues(topic: string): string[] {
    return [...(this.committed.get(topic) ?? [])];
  }

  transactionsOf(transactionalId: string): TestingTransactionRecord[] {
    return this.transactions.filter((t) => t.transactionalId === transactionalId);
  }

  countCalls(call: KafkaCall, transactionalId?: string): number {
    return this.calls.filter((c) => c.call === call && (transactionalId === undefined || c.transactionalId === transactionalId)).length;
  }

  // --- used by the fake's producers, transactions and admins -------------------------------------------------------

  /** Logs a call, then throws the failure planned for it, if any. */
  called(call: KafkaCall, transactionalId?: string): void {
    this.calls.push({ call, transactionalId });
    const failure = this.failures.find((f) => f.call === call && (f.transactionalId === undefined || f.transactionalId === transactionalId));
    if (!failure) return;
    if (--failure.remaining === 0) this.failures.splice(this.failures.indexOf(failure), 1);
    throw failure.error;
  }

  sendGate(): Promise<void> {
    return this.gate ?? Promise.resolve();
  }

  acknowledge(send: TestingSend): void {
    this.sends.push(send);
    this.append(send.topic, send.values);
  }

  /** InitProducerId: a new epoch for `transactionalId`; the open transaction of an earlier epoch is aborted. */
  initProducerId(transactionalId: string): number {
    const epoch = (this.epochs.get(transactionalId) ?? -1) + 1;
    this.epochs.set(transactionalId, epoch);
    for (const t of this.transactionsOf(transactionalId)) if (t.state === 'open') t.state = 'aborted';
    return epoch;
  }

  isCurrentEpoch(transactionalId: string, epoch: number): boolean {
    return this.epochs.get(transactionalId) === epoch;
  }

  beginTransaction(transactionalId: string, epoch: number): TestingTransactionRecord {
    const record: TestingTransactionRecord = { number: this.transactions.length + 1, transactionalId, epoch, sends: [], offsets: [], state: 'open' };
    this.transactions.push(record);
    return record;
  }

  endTransaction(record: TestingTransactionRecord, state: 'committed' | 'aborted'): void {
    record.state = state;
    if (state === 'aborted') return;
    for (const send of record.sends) this.append(send.topic, send.values);
    for (const { groupId, topic, partition, offset } of record.offsets) this.setCommittedOffset(groupId, topic, partition, offset);
  }

  private append(topic: string, values: readonly string[]): void {
    let log = this.committed.get(topic);
    if (!log) this.committed.set(topic, (log = []));
    log.push(...values);
  }
}
