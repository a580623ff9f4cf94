import { MIN_WATERMARK } from '../job/watermarks.js';

interface InputChannelState {
  watermark: number;
  idle: boolean;
  ended: boolean;
}

/**
 * The consuming side of a subtask's inputs (Flink's InputGate with its StatusWatermarkValve): tracks every input
 * channel's watermark and idleness; the subtask's watermark is the minimum over the channels that are not idle, and the
 * subtask is idle only when all of them are.
 */
export class InputGate {
  private readonly channels = new Map<string, InputChannelState>();
  private combined = MIN_WATERMARK;
  private idle = false;

  constructor(channelIds: readonly string[]) {
    for (const id of channelIds) this.channels.set(id, { watermark: MIN_WATERMARK, idle: false, ended: false });
  }

  get channelIds(): string[] {
    return [...this.channels.keys()];
  }

  get currentWatermark(): number {
    return this.combined;
  }

  allEnded(): boolean {
    return [...this.channels.values()].every((c) => c.ended);
  }

  isEnded(channelId: string): boolean {
    return this.channels.get(channelId)?.ended ?? false;
  }

  has(channelId: string): boolean {
    return this.channels.has(channelId);
  }

  /** A channel's watermark; returns the new combined watermark if it advanced. */
  onWatermark(channelId: string, timestamp: number): number | undefined {
    const channel = this.channels.get(channelId)!;
    if (timestamp > channel.watermark) channel.watermark = timestamp;
    return this.recompute();
  }

  /** A channel became idle or active; returns what changed for the subtask. */
  onIdle(channelId: string, idle: boolean): { watermark?: number; idle?: boolean } {
    this.channels.get(channelId)!.idle = idle;
    return this.statusChange();
  }

  /** A channel ended: it no longer holds back event time. Returns what changed, and whether all inputs ended. */
  onEnd(channelId: string): { watermark?: number; idle?: boolean; allEnded: boolean } {
    const channel = this.channels.get(channelId)!;
    channel.ended = true;
    channel.idle = true;
    const change = this.statusChange();
    return { ...change, allEnded: [...this.channels.values()].every((c) => c.ended) };
  }

  private statusChange(): { watermark?: number; idle?: boolean } {
    const result: { watermark?: number; idle?: boolean } = {};
    const allIdle = [...this.channels.values()].every((c) => c.idle);
    if (allIdle !== this.idle) {
      this.idle = allIdle;
      result.idle = allIdle;
    }
    const advanced = this.recompute();
    if (advanced !== undefined) result.watermark = advanced;
    return result;
  }

  private recompute(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    for (const c of this.channels.values()) if (!c.idle && c.watermark < min) min = c.watermark;
    if (min === Number.POSITIVE_INFINITY || min <= this.combined) return undefined;
    this.combined = min;
    return min;
  }
}
