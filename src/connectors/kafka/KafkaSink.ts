import { CompressionTypes, Kafka, logLevel, type Admin, type logCreator, type Message, type Producer, type Transaction } from 'kafkajs';
import type { ConnectorContext, RestoredSinkState, Sink, SinkWriter } from '../../job/connectors.js';

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

/** Flink's DeliveryGuarantee (org.apache.flink.connector.base). */
export enum DeliveryGuarantee {
  /** Records go into Kafka transactions that commit when a checkpoint completes (read them with read_committed). */
  EXACTLY_ONCE = 'exactly-once',
  /** Every batch is acknowledged by all in-sync replicas before the subtask goes on; duplicates after a restore. */
  AT_LEAST_ONCE = 'at-least-once',
  /** Fire and forget (acks from the leader only); records may be lost or duplicated. */
  NONE = 'none',
}

/** Flink's KafkaSinkBuilder message, word for word. */
export const EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE =
  'EXACTLY_ONCE delivery guarantee requires a transactionalIdPrefix to be set to provide unique transaction names across multiple KafkaSinks writing to the same Kafka cluster.';

/** Short on purpose: a transaction left open by a writer that is never restored blocks read_committed readers this long. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

export interface KafkaSinkConfig<T> {
  bootstrapServers: string[];
  serializer: KafkaRecordSerializationSchema<T>;
  deliveryGuarantee: DeliveryGuarantee;
  /** Required for EXACTLY_ONCE: subtask i uses the transactional id `<prefix>-<i>`. */
  transactionalIdPrefix?: string;
  /** `transaction.timeout.ms` of the transactional producers (default 60 s). */
  transactionTimeoutMs?: number;
}

/**
 * What an exactly-once writer stores in checkpoint `checkpointId`: the values of the transaction that was pre-committed
 * for it (sent and acknowledged, not yet committed). A restore commits them again unless that transaction committed.
 */
export interface KafkaWriterState {
  transactionalId: string;
  checkpointId: number;
  values: Buffer[];
}

/** The transactional id of a sink subtask. */
export function transactionalIdOf(prefix: string, subtaskIndex: number): string {
  return `${prefix}-${subtaskIndex}`;
}

/**
 * The consumer group whose committed offset (topic = the sink's topic, partition 0) is the id of the last checkpoint
 * whose transaction committed under `transactionalId`. It is written inside that transaction, so it is visible only if
 * the transaction committed.
 */
export function markerGroupOf(transactionalId: string): string {
  return `${transactionalId}-marker`;
}

/** Writes a stream to a Kafka topic (Flink's KafkaSink). Built with `KafkaSink.builder()`. */
export class KafkaSink<T> implements Sink<T> {
  readonly connectorName = 'KafkaSink';

  constructor(readonly config: KafkaSinkConfig<T>) {}

  static builder<T>(): KafkaSinkBuilder<T> {
    return new KafkaSinkBuilder<T>();
  }

  async createWriter(context: ConnectorContext, restored: readonly RestoredSinkState[] = []): Promise<SinkWriter<T>> {
    const kafka = new Kafka({
      clientId: `tsflink-${context.operatorName.replace(/[^A-Za-z0-9._-]/g, '_')}-${context.subtaskIndex}`,
      brokers: this.config.bootstrapServers,
      logLevel: logLevel.ERROR,
      logCreator: stderrLogCreator,
    });
    const topic = this.config.serializer.topic;
    const timeoutMs = this.config.transactionTimeoutMs ?? DEFAULT_TRANSACTION_TIMEOUT_MS;
    const mine = restored.filter((r) => r.subtaskIndex % context.parallelism === context.subtaskIndex);

    if (this.config.deliveryGuarantee !== DeliveryGuarantee.EXACTLY_ONCE) {
      // A job that switched from EXACTLY_ONCE still owes the transactions its last checkpoint pre-committed.
      const pending = new Map<string, KafkaWriterState | undefined>();
      for (const r of mine) {
        const state = parseRestoredState(r);
        if (state) pending.set(state.transactionalId, state);
      }
      if (pending.size > 0) await recoverTransactionalIds(kafka, topic, timeoutMs, pending);
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      return new KafkaWriter(producer, this.config);
    }

    const prefix = this.config.transactionalIdPrefix;
    if (!prefix) throw new Error(EXACTLY_ONCE_WITHOUT_PREFIX_MESSAGE);
    const transactionalId = transactionalIdOf(prefix, context.subtaskIndex);
    // Every transactional id of the old job that belongs to this subtask: fenced (its open transaction aborted), and
    // the transaction its checkpoint state pre-committed committed again unless its marker shows it committed.
    const toRecover = new Map<string, KafkaWriterState | undefined>();
    for (const r of mine) {
      const state = parseRestoredState(r);
      if (state) toRecover.set(state.transactionalId, state);
    }
    const oldParallelism = mine.reduce((max, r) => Math.max(max, r.parallelism), 0);
    for (let i = context.parallelism; i < oldParallelism; i++) {
      if (i % context.parallelism !== context.subtaskIndex) continue;
      const id = transactionalIdOf(prefix, i);
      if (!toRecover.has(id)) toRecover.set(id, undefined);
    }
    const ownIdRestored = toRecover.get(transactionalId) !== undefined;
    if (toRecover.size > 0) await recoverTransactionalIds(kafka, topic, timeoutMs, toRecover);

    const producer = kafka.producer(transactionalProducerConfig(transactionalId, timeoutMs));
    await producer.connect();
    try {
      // kafkajs' connect() does not send the transactional id (its InitProducerId is non-transactional): the first
      // transaction() does. That fences any earlier producer with this id and aborts its open transaction.
      const first = await producer.transaction();
      if (ownIdRestored) {
        await first.abort(); // nothing was added: ends locally, no request
      } else {
        // Fresh start (or a new subtask after scaling up): no checkpoint refers to this id's marker any more. Reset it,
        // so that the markers of an earlier job with the same prefix cannot hide this job's uncommitted checkpoints.
        await sendMarker(first, transactionalId, topic, 0);
        await first.commit();
      }
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw new Error(`KafkaSink: could not initialise the transactional producer '${transactionalId}': ${describeError(error)}`, { cause: error });
    }
    return new TransactionalKafkaWriter(producer, this.config, transactionalId, timeoutMs);
  }
}

export class KafkaSinkBuilder<T> {
  private bootstrapServers: string[] = [];
  private serializer: KafkaRecordSerializationSchema<T> | undefined;
  private guarantee = DeliveryGuarantee.NONE;
  private transactionalIdPrefix: string | undefined;
  private transactionTimeoutMs: number | undefined;

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
    return new KafkaSink<T>({
      bootstrapServers: this.bootstrapServers,
      serializer: this.serializer,
      deliveryGuarantee: this.guarantee,
      ...(this.transactionalIdPrefix !== undefined ? { transactionalIdPrefix: this.transactionalIdPrefix } : {}),
      ...(this.transactionTimeoutMs !== undefined ? { transactionTimeoutMs: this.transactionTimeoutMs } : {}),
    });
  }
}

/**
 * NONE / AT_LEAST_ONCE: sends each batch and, with AT_LEAST_ONCE, waits for the broker's acknowledgement (acks from all
 * in-sync replicas) before the subtask takes more input, so nothing the subtask has processed can be lost in the sink.
 */
class KafkaWriter<T> implements SinkWriter<T> {
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly producer: Producer,
    private readonly config: KafkaSinkConfig<T>,
  ) {}

  async write(records: readonly T[]): Promise<void> {
    if (records.length === 0) return;
    const { serializer } = this.config;
    const sent = this.producer.send({
      topic: serializer.topic,
      acks: this.config.deliveryGuarantee === DeliveryGuarantee.AT_LEAST_ONCE ? -1 : 1,
      compression: CompressionTypes.None,
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

/**
 * EXACTLY_ONCE: one transactional producer per subtask (transactional id `<prefix>-<subtaskIndex>`), one open
 * transaction at a time, opened lazily by the first record.
 *
 * - `snapshotState(N)` pre-commits the open transaction for N (its records are all acknowledged: every write awaited
 *   them) and returns all of its values. Records written afterwards are kept in memory until that transaction commits.
 * - `notifyCheckpointComplete(M)` commits it if M >= the checkpoint it was last pre-committed for, with the marker
 *   (`markerGroupOf(id)`, offset N) inside the transaction; then the kept records go into a new transaction.
 * - A second barrier before the commit makes the transaction absorb the kept records and pre-commits it for the new
 *   checkpoint, so a late notification of the older checkpoint does not commit it.
 * - `notifyCheckpointAborted(N)` lets the transaction pre-committed for N go on as an ordinary open transaction.
 * - `close()` is the clean end of a job (bounded input): it commits the open transaction, kept records included.
 *   `abort()` (cancel, failure) aborts it. A writer whose process dies is never committed; the next writer with its id
 *   (the restore) fences it, which aborts its open transaction. Without checkpoints the transaction times out
 *   (transaction.timeout.ms) and the writer fails.
 */
class TransactionalKafkaWriter<T> implements SinkWriter<T> {
  private transaction: Transaction | undefined;
  /** The values of the open transaction, all sent and acknowledged. */
  private values: Buffer[] = [];
  /** The checkpoint the open transaction was last pre-committed for, if it waits for a commit. */
  private precommittedFor: number | undefined;
  /** Written while a pre-committed transaction waits for its commit: not sent yet. */
  private kept: Buffer[] = [];
  private failure: Error | undefined;
  /** Milliseconds of sendOffsets + commit of the latest commits (for tests and metrics). */
  readonly commitLatenciesMs: number[] = [];

  constructor(
    private readonly producer: Producer,
    private readonly config: KafkaSinkConfig<T>,
    readonly transactionalId: string,
    private readonly transactionTimeoutMs: number,
  ) {}

  write(records: readonly T[]): Promise<void> {
    return this.guarded('write', async () => {
      if (records.length === 0) return;
      const values = records.map((r) => toBuffer(this.config.serializer.serializeValue(r)));
      if (this.precommittedFor !== undefined) {
        for (const v of values) this.kept.push(v);
      } else {
        await this.sendInTransaction(values);
      }
    });
  }

  snapshotState(checkpointId: number): Promise<KafkaWriterState> {
    return this.guarded(`snapshotState(${checkpointId})`, async () => {
      if (this.precommittedFor !== undefined && this.kept.length > 0) {
        const kept = this.kept;
        this.kept = [];
        await this.sendInTransaction(kept);
      }
      if (this.transaction) this.precommittedFor = checkpointId;
      return { transactionalId: this.transactionalId, checkpointId, values: [...this.values] };
    });
  }

  notifyCheckpointComplete(checkpointId: number): Promise<void> {
    return this.guarded(`notifyCheckpointComplete(${checkpointId})`, async () => {
      if (!this.transaction || this.precommittedFor === undefined || this.precommittedFor > checkpointId) return;
      await this.commitOpenTransaction(this.precommittedFor);
      if (this.kept.length > 0) {
        const kept = this.kept;
        this.kept = [];
        await this.sendInTransaction(kept);
      }
    });
  }

  notifyCheckpointAborted(checkpointId: number): Promise<void> {
    return this.guarded(`notifyCheckpointAborted(${checkpointId})`, async () => {
      if (this.precommittedFor !== checkpointId) return;
      this.precommittedFor = undefined;
      if (this.kept.length > 0) {
        const kept = this.kept;
        this.kept = [];
        await this.sendInTransaction(kept);
      }
    });
  }

  /** The clean end of the job: commits what is open (see the class comment). A failed writer only disconnects. */
  async close(): Promise<void> {
    try {
      if (!this.failure && (this.transaction || this.kept.length > 0)) {
        await this.guarded('close', async () => {
          if (this.kept.length > 0) {
            const kept = this.kept;
            this.kept = [];
            await this.sendInTransaction(kept);
          }
          await this.commitOpenTransaction(this.precommittedFor);
        });
      }
    } finally {
      await this.producer.disconnect();
    }
  }

  /**
   * Cancel or failure: aborts the open transaction at once (so read_committed readers are not held up until it times
   * out) and disconnects. Nothing is lost: a restore resends what its checkpoint's transaction held.
   */
  async abort(): Promise<void> {
    const transaction = this.transaction;
    this.transaction = undefined;
    try {
      if (transaction && !this.failure) await transaction.abort();
    } catch {
      // fenced or timed out already: the broker aborts it anyway
    } finally {
      await this.producer.disconnect();
    }
  }

  private async sendInTransaction(values: Buffer[]): Promise<void> {
    if (values.length === 0) return;
    this.transaction ??= await this.producer.transaction();
    for (const chunk of chunks(values)) {
      await this.transaction.send({ topic: this.config.serializer.topic, acks: -1, compression: CompressionTypes.None, messages: chunk });
    }
    for (const v of values) this.values.push(v);
  }

  private async commitOpenTransaction(marker: number | undefined): Promise<void> {
    const transaction = this.transaction;
    if (!transaction) return;
    const started = performance.now();
    if (marker !== undefined) await sendMarker(transaction, this.transactionalId, this.config.serializer.topic, marker);
    await transaction.commit();
    this.commitLatenciesMs.push(performance.now() - started);
    if (this.commitLatenciesMs.length > 100) this.commitLatenciesMs.shift();
    this.transaction = undefined;
    this.values = [];
    this.precommittedFor = undefined;
  }

  private async guarded<R>(what: string, action: () => Promise<R>): Promise<R> {
    if (this.failure) throw new Error(`KafkaSink '${this.transactionalId}': ${what} after the writer failed: ${this.failure.message}`, { cause: this.failure });
    try {
      return await action();
    } catch (error) {
      const fenced = errorTypes(error).some((t) => FENCED_ERRORS.includes(t));
      this.failure = new Error(
        `KafkaSink '${this.transactionalId}': ${what} failed: ${describeError(error)}` +
          (fenced
            ? ` (the producer was fenced: another writer with the same transactional id started, or the transaction was open longer than transaction.timeout.ms = ${this.transactionTimeoutMs} ms without a completed checkpoint)`
            : ''),
        { cause: error },
      );
      throw this.failure;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------

const FENCED_ERRORS = ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING', 'INVALID_TXN_STATE'];
const CONCURRENT_TRANSACTIONS_TEXT = 'another concurrent operation on the same transaction';

function transactionalProducerConfig(transactionalId: string, transactionTimeout: number) {
  return {
    idempotent: true,
    maxInFlightRequests: 1,
    transactionalId,
    transactionTimeout,
    allowAutoTopicCreation: true,
    // kafkajs retries an idempotent producer forever by default; fail instead (the job restarts and restores). The
    // first AddPartitionsToTxn right after a commit usually answers CONCURRENT_TRANSACTIONS (the coordinator is still
    // writing the commit markers): a short first backoff keeps that retry cheap (kafkajs' default is 300 ms).
    retry: { retries: 15, initialRetryTime: 10, maxRetryTime: 10_000 },
  };
}

/**
 * Recovers the transactional ids of an old job: fences each one (InitProducerId aborts its open transaction at once),
 * then commits the state's values again in a new transaction of that id unless the marker shows that the transaction
 * pre-committed for the state's checkpoint (or a later one) committed.
 */
async function recoverTransactionalIds(kafka: Kafka, topic: string, timeoutMs: number, ids: Map<string, KafkaWriterState | undefined>): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await Promise.all([...ids].map(([id, state]) => recoverTransactionalId(kafka, admin, topic, timeoutMs, id, state)));
  } finally {
    await admin.disconnect();
  }
}

async function recoverTransactionalId(kafka: Kafka, admin: Admin, topic: string, timeoutMs: number, id: string, state: KafkaWriterState | undefined): Promise<void> {
  const producer = kafka.producer(transactionalProducerConfig(id, timeoutMs));
  try {
    await producer.connect();
    const fence = await producer.transaction();
    await fence.abort(); // nothing added: ends locally
    if (!state || state.values.length === 0) return;
    const committed = await fetchMarker(admin, id, topic);
    if (committed >= state.checkpointId) return;
    const transaction = await producer.transaction();
    for (const chunk of chunks(state.values)) {
      await transaction.send({ topic, acks: -1, compression: CompressionTypes.None, messages: chunk });
    }
    await sendMarker(transaction, id, topic, state.checkpointId);
    await transaction.commit();
  } catch (error) {
    throw new Error(`KafkaSink: could not recover transactional id '${id}'${state ? ` (checkpoint ${state.checkpointId}, ${state.values.length} records)` : ''}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** The marker's committed offset: the last checkpoint whose transaction committed under `id` (-1 if none). */
async function fetchMarker(admin: Admin, id: string, topic: string): Promise<number> {
  const groupId = markerGroupOf(id);
  for (let attempt = 0; ; attempt++) {
    try {
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      const partition = offsets.find((o) => o.topic === topic)?.partitions.find((p) => p.partition === 0);
      return partition ? Number(partition.offset) : -1;
    } catch (error) {
      if (attempt >= 20 || !isRetriable(error)) throw error;
      await sleep(Math.min(50 * 2 ** attempt, 1000));
    }
  }
}

/**
 * Commits the marker offset `checkpointId` inside `transaction`. AddOffsetsToTxn right after the previous transaction
 * ended can answer CONCURRENT_TRANSACTIONS while the coordinator still completes it; kafkajs does not retry that
 * (tulios/kafkajs#430), so we do, with a short backoff.
 */
async function sendMarker(transaction: Transaction, id: string, topic: string, checkpointId: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let attempt = 0; ; attempt++) {
    try {
      await transaction.sendOffsets({
        consumerGroupId: markerGroupOf(id),
        topics: [{ topic, partitions: [{ partition: 0, offset: String(checkpointId) }] }],
      });
      return;
    } catch (error) {
      if (!errorTypes(error).includes('CONCURRENT_TRANSACTIONS') || Date.now() > deadline) throw error;
      await sleep(Math.min(10 * 2 ** attempt, 200));
    }
  }
}

function parseRestoredState(restored: RestoredSinkState): KafkaWriterState | undefined {
  const s = restored.state as Partial<Record<keyof KafkaWriterState, unknown>> | undefined | null;
  if (s === undefined || s === null) return undefined; // e.g. a checkpoint of an at-least-once KafkaSink
  if (typeof s !== 'object' || typeof s.transactionalId !== 'string' || typeof s.checkpointId !== 'number' || !Array.isArray(s.values)) {
    throw new Error(
      `KafkaSink: the restored state of subtask ${restored.subtaskIndex} (checkpoint ${restored.checkpointId}) is not a KafkaSink state ` +
        `({ transactionalId, checkpointId, values }): ${JSON.stringify(s).slice(0, 200)}`,
    );
  }
  const values = s.values.map((v, i) => {
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    throw new Error(`KafkaSink: value ${i} in the restored state of subtask ${restored.subtaskIndex} is neither bytes nor a string.`);
  });
  return { transactionalId: s.transactionalId, checkpointId: s.checkpointId, values };
}

/** At most ~512 KiB per produce request (the broker's default message.max.bytes is 1 MiB per record batch). */
function chunks(values: readonly Buffer[]): Message[][] {
  const out: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const value of values) {
    if (current.length > 0 && bytes + value.length > 512 * 1024) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ value });
    bytes += value.length + 64;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The kafkajs protocol error types in an error and its causes. */
function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  for (let e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 10; depth++) {
    if (typeof e.type === 'string') types.push(e.type);
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return types;
}

function isRetriable(error: unknown): boolean {
  return (error as { retriable?: unknown } | undefined)?.retriable === true;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const types = errorTypes(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error && cause.message !== error.message ? ` (caused by: ${cause.message})` : '';
  return `${error.message}${causeText}${types.length ? ` [${[...new Set(types)].join(', ')}]` : ''}`;
}

/**
 * kafkajs errors to stderr (never stdout). Left out: the error answer of every single request (kafkajs' Connection logs
 * each one, retried or not: the final error reaches the caller anyway) and the CONCURRENT_TRANSACTIONS answers that are
 * retried.
 */
const stderrLogCreator: logCreator = () => ({ namespace, label, log }) => {
  const { message, timestamp: _timestamp, ...extra } = log;
  if (namespace === 'Connection' && message.startsWith('Response ')) return;
  if (`${message} ${String(extra['error'])}`.includes(CONCURRENT_TRANSACTIONS_TEXT)) return;
  process.stderr.write(`kafkajs ${label} [${namespace}] ${message} ${JSON.stringify(extra)}\n`);
};
