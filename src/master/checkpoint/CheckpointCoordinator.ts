import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Configuration } from '../../common/config/Configuration.js';
import { CheckpointingOptions } from '../../common/config/options.js';
import { IllegalConfigurationError } from '../../common/errors.js';
import { fileUri, localPath } from '../../common/fileUris.js';
import type { Logger } from '../../common/Logger.js';
import { randomHex } from '../../common/ids.js';
import { decodeSubtaskState } from '../../state/StateHandles.js';
import type { Execution, ExecutionGraph } from '../executiongraph/ExecutionGraph.js';
import type { TaskExecutorClients } from '../jobmaster/TaskExecutorClients.js';
import { readCheckpoint, writeMetadata, type CheckpointMetadata } from './CheckpointMetadata.js';
import { CheckpointStatsTracker, type SubtaskCheckpointStats } from './CheckpointStatsTracker.js';

export interface CheckpointCoordinatorConfig {
  /** Periodic checkpoints every `interval` ms; undefined: checkpointing is off (savepoints still work). */
  interval: number | undefined;
  timeout: number;
  minPause: number;
  numRetained: number;
  /** Consecutive failures tolerated before the job fails over; -1: never. */
  tolerableFailures: number;
  /** `<checkpoints dir>/<jobId>`. */
  jobDirectory: string;
  retention: CheckpointRetention;
}

export const CHECKPOINT_RETENTIONS = ['NO_EXTERNALIZED_CHECKPOINTS', 'DELETE_ON_CANCELLATION', 'RETAIN_ON_CANCELLATION'] as const;
export type CheckpointRetention = (typeof CHECKPOINT_RETENTIONS)[number];

export function checkpointCoordinatorConfig(configuration: Configuration, jobId: string, interval: number | undefined, defaultBaseDirectory: string): CheckpointCoordinatorConfig {
  const dir = configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY);
  const retention = configuration.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION).toUpperCase();
  if (!(CHECKPOINT_RETENTIONS as readonly string[]).includes(retention)) {
    throw new IllegalConfigurationError(
      `Could not parse value '${retention}' for key '${CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION.key}': expected one of ${CHECKPOINT_RETENTIONS.join(', ')}.`,
    );
  }
  const base = dir ? localPath(dir) : defaultBaseDirectory;
  return {
    interval,
    timeout: configuration.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT),
    minPause: configuration.get(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS),
    numRetained: Math.max(1, configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS)),
    tolerableFailures: configuration.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER),
    jobDirectory: join(base, jobId),
    retention: retention as CheckpointRetention,
  };
}

/** A savepoint asked for through REST or the CLI (Flink's savepoint and stop-with-savepoint). */
export interface SavepointRequest {
  /** The directory the savepoint goes into (as `savepoint-<job>-<random>`). */
  targetDirectory: string;
  /** Stop the job once the savepoint completes (`drain`: fire every window first). */
  terminate: boolean;
  drain: boolean;
}

/** A checkpoint or savepoint someone waits for (REST, CLI): resolved with its id and location once it completes. */
interface TriggerRequest {
  /** Undefined: a checkpoint (Flink's POST /jobs/:id/checkpoints). */
  savepoint: SavepointRequest | undefined;
  resolve(result: { checkpointId: number; location: string }): void;
  reject(error: Error): void;
}

interface PendingCheckpoint {
  id: number;
  /** Set when someone waits for this checkpoint; with `savepoint` set it is a savepoint. */
  request: TriggerRequest | undefined;
  savepoint: SavepointRequest | undefined;
  timestamp: number;
  directory: string;
  /** Attempt ids that have not acknowledged yet. */
  notYetAcknowledged: Set<string>;
  executions: Execution[];
  operators: CheckpointMetadata['operators'];
  timeout: NodeJS.Timeout;
}

export interface CompletedCheckpoint {
  id: number;
  timestamp: number;
  directory: string;
}

export interface CheckpointCoordinatorServices {
  graph: ExecutionGraph;
  taskExecutors: TaskExecutorClients;
  /** Too many consecutive failed checkpoints: the job must fail over. */
  failJob(reason: string): void;
}

/**
 * Drives a job's checkpoints (Flink's CheckpointCoordinator): every `interval` ms, when every task runs and the last
 * checkpoint ended at least `minPause` ago, it triggers checkpoint N at the source tasks (one checkpoint at a time);
 * barriers flow through the job; when every task acknowledged, it writes `chk-N/_metadata`, keeps the last
 * `numRetained` checkpoints and tells every task (sinks commit then). A checkpoint that times out or is declined fails,
 * is removed, and the job keeps running. After a failure the job restores from the latest completed checkpoint whose
 * files are intact, falling back to older ones.
 */
export class CheckpointCoordinator {
  readonly stats: CheckpointStatsTracker;
  private nextId = 1;
  private pending: PendingCheckpoint | undefined;
  private readonly completed: CompletedCheckpoint[] = [];
  private lastEnded = 0;
  private lastTrigger = 0;
  private consecutiveFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly requests: TriggerRequest[] = [];

  constructor(
    readonly config: CheckpointCoordinatorConfig,
    private readonly jobId: string,
    private readonly services: CheckpointCoordinatorServices,
    private readonly log: Logger,
  ) {
    this.stats = new CheckpointStatsTracker();
  }

  start(): void {
    if (this.timer || this.stopped) return;
    // A short tick: a checkpoint starts within ~50 ms of being due (interval since the last trigger, min pause since
    // the last end, every subtask RUNNING).
    this.timer = setInterval(() => this.triggerIfDue(), Math.max(10, Math.min((this.config.interval ?? 200) / 4, 50)));
    this.timer.unref();
  }

  stop(reason: string): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.abortPending(reason);
    for (const request of this.requests.splice(0)) request.reject(new Error(`The ${request.savepoint ? 'savepoint' : 'checkpoint'} was not taken: ${reason}`));
  }

  /**
   * Takes a savepoint as soon as no other checkpoint is running (savepoints do not wait for the interval or the min
   * pause). Resolves with its location (`file:<dir>/savepoint-<first 6 hex of the job id>-<12 hex>`).
   */
  triggerSavepoint(request: SavepointRequest): Promise<string> {
    return this.request(request).then((result) => result.location);
  }

  /** Flink's POST /jobs/:id/checkpoints: a checkpoint now (outside the interval), resolved with its id once complete. */
  triggerCheckpoint(): Promise<{ checkpointId: number; location: string }> {
    return this.request(undefined);
  }

  private request(savepoint: SavepointRequest | undefined): Promise<{ checkpointId: number; location: string }> {
    if (this.stopped) return Promise.reject(new Error('The job is not running.'));
    return new Promise((resolve, reject) => this.requests.push({ savepoint, resolve, reject }));
  }

  /** Checkpoint ids go on after the restored checkpoint or savepoint (sinks rely on ids that only grow). */
  restoredFrom(checkpointId: number): void {
    this.nextId = Math.max(this.nextId, checkpointId + 1);
  }

  /**
   * The job ended: retained checkpoints are deleted unless `externalized-checkpoint-retention` keeps them (always with
   * RETAIN_ON_CANCELLATION, after a failure with DELETE_ON_CANCELLATION). A JobManager that shuts down keeps them.
   */
  async onJobTerminated(status: 'FINISHED' | 'CANCELED' | 'FAILED'): Promise<void> {
    this.stop(`The job is ${status}.`);
    const retention = this.config.retention;
    const keep = retention === 'RETAIN_ON_CANCELLATION' || (retention === 'DELETE_ON_CANCELLATION' && status === 'FAILED');
    if (keep) {
      if (this.completed.length > 0) this.log.info(`Retaining ${this.completed.length} checkpoint(s) of job ${this.jobId} in ${this.config.jobDirectory} (${retention}).`);
      return;
    }
    this.completed.length = 0;
    await rm(this.config.jobDirectory, { recursive: true, force: true }).catch((error: Error) => this.log.warn(`Could not remove the checkpoints of job ${this.jobId}: ${error.message}`));
  }

  /** Failover: the running checkpoint can no longer complete. */
  abortPending(reason: string): void {
    const pending = this.pending;
    if (!pending) return;
    this.failCheckpoint(pending, reason, false);
  }

  private triggerIfDue(): void {
    const now = Date.now();
    if (this.pending || this.stopped) return;
    const graph = this.services.graph;
    const executions = graph.allExecutions();
    const running = graph.status === 'RUNNING' && executions.every((e) => e.state === 'RUNNING');
    const request = this.requests.shift();
    if (request) {
      if (!running) {
        request.reject(new Error(`Not all required tasks are currently running (job ${graph.status}).`));
        return;
      }
      this.lastTrigger = now;
      void this.trigger(executions, now, request);
      return;
    }
    const interval = this.config.interval;
    if (interval === undefined || now - this.lastTrigger < interval || now - this.lastEnded < this.config.minPause) return;
    if (!running) return;
    this.lastTrigger = now;
    void this.trigger(executions, now, undefined);
  }

  private async trigger(executions: Execution[], timestamp: number, request: TriggerRequest | undefined): Promise<void> {
    const id = this.nextId++;
    const savepoint = request?.savepoint;
    const directory = savepoint
      ? join(savepoint.targetDirectory, `savepoint-${this.jobId.slice(0, 6)}-${randomHex(6)}`)
      : join(this.config.jobDirectory, `chk-${id}`);
    const type = savepoint ? (savepoint.terminate ? 'SYNC_SAVEPOINT' : 'SAVEPOINT') : 'CHECKPOINT';
    const pending: PendingCheckpoint = {
      id,
      request,
      savepoint,
      timestamp,
      directory,
      notYetAcknowledged: new Set(executions.map((e) => e.attemptId)),
      executions,
      operators: {},
      timeout: setTimeout(() => this.failCheckpoint(pending, `Checkpoint expired before completing (timeout ${this.config.timeout} ms).`), this.config.timeout),
    };
    this.pending = pending;
    this.stats.reportPending(id, timestamp, type, executions.map((e) => ({ vertexId: e.vertex.jobVertex.id, subtaskIndex: e.subtaskIndex })));
    try {
      await mkdir(directory, { recursive: true });
    } catch (error) {
      this.failCheckpoint(pending, `Could not create the checkpoint directory ${directory}: ${(error as Error).message}`);
      return;
    }
    this.log.info(`Triggering ${savepoint ? 'savepoint' : 'checkpoint'} ${id} (type=${type}) @ ${timestamp} for job ${this.jobId}.`);
    const sources = executions.filter((e) => e.vertex.jobVertex.inputs.length === 0);
    const terminate = savepoint?.terminate ?? false;
    const drain = savepoint?.drain ?? false;
    for (const execution of sources) {
      const request = { attemptId: execution.attemptId, checkpointId: id, timestamp, targetLocation: directory, terminate, drain };
      this.services.taskExecutors.triggerCheckpoint(execution.address!, request).catch((error: Error) => {
        if (this.pending === pending) this.failCheckpoint(pending, `Could not trigger checkpoint ${id} at ${execution.displayName}: ${error.message}`);
      });
    }
  }

  acknowledge(attemptId: string, checkpointId: number, subtaskState: Uint8Array, metrics: Omit<SubtaskCheckpointStats, 'ackTimestamp'>): void {
    const pending = this.pending;
    if (!pending || pending.id !== checkpointId || !pending.notYetAcknowledged.delete(attemptId)) return;
    const execution = pending.executions.find((e) => e.attemptId === attemptId)!;
    const vertex = execution.vertex.jobVertex;
    const state = decodeSubtaskState(subtaskState);
    for (const [operatorId, operatorState] of Object.entries(state.operators)) {
      const entry = (pending.operators[operatorId] ??= { parallelism: vertex.parallelism, maxParallelism: vertex.maxParallelism, subtasks: {} });
      entry.subtasks[execution.subtaskIndex] = operatorState;
    }
    this.stats.reportAck(checkpointId, vertex.id, execution.subtaskIndex, { ...metrics, ackTimestamp: Date.now() });
    if (pending.notYetAcknowledged.size === 0) void this.complete(pending);
  }

  decline(attemptId: string, checkpointId: number, reason: string): void {
    const pending = this.pending;
    if (!pending || pending.id !== checkpointId || !pending.notYetAcknowledged.has(attemptId)) return;
    this.failCheckpoint(pending, `Checkpoint was declined: ${reason}`);
  }

  private async complete(pending: PendingCheckpoint): Promise<void> {
    clearTimeout(pending.timeout);
    const started = Date.now();
    const metadata: CheckpointMetadata = { jobId: this.jobId, checkpointId: pending.id, timestamp: pending.timestamp, isSavepoint: pending.savepoint !== undefined, operators: pending.operators };
    try {
      await writeMetadata(pending.directory, metadata);
    } catch (error) {
      this.failCheckpoint(pending, `Could not write the checkpoint metadata: ${(error as Error).message}`);
      return;
    }
    if (this.pending !== pending) return;
    this.pending = undefined;
    this.lastEnded = Date.now();
    this.consecutiveFailures = 0;
    // Savepoints belong to the user: they are neither retained nor removed with the job's checkpoints.
    if (!pending.savepoint) this.completed.push({ id: pending.id, timestamp: pending.timestamp, directory: pending.directory });
    const finalizationTime = Date.now() - started;
    const location = fileUri(pending.directory);
    const stats = this.stats.reportCompleted(pending.id, location);
    this.log.info(
      `Completed ${pending.savepoint ? 'savepoint' : 'checkpoint'} ${pending.id} for job ${this.jobId} (${stats.stateSize} bytes, checkpointDuration=${this.lastEnded - pending.timestamp} ms, finalizationTime=${finalizationTime} ms).`,
    );
    this.notify(pending, true);
    pending.request?.resolve({ checkpointId: pending.id, location });
    while (this.completed.length > this.config.numRetained) {
      const old = this.completed.shift()!;
      this.stats.reportDiscarded(old.id);
      await rm(old.directory, { recursive: true, force: true }).catch((error: Error) => this.log.warn(`Could not remove checkpoint ${old.id}: ${error.message}`));
    }
  }

  private failCheckpoint(pending: PendingCheckpoint, reason: string, countsAsFailure = true): void {
    if (this.pending !== pending) return;
    clearTimeout(pending.timeout);
    this.pending = undefined;
    this.lastEnded = Date.now();
    this.stats.reportFailed(pending.id, reason);
    this.log.warn(`Failed to trigger or complete checkpoint ${pending.id} for job ${this.jobId}: ${reason}`);
    this.notify(pending, false);
    void rm(pending.directory, { recursive: true, force: true }).catch(() => undefined);
    pending.request?.reject(new Error(reason));
    if (!countsAsFailure) return;
    this.consecutiveFailures++;
    if (this.config.tolerableFailures >= 0 && this.consecutiveFailures > this.config.tolerableFailures) {
      this.consecutiveFailures = 0;
      this.services.failJob(`Exceeded checkpoint tolerable failure threshold (${this.config.tolerableFailures}): ${reason}`);
    }
  }

  private notify(pending: PendingCheckpoint, completed: boolean): void {
    const byAddress = new Map<string, string[]>();
    for (const e of pending.executions) if (e.address && e.state === 'RUNNING') (byAddress.get(e.address) ?? byAddress.set(e.address, []).get(e.address)!).push(e.attemptId);
    for (const [address, attemptIds] of byAddress) {
      this.services.taskExecutors.notifyCheckpoint(address, attemptIds, pending.id, completed).catch((error: Error) => {
        this.log.warn(`Could not notify ${address} of checkpoint ${pending.id}: ${error.message}`);
      });
    }
  }

  /**
   * The newest completed checkpoint whose metadata and state files are intact, read back from disk; damaged ones are
   * skipped with a warning and forgotten. Undefined if there is no completed checkpoint. Throws if there were some but
   * none is usable: restarting from nothing would silently lose the job's state.
   */
  async latestRestorable(): Promise<{ metadata: CheckpointMetadata; directory: string } | undefined> {
    if (this.completed.length === 0) return undefined;
    const problems: string[] = [];
    while (this.completed.length > 0) {
      const candidate = this.completed[this.completed.length - 1]!;
      try {
        const metadata = await readCheckpoint(candidate.directory);
        return { metadata, directory: candidate.directory };
      } catch (error) {
        problems.push(`checkpoint ${candidate.id}: ${(error as Error).message}`);
        this.log.warn(`Cannot restore from checkpoint ${candidate.id}, trying an older one: ${(error as Error).message}`);
        this.completed.pop();
      }
    }
    throw new Error(`None of the retained checkpoints can be restored (${problems.join('; ')}).`);
  }

  /** Records the restore for REST (`latest.restored`). */
  reportRestored(checkpointId: number, directory: string, isSavepoint = false): void {
    this.restoredFrom(checkpointId);
    this.stats.reportRestored(checkpointId, fileUri(directory), isSavepoint);
    this.log.info(`Restoring job ${this.jobId} from Checkpoint ${checkpointId} @ ${Date.now()} for ${this.jobId} located at ${directory}.`);
  }
}

