import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../state/KeyGroupRangeAssignment.js';
import type { ChannelMessage, FromTaskThread } from '../taskmanager/task/thread-protocol.js';
import { encodeBatch } from './BatchCodec.js';

/** Records per batch: ~1000 amortises encoding and messaging (reference/node-limits.md). */
export const BATCH_SIZE = 1000;
/** Sealed batches a channel may hold back while it waits for credit before the task stops taking input. */
const MAX_PENDING_PER_CHANNEL = 2;

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

  emit(value: unknown, timestamp: number | undefined): void {
    const channel = this.channels[this.selectChannel(value)]!;
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

  private selectChannel(value: unknown): number {
    switch (this.strategy) {
      case 'FORWARD':
        return 0;
      case 'HASH': {
        const keyGroup = assignToKeyGroup(this.keySelector!(value), this.targetMaxParallelism);
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
    const bytes = encodeBatch(channel.values, channel.timestamps);
    channel.pending.push({ type: 'data', channel: channel.id, bytes, records: channel.values.length });
    channel.values = [];
    channel.timestamps = [];
    this.metrics.bytesOut += bytes.length;
    this.metrics.buffersOut++;
    this.trySend(channel);
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
