import type { ChannelMessage } from '../taskmanager/task/thread-protocol.js';

interface PendingAlignment {
  checkpointId: number;
  timestamp: number;
  targetLocation: string;
  startedAt: number;
  /** Channels whose barrier arrived: what they deliver next is held back until the checkpoint is taken. */
  held: Map<string, ChannelMessage[]>;
  /** Channels whose barrier the mailbox has processed (everything before it on that channel is processed too). */
  processed: Set<string>;
}

/**
 * Aligned checkpoint barriers for a task with several input channels (Flink's SingleCheckpointBarrierHandler with
 * aligned barriers). Works at two points:
 * - on arrival (in the order messages reach the subtask), a channel that delivered barrier N is blocked: what it sends
 *   afterwards is held, so no record after the barrier is processed before the snapshot;
 * - in the mailbox, once the barrier of every channel that has not ended is processed, the task snapshots and
 *   `release()` hands the held messages on, in order.
 * A barrier of a later checkpoint aborts an unfinished alignment (its checkpoint was aborted upstream); a barrier of
 * an earlier, aborted checkpoint is dropped. Blocked channels return no credit, so what is held stays bounded.
 */
export class CheckpointBarrierAligner {
  private pending: PendingAlignment | undefined;
  /** The newest checkpoint an alignment started for: its barriers and older ones arriving later are stale. */
  private latestCheckpointId = 0;

  constructor(
    private readonly channelIds: readonly string[],
    private readonly deliver: (message: ChannelMessage) => void,
    private readonly now: () => number = Date.now,
  ) {}

  onArrival(message: ChannelMessage): void {
    const pending = this.pending;
    const held = pending?.held.get(message.channel);
    if (held) {
      held.push(message);
      return;
    }
    if (message.type !== 'barrier') {
      this.deliver(message);
      return;
    }
    if (pending && message.checkpointId < pending.checkpointId) return;
    if (!pending && message.checkpointId <= this.latestCheckpointId) return;
    if (pending && message.checkpointId > pending.checkpointId) this.abort(pending.checkpointId);
    if (!this.pending) {
      this.latestCheckpointId = message.checkpointId;
      this.pending = { checkpointId: message.checkpointId, timestamp: message.timestamp, targetLocation: message.targetLocation, startedAt: this.now(), held: new Map(), processed: new Set() };
    }
    this.pending!.held.set(message.channel, []);
    this.deliver(message);
  }

  /** The mailbox reached a channel's barrier. */
  onBarrierProcessed(channel: string, checkpointId: number): void {
    if (this.pending?.checkpointId === checkpointId) this.pending.processed.add(channel);
  }

  /** The checkpoint to take now, if every live channel's barrier was processed. */
  takeCompleted(isEnded: (channel: string) => boolean): { checkpointId: number; timestamp: number; targetLocation: string; alignmentMs: number } | undefined {
    const pending = this.pending;
    if (!pending || pending.processed.size === 0) return undefined;
    if (!this.channelIds.every((c) => pending.processed.has(c) || isEnded(c))) return undefined;
    return { checkpointId: pending.checkpointId, timestamp: pending.timestamp, targetLocation: pending.targetLocation, alignmentMs: this.now() - pending.startedAt };
  }

  /** The checkpoint was taken (or failed): unblock every channel, handing on what it held, in order. */
  release(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    for (const messages of pending.held.values()) for (const message of messages) this.onArrival(message);
  }

  /** Gives up alignment for `checkpointId` (aborted); returns whether it was in progress. */
  abort(checkpointId: number): boolean {
    if (this.pending?.checkpointId !== checkpointId) return false;
    this.release();
    return true;
  }
}
