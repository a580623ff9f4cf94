/** One subtask's acknowledgement of a checkpoint (Flink's SubtaskStateStats). */
export interface SubtaskCheckpointStats {
  ackTimestamp: number;
  stateSize: number;
  syncDurationMs: number;
  asyncDurationMs: number;
  alignmentDurationMs: number;
  startDelayMs: number;
}

type Status = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export type CheckpointType = 'CHECKPOINT' | 'SAVEPOINT' | 'SYNC_SAVEPOINT';

interface CheckpointStats {
  id: number;
  type: CheckpointType;
  status: Status;
  triggerTimestamp: number;
  /** vertex id → subtask index → ack (undefined until acknowledged). */
  tasks: Map<string, Array<SubtaskCheckpointStats | undefined>>;
  externalPath?: string;
  discarded: boolean;
  failureTimestamp?: number;
  failureMessage?: string;
}

/** How many checkpoints the history keeps (Flink's `web.checkpoints.history`). */
const HISTORY_SIZE = 10;

/**
 * Checkpoint statistics of one job (Flink's CheckpointStatsTracker), rendered in the REST shapes of
 * `/jobs/:id/checkpoints`, `/checkpoints/details/:id` and `/checkpoints/details/:id/subtasks/:vid`.
 */
export class CheckpointStatsTracker {
  private readonly history: CheckpointStats[] = [];
  private readonly byId = new Map<number, CheckpointStats>();
  private readonly completedStats: CheckpointStats[] = [];
  private counts = { restored: 0, total: 0, in_progress: 0, completed: 0, failed: 0 };
  private latestCompleted: CheckpointStats | undefined;
  private latestFailed: CheckpointStats | undefined;
  private latestSavepoint: CheckpointStats | undefined;
  private restored: { id: number; restore_timestamp: number; is_savepoint: boolean; external_path: string } | undefined;

  reportPending(id: number, triggerTimestamp: number, type: CheckpointType, subtasks: Array<{ vertexId: string; subtaskIndex: number }>): void {
    const tasks = new Map<string, Array<SubtaskCheckpointStats | undefined>>();
    for (const { vertexId, subtaskIndex } of subtasks) {
      const list = tasks.get(vertexId) ?? [];
      list[subtaskIndex] = undefined;
      tasks.set(vertexId, list);
    }
    const stats: CheckpointStats = { id, type, status: 'IN_PROGRESS', triggerTimestamp, tasks, discarded: false };
    this.byId.set(id, stats);
    this.history.unshift(stats);
    while (this.history.length > HISTORY_SIZE) this.byId.delete(this.history.pop()!.id);
    this.counts.total++;
    this.counts.in_progress++;
  }

  reportAck(id: number, vertexId: string, subtaskIndex: number, ack: SubtaskCheckpointStats): void {
    const list = this.byId.get(id)?.tasks.get(vertexId);
    if (list) list[subtaskIndex] = ack;
  }

  reportCompleted(id: number, externalPath: string): { stateSize: number } {
    const stats = this.byId.get(id)!;
    stats.status = 'COMPLETED';
    stats.externalPath = externalPath;
    this.counts.in_progress--;
    this.counts.completed++;
    if (stats.type === 'CHECKPOINT') this.latestCompleted = stats;
    else this.latestSavepoint = stats;
    this.completedStats.push(stats);
    if (this.completedStats.length > 1000) this.completedStats.shift();
    return { stateSize: this.aggregate(stats).stateSize };
  }

  reportFailed(id: number, message: string): void {
    const stats = this.byId.get(id);
    this.counts.in_progress--;
    this.counts.failed++;
    if (!stats) return;
    stats.status = 'FAILED';
    stats.failureTimestamp = Date.now();
    stats.failureMessage = message;
    this.latestFailed = stats;
  }

  reportDiscarded(id: number): void {
    const stats = this.byId.get(id) ?? this.completedStats.find((s) => s.id === id);
    if (stats) stats.discarded = true;
  }

  reportRestored(id: number, externalPath: string, isSavepoint: boolean): void {
    this.counts.restored++;
    this.restored = { id, restore_timestamp: Date.now(), is_savepoint: isSavepoint, external_path: externalPath };
  }

  /** Flink's job metrics of checkpointing, values as numbers. */
  metrics(): Record<string, number | string> {
    const last = this.latestCompleted ? this.aggregate(this.latestCompleted) : undefined;
    return {
      lastCheckpointSize: last?.stateSize ?? -1,
      lastCheckpointFullSize: last?.stateSize ?? -1,
      lastCheckpointDuration: last?.duration ?? -1,
      lastCheckpointExternalPath: this.latestCompleted?.externalPath ?? 'n/a',
      lastCheckpointRestoreTimestamp: this.restored?.restore_timestamp ?? -1,
      numberOfInProgressCheckpoints: this.counts.in_progress,
      numberOfCompletedCheckpoints: this.counts.completed,
      numberOfFailedCheckpoints: this.counts.failed,
      totalNumberOfCheckpoints: this.counts.total,
    };
  }

  /** GET /jobs/:id/checkpoints. */
  overviewJson(): unknown {
    const completed = this.completedStats.map((s) => this.aggregate(s));
    return {
      counts: { ...this.counts },
      summary: {
        checkpointed_size: summaryStats(completed.map((c) => c.stateSize)),
        state_size: summaryStats(completed.map((c) => c.stateSize)),
        end_to_end_duration: summaryStats(completed.map((c) => c.duration)),
        alignment_buffered: summaryStats(completed.map(() => 0)),
        processed_data: summaryStats(completed.map(() => 0)),
        persisted_data: summaryStats(completed.map(() => 0)),
      },
      latest: {
        completed: this.latestCompleted ? this.checkpointJson(this.latestCompleted, false) : null,
        savepoint: this.latestSavepoint ? this.checkpointJson(this.latestSavepoint, false) : null,
        failed: this.latestFailed ? this.checkpointJson(this.latestFailed, false) : null,
        restored: this.restored ?? null,
      },
      history: this.history.map((s) => this.checkpointJson(s, false)),
    };
  }

  /** GET /jobs/:id/checkpoints/details/:checkpointid; undefined if unknown. */
  detailsJson(id: number): unknown {
    const stats = this.byId.get(id);
    return stats ? this.checkpointJson(stats, true) : undefined;
  }

  /** GET /jobs/:id/checkpoints/details/:checkpointid/subtasks/:vertexid; undefined if unknown. */
  subtasksJson(id: number, vertexId: string): unknown {
    const stats = this.byId.get(id);
    const acks = stats?.tasks.get(vertexId);
    if (!stats || !acks) return undefined;
    const done = acks.filter((a): a is SubtaskCheckpointStats => a !== undefined);
    return {
      ...this.taskJson(stats, vertexId, acks),
      summary: {
        checkpointed_size: summaryStats(done.map((a) => a.stateSize)),
        state_size: summaryStats(done.map((a) => a.stateSize)),
        end_to_end_duration: summaryStats(done.map((a) => a.ackTimestamp - stats.triggerTimestamp)),
        checkpoint_duration: { sync: summaryStats(done.map((a) => a.syncDurationMs)), async: summaryStats(done.map((a) => a.asyncDurationMs)) },
        alignment: {
          buffered: summaryStats(done.map(() => 0)),
          processed: summaryStats(done.map(() => 0)),
          persisted: summaryStats(done.map(() => 0)),
          duration: summaryStats(done.map((a) => a.alignmentDurationMs)),
        },
        start_delay: summaryStats(done.map((a) => a.startDelayMs)),
      },
      subtasks: acks.map((a, index) =>
        a === undefined
          ? { index, status: 'pending_or_failed' }
          : {
              index,
              status: 'completed',
              ack_timestamp: a.ackTimestamp,
              end_to_end_duration: a.ackTimestamp - stats.triggerTimestamp,
              checkpointed_size: a.stateSize,
              state_size: a.stateSize,
              checkpoint: { sync: a.syncDurationMs, async: a.asyncDurationMs },
              alignment: { buffered: 0, processed: 0, persisted: 0, duration: a.alignmentDurationMs },
              start_delay: a.startDelayMs,
              unaligned_checkpoint: false,
              aborted: false,
            },
      ),
    };
  }

  private aggregate(stats: CheckpointStats): { stateSize: number; duration: number; latestAck: number; acknowledged: number; subtasks: number } {
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

  private taskJson(stats: CheckpointStats, vertexId: string, acks: Array<SubtaskCheckpointStats | undefined>): Record<string, unknown> {
    const done = acks.filter((a): a is SubtaskCheckpointStats => a !== undefined);
    const latestAck = Math.max(0, ...done.map((a) => a.ackTimestamp));
    const size = done.reduce((sum, a) => sum + a.stateSize, 0);
    return {
      id: vertexId,
      status: stats.status,
      latest_ack_timestamp: latestAck,
      checkpointed_size: size,
      state_size: size,
      end_to_end_duration: latestAck > 0 ? latestAck - stats.triggerTimestamp : 0,
      alignment_buffered: 0,
      processed_data: 0,
      persisted_data: 0,
      num_subtasks: acks.length,
      num_acknowledged_subtasks: done.length,
    };
  }

  private checkpointJson(stats: CheckpointStats, withTasks: boolean): Record<string, unknown> {
    const a = this.aggregate(stats);
    const json: Record<string, unknown> = {
      className: stats.status === 'COMPLETED' ? 'completed' : stats.status === 'FAILED' ? 'failed' : 'in_progress',
      id: stats.id,
      status: stats.status,
      is_savepoint: stats.type !== 'CHECKPOINT',
      savepointFormat: stats.type === 'CHECKPOINT' ? null : 'CANONICAL',
      trigger_timestamp: stats.triggerTimestamp,
      latest_ack_timestamp: a.latestAck,
      checkpointed_size: a.stateSize,
      state_size: a.stateSize,
      end_to_end_duration: a.duration,
      alignment_buffered: 0,
      processed_data: 0,
      persisted_data: 0,
      num_subtasks: a.subtasks,
      num_acknowledged_subtasks: a.acknowledged,
      checkpoint_type: stats.type,
      tasks: withTasks ? Object.fromEntries([...stats.tasks].map(([vertexId, acks]) => [vertexId, this.taskJson(stats, vertexId, acks)])) : {},
    };
    if (stats.status === 'COMPLETED') {
      json.external_path = stats.externalPath;
      json.discarded = stats.discarded;
    }
    if (stats.status === 'FAILED') {
      json.failure_timestamp = stats.failureTimestamp;
      json.failure_message = stats.failureMessage;
    }
    return json;
  }
}

/** Flink's StatsSummaryDto: min, max, avg and percentiles (0 everywhere when empty). */
export function summaryStats(values: readonly number[]): Record<string, number> {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    avg: Math.round(values.reduce((s, v) => s + v, 0) / values.length),
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    p999: at(0.999),
  };
}
