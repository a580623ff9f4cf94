import type { Clock } from '../../common/time/Clock.js';
import type { CheckpointType } from './PendingCheckpoint.js';

/** One subtask's acknowledgement of a checkpoint (Flink's SubtaskStateStats). */
export interface SubtaskCheckpointStats {
  ackTimestamp: number;
  stateSize: number;
  syncDurationMs: number;
  asyncDurationMs: number;
  alignmentDurationMs: number;
  startDelayMs: number;
}

export type CheckpointStatsStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One checkpoint as the statistics follow it (Flink's AbstractCheckpointStats). */
export interface CheckpointStats {
  id: number;
  type: CheckpointType;
  status: CheckpointStatsStatus;
  triggerTimestamp: number;
  /** vertex id → subtask index → ack (undefined until acknowledged). */
  tasks: Map<string, Array<SubtaskCheckpointStats | undefined>>;
  externalPath?: string;
  discarded: boolean;
  failureTimestamp?: number;
  failureMessage?: string;
}

export interface CheckpointStatsCounts {
  restored: number;
  total: number;
  in_progress: number;
  completed: number;
  failed: number;
}

export interface RestoredCheckpointStats {
  id: number;
  restore_timestamp: number;
  is_savepoint: boolean;
  external_path: string;
}

/** Totals over a checkpoint's acknowledgements. */
export interface CheckpointStatsSummary {
  stateSize: number;
  duration: number;
  latestAck: number;
  acknowledged: number;
  subtasks: number;
}

/** How many checkpoints the history keeps (Flink's `web.checkpoints.history`). */
const HISTORY_SIZE = 10;
/** How many completed checkpoints the summary statistics cover. */
const SUMMARY_SIZE = 1000;

/**
 * Checkpoint statistics of one job (Flink's CheckpointStatsTracker): counts, the recent history, the latest completed,
 * failed, savepoint and restored checkpoints. REST renders them (rest/handlers/checkpointHandlers.ts); the job's
 * checkpoint metrics come from here.
 */
export class CheckpointStatsTracker {
  private readonly historyList: CheckpointStats[] = [];
  private readonly byId = new Map<number, CheckpointStats>();
  private readonly completedList: CheckpointStats[] = [];
  private readonly countsValue: CheckpointStatsCounts = { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 };
  private latestCompletedStats: CheckpointStats | undefined;
  private latestFailedStats: CheckpointStats | undefined;
  private latestSavepointStats: CheckpointStats | undefined;
  private restoredStats: RestoredCheckpointStats | undefined;

  constructor(private readonly clock: Clock) {}

  reportPending(id: number, triggerTimestamp: number, type: CheckpointType, subtasks: Array<{ vertexId: string; subtaskIndex: number }>): void {
    const tasks = new Map<string, Array<SubtaskCheckpointStats | undefined>>();
    for (const { vertexId, subtaskIndex } of subtasks) {
      const list = tasks.get(vertexId) ?? [];
      list[subtaskIndex] = undefined;
      tasks.set(vertexId, list);
    }
    const stats: CheckpointStats = { id, type, status: 'IN_PROGRESS', triggerTimestamp, tasks, discarded: false };
    this.byId.set(id, stats);
    this.historyList.unshift(stats);
    while (this.historyList.length > HISTORY_SIZE) this.byId.delete(this.historyList.pop()!.id);
    this.countsValue.total++;
    this.countsValue.in_progress++;
  }

  reportAck(id: number, vertexId: string, subtaskIndex: number, ack: SubtaskCheckpointStats): void {
    const list = this.byId.get(id)?.tasks.get(vertexId);
    if (list) list[subtaskIndex] = ack;
  }

  reportCompleted(id: number, externalPath: string): CheckpointStatsSummary {
    const stats = this.byId.get(id)!;
    stats.status = 'COMPLETED';
    stats.externalPath = externalPath;
    this.countsValue.in_progress--;
    this.countsValue.completed++;
    if (stats.type === 'CHECKPOINT') this.latestCompletedStats = stats;
    else this.latestSavepointStats = stats;
    this.completedList.push(stats);
    if (this.completedList.length > SUMMARY_SIZE) this.completedList.shift();
    return summarize(stats);
  }

  reportFailed(id: number, message: string): void {
    const stats = this.byId.get(id);
    this.countsValue.in_progress--;
    this.countsValue.failed++;
    if (!stats) return;
    stats.status = 'FAILED';
    stats.failureTimestamp = this.clock.now();
    stats.failureMessage = message;
    this.latestFailedStats = stats;
  }

  reportDiscarded(id: number): void {
    const stats = this.byId.get(id) ?? this.completedList.find((s) => s.id === id);
    if (stats) stats.discarded = true;
  }

  reportRestored(id: number, externalPath: string, isSavepoint: boolean): void {
    this.countsValue.restored++;
    this.restoredStats = { id, restore_timestamp: this.clock.now(), is_savepoint: isSavepoint, external_path: externalPath };
  }

  get counts(): Readonly<CheckpointStatsCounts> {
    return this.countsValue;
  }

  /** The newest checkpoints first, at most `web.checkpoints.history`. */
  get history(): readonly CheckpointStats[] {
    return this.historyList;
  }

  /** The completed checkpoints the summary covers, oldest first. */
  get completed(): readonly CheckpointStats[] {
    return this.completedList;
  }

  get latestCompleted(): CheckpointStats | undefined {
    return this.latestCompletedStats;
  }

  get latestFailed(): CheckpointStats | undefined {
    return this.latestFailedStats;
  }

  get latestSavepoint(): CheckpointStats | undefined {
    return this.latestSavepointStats;
  }

  get restored(): RestoredCheckpointStats | undefined {
    return this.restoredStats;
  }

  /** A checkpoint of the history, if it is still there. */
  get(id: number): CheckpointStats | undefined {
    return this.byId.get(id);
  }

  /** Flink's job metrics of checkpointing, values as numbers. */
  metrics(): Record<string, number | string> {
    const last = this.latestCompletedStats ? summarize(this.latestCompletedStats) : undefined;
    return {
      lastCheckpointSize: last?.stateSize ?? -1,
      lastCheckpointFullSize: last?.stateSize ?? -1,
      lastCheckpointDuration: last?.duration ?? -1,
      lastCheckpointExternalPath: this.latestCompletedStats?.externalPath ?? 'n/a',
      lastCheckpointRestoreTimestamp: this.restoredStats?.restore_timestamp ?? -1,
      numberOfInProgressCheckpoints: this.countsValue.in_progress,
      numberOfCompletedCheckpoints: this.countsValue.completed,
      numberOfFailedCheckpoints: this.countsValue.failed,
      totalNumberOfCheckpoints: this.countsValue.total,
    };
  }
}

/** Totals over a checkpoint's acknowledgements so far. */
export function summarize(stats: CheckpointStats): CheckpointStatsSummary {
  let stateSize = 0;
  let latestAck = 0;
  let acknowledged = 0;
  let subtasks = 0;
  for (const acks of stats.tasks.values()) {
    for (const ack of acks) {
      subtasks++;
      if (!ack) continue;
      acknowledged++;
      stateSize += ack.stateSize;
      latestAck = Math.max(latestAck, ack.ackTimestamp);
    }
  }
  return { stateSize, duration: latestAck > 0 ? latestAck - stats.triggerTimestamp : 0, latestAck, acknowledged, subtasks };
}
