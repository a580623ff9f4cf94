import type { SinkWriter } from '../../job/connectors.js';
import { sendMarker } from './commit-marker.js';
import { describeError, isFenced } from './kafka-errors.js';
import type { KafkaSinkProducer, KafkaSinkTransaction } from './KafkaSinkClient.js';
import type { KafkaSinkConfig } from './KafkaSinkConfig.js';
import type { KafkaWriterState } from './KafkaWriterState.js';
import { toMessageChunks } from './record-chunks.js';

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
 *
 * The producer comes connected, its id already fenced and its marker set up by KafkaSink.createWriter.
 */
export class TransactionalKafkaWriter<T> implements SinkWriter<T> {
  private transaction: KafkaSinkTransaction | undefined;
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
    private readonly producer: KafkaSinkProducer,
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
    for (const chunk of toMessageChunks(values)) {
      await this.transaction.send({ topic: this.config.serializer.topic, acks: -1, messages: chunk });
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
      this.failure = new Error(
        `KafkaSink '${this.transactionalId}': ${what} failed: ${describeError(error)}` +
          (isFenced(error)
            ? ` (the producer was fenced: another writer with the same transactional id started, or the transaction was open longer than transaction.timeout.ms = ${this.transactionTimeoutMs} ms without a completed checkpoint)`
            : ''),
        { cause: error },
      );
      throw this.failure;
    }
  }
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
