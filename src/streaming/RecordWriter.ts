import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../state/KeyGroupRangeAssignment.js';
import type { ChannelMessage, FromTaskThread } from '../taskmanager/task/thread-protocol.js';
import { encodeBatch } from './BatchCodec.js';
import { KeyExtractionException } from './RecordErrors.js';

/** Records per batch: ~1000 amortises encoding and messaging (reference/node-limits.md). */
export const BATCH_SIZE = 1000;
/** Sealed batches a channel may hold back while it waits for credit before the task stops taking input. */
const MAX_PENDING_PER_CHANNEL = 2;
/**
 * An encoded batch above this is sent as two (halving until it fits or holds one record): a shuffle message must stay
 * well below the RPC layer's 64 MiB message limit however large the records are.
 */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

class OutputChannel {
  credits = 0;
  values: unknown[] = [];
  timestamps: (number | undefined)[] = [];
  readonly pending: ChannelMessage[] = [];

  constructor(readonly id: string) {}
}

export interface WriterMetrics {
  recordsOut: number;
  bytesOut: number;
  buffersOut: number;
}

/**
 * The producing side of one job edge for one subtask (Flink's RecordWriter + ResultPartition): picks each record's
 * channel (FORWARD, HASH by key group, REBALANCE), batches records per channel, and sends a batch only when the
 * consumer has granted credit for it. Watermarks, idleness and checkpoint barriers go out in order behind the data before them.
 * Backpressure: while any channel holds more than a couple of batches waiting for credit, `available()` blocks the task.
 */
export class RecordWriter {
  private readonly channels: OutputChannel[];
  private readonly byId = new Map<string, OutputChannel>();
  private nextRoundRobin: number;
  private waiter: (() => void) | undefined;
  private interrupted = false;

  constructor(
    channelIds: readonly string[],
    private readonly strategy: string,
    subtaskIndex: number,
    private readonly keySelector: ((value: any) => string | number) | undefined,
    private readonly targetMaxParallelism: number,
    private readonly send: (message: FromTaskThread) => void,
    private readonly metrics: WriterMetrics,
  ) {
    this.channels = channelIds.map((id) => new OutputChannel(id));
    for (const channel of this.channels) this.byId.set(channel.id, channel);
    this.nextRoundRobin = subtaskIndex % Math.max(1, this.channels.length);
    if (strategy === 'HASH' && !keySelector) throw new Error('A HASH edge needs a key selector.');
  }

  /** Throws KeyExtractionException (having emitted nothing) if a HASH edge's key selector cannot key the record. */
  emit(value: unknown, timestamp: number | undefined): void {
    this.emitToChannel(this.selectChannel(value), value, timestamp);
  }

  /** Emits to the channel `selectChannel` chose (so a chain with several writers keys a record for all of them first). */
  emitToChannel(index: number, value: unknown, timestamp: number | undefined): void {
    const channel = this.channels[index]!;
    channel.values.push(value);
    channel.timestamps.push(timestamp);
    this.metrics.recordsOut++;
    if (channel.values.length >= BATCH_SIZE) this.seal(channel);
  }

  broadcastWatermark(timestamp: number): void {
    this.broadcast((id) => ({ type: 'watermark', channel: id, timestamp }));
  }

  broadcastIdle(idle: boolean): void {
    this.broadcast((id) => ({ type: 'idle', channel: id, idle }));
  }

  /** Checkpoint barrier: in order behind every record emitted before it, on every channel. */
  broadcastBarrier(checkpointId: number, timestamp: number, targetLocation: string): void {
    this.broadcast((id) => ({ type: 'barrier', channel: id, checkpointId, timestamp, targetLocation }));
  }

  endOfPartition(drained: boolean): void {
    this.broadcast((id) => ({ type: 'end', channel: id, drained }));
  }

  /** Seals every partly filled batch (after each unit of work, so records do not wait for a full batch). */
  flush(): void {
    for (const channel of this.channels) if (channel.values.length > 0) this.seal(channel);
  }

  addCredit(channelId: string, credits: number): boolean {
    const channel = this.byId.get(channelId);
    if (!channel) return false;
    channel.credits += credits;
    this.trySend(channel);
    return true;
  }

  isAvailable(): boolean {
    return this.channels.every((c) => c.pending.length <= MAX_PENDING_PER_CHANNEL);
  }

  /** Resolves once every channel is within its bound of batches waiting for credit, or the task is cancelled. */
  async available(): Promise<void> {
    while (!this.isAvailable() && !this.interrupted) await new Promise<void>((resolve) => (this.waiter = resolve));
  }

  /** Cancellation: a consumer that is gone will never grant credit, so stop waiting for it. */
  interrupt(): void {
    this.interrupted = true;
    const wake = this.waiter;
    this.waiter = undefined;
    wake?.();
  }

  /** Everything sent, including the end-of-partition markers (for a clean finish). */
  drained(): boolean {
    return this.channels.every((c) => c.pending.length === 0);
  }

  /** The channel of a record; throws KeyExtractionException if a HASH edge's key selector cannot key it. */
  selectChannel(value: unknown): number {
    switch (this.strategy) {
      case 'FORWARD':
        return 0;
      case 'HASH': {
        let key: unknown;
        try {
          key = this.keySelector!(value);
        } catch (error) {
          throw new KeyExtractionException(value, error);
        }
        if (typeof key !== 'string' && typeof key !== 'number') {
          throw new KeyExtractionException(value, new TypeError(`The key selector returned ${key === null ? 'null' : typeof key}; a key is a string or a number.`));
        }
        const keyGroup = assignToKeyGroup(key, this.targetMaxParallelism);
        return computeOperatorIndexForKeyGroup(this.targetMaxParallelism, this.channels.length, keyGroup);
      }
      default: {
        const index = this.nextRoundRobin;
        this.nextRoundRobin = (index + 1) % this.channels.length;
        return index;
      }
    }
  }

  private broadcast(message: (channelId: string) => ChannelMessage): void {
    for (const channel of this.channels) {
      if (channel.values.length > 0) this.seal(channel);
      channel.pending.push(message(channel.id));
      this.trySend(channel);
    }
  }

  private seal(channel: OutputChannel): void {
    this.encodeInto(channel, channel.values, channel.timestamps);
    channel.values = [];
    channel.timestamps = [];
    this.trySend(channel);
  }

  private encodeInto(channel: OutputChannel, values: unknown[], timestamps: (number | undefined)[]): void {
    const bytes = encodeBatch(values, timestamps);
    if (bytes.length > MAX_BATCH_BYTES && values.length > 1) {
      const half = values.length >>> 1;
      this.encodeInto(channel, values.slice(0, half), timestamps.slice(0, half));
      this.encodeInto(channel, values.slice(half), timestamps.slice(half));
      return;
    }
    channel.pending.push({ type: 'data', channel: channel.id, bytes, records: values.length });
    this.metrics.bytesOut += bytes.length;
    this.metrics.buffersOut++;
  }

  private trySend(channel: OutputChannel): void {
    while (channel.pending.length > 0) {
      const head = channel.pending[0]!;
      if (head.type === 'data') {
        if (channel.credits <= 0) break;
        channel.credits--;
      }
      channel.pending.shift();
      this.send(head);
    }
    if (this.waiter && this.isAvailable()) {
      const wake = this.waiter;
      this.waiter = undefined;
      wake();
    }
  }
}
