import { join } from 'node:path';
import { checkLocalLocation, checkpointLocationPath, fileUri } from '../../common/fileUris.js';
import { randomHex } from '../../common/ids.js';
import type { Logger } from '../../common/Logger.js';
import type { Clock } from '../../common/time/Clock.js';
import type { ScheduledExecutor, ScheduledTask } from '../../common/time/ScheduledExecutor.js';
import { decodeSubtaskState, type SubtaskState } from '../../state/StateHandles.js';
import type { Execution, ExecutionGraph } from '../executiongraph/ExecutionGraph.js';
import type { AcknowledgeCheckpoint, DeclineCheckpoint } from '../jobmaster/JobMasterGateway.js';
import type { CheckpointCoordinatorConfiguration } from './CheckpointCoordinatorConfiguration.js';
import type { CheckpointFailureManager } from './CheckpointFailureManager.js';
import type { CheckpointIDCounter } from './CheckpointIDCounter.js';
import { readCheckpoint, stateFileNames, writeMetadata, type CheckpointMetadata } from './CheckpointMetadata.js';
import { checkCheckpointIdForPath, checkJobIdForPath, LOCAL_CHECKPOINT_STORAGE, type CheckpointStorage } from './CheckpointStorage.js';
import type { CheckpointStatsTracker } from './CheckpointStatsTracker.js';
import { PossiblyStoredCheckpointError, type CompletedCheckpoint, type CompletedCheckpointStore } from './CompletedCheckpointStore.js';
import { PendingCheckpoint, type CheckpointRequest, type SavepointRequest } from './PendingCheckpoint.js';

/** The long-lived parts a CheckpointCoordinator works with, passed in (as Flink's are). */
export interface CheckpointCoordinatorServices {
  graph: ExecutionGraph;
  clock: Clock;
  scheduler: ScheduledExecutor;
  idCounter: CheckpointIDCounter;
  store: CompletedCheckpointStore;
  failureManager: CheckpointFailureManager;
  stats: CheckpointStatsTracker;
  /** Where checkpoint and savepoint directories are created and removed; the local file system by default. */
  storage?: CheckpointStorage;
}

/**
 * How long creating a checkpoint's or savepoint's directory may take (at most the checkpoint timeout): a location that
 * cannot be written fails the checkpoint within this, and the next one is taken as usual.
 */
export const LOCATION_INITIALIZATION_TIMEOUT_MS = 10_000;

/** The name of a savepoint target in messages. */
const SAVEPOINT_TARGET = 'savepoint target directory';

/** A checkpoint or savepoint to restore from, read back and checked. */
export interface RestoreSource {
  metadata: CheckpointMetadata;
  directory: string;
}

/**
 * Drives a job's checkpoints (Flink's CheckpointCoordinator): every `interval` ms, when every task runs and the last
 * checkpoint ended at least `minPause` ago, it triggers checkpoint N at the source tasks (one checkpoint at a time);
 * barriers flow through the job; when every task acknowledged, it writes `chk-N/_metadata`, hands the checkpoint to the
 * CompletedCheckpointStore (which retains the newest) and tells every task (sinks commit then). A checkpoint that times
 * out or is declined fails, is removed, and counts towards the CheckpointFailureManager's threshold. After a failure
 * the job restores from the newest completed checkpoint whose files are intact, falling back to older ones.
 */
export class CheckpointCoordinator {
  private pending: PendingCheckpoint | undefined;
  private lastEnded = 0;
  private lastTrigger = 0;
  private ticker: ScheduledTask | undefined;
  /** Between the decision to trigger and the pending checkpoint's creation (the id counter is asynchronous). */
  private triggering = false;
  private stopped = false;
  private readonly requests: CheckpointRequest[] = [];
  private readonly storage: CheckpointStorage;
  /** Removals of failed checkpoints' directories still running (awaited before the job's directory is removed). */
  private readonly disposals = new Set<Promise<void>>();
  /**
   * The pending checkpoint's addition to the CompletedCheckpointStore while it runs. From then on only the store decides
   * whether the checkpoint completed: a failover does not abort it (and remove its files), and a restore waits for it.
   */
  private storing: { pending: PendingCheckpoint; added: Promise<unknown> } | undefined;

  constructor(
    readonly config: CheckpointCoordinatorConfiguration,
    private readonly jobId: string,
    private readonly services: CheckpointCoordinatorServices,
    private readonly log: Logger,
  ) {
    checkJobIdForPath(jobId);
    this.storage = services.storage ?? LOCAL_CHECKPOINT_STORAGE;
  }

  get stats(): CheckpointStatsTracker {
    return this.services.stats;
  }

  /** The checkpoint waiting for acknowledgements, if any. */
  get pendingCheckpoint(): PendingCheckpoint | undefined {
    return this.pending;
  }

  /** Starts looking for due checkpoints and requests (when the job starts running). */
  start(): void {
    if (this.ticker || this.stopped) return;
    // A short tick: a checkpoint starts within ~50 ms of being due (interval since the last trigger, min pause since
    // the last end, every subtask RUNNING); a requested savepoint as soon as nothing else runs.
    const tick = Math.max(10, Math.min((this.config.interval ?? 200) / 4, 50));
    this.ticker = this.services.scheduler.scheduleAtFixedRate(tick, tick, () => this.triggerIfDue());
  }

  /** Stops checkpointing for good: the running checkpoint fails, waiting requests are rejected. */
  stop(reason: string): void {
    this.stopped = true;
    this.ticker?.cancel();
    this.ticker = undefined;
    this.abortPending(reason);
    for (const request of this.requests.splice(0)) request.reject(new Error(`The ${request.savepoint ? 'savepoint' : 'checkpoint'} was not taken: ${reason}`));
  }

  /**
   * Takes a savepoint as soon as no other checkpoint is running (savepoints do not wait for the interval or the min
   * pause). Resolves with its location (`file:<dir>/savepoint-<first 6 hex of the job id>-<12 hex>`). A target that is
   * no absolute local path (another scheme, a relative path, a pseudo-file system) is refused at once; one whose
   * symbolic links lead to a pseudo-file system, or that cannot be created, fails the savepoint when it is triggered.
   */
  triggerSavepoint(request: SavepointRequest): Promise<string> {
    let targetDirectory: string;
    try {
      targetDirectory = checkpointLocationPath(request.targetDirectory, SAVEPOINT_TARGET);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.request({ ...request, targetDirectory }).then((result) => result.location);
  }

  /** Whether a completed checkpoint is there to restore from (a job a new leader took over). */
  hasCompletedCheckpoint(): boolean {
    return this.services.store.getLatestCheckpoint() !== undefined;
  }

  /** Flink's POST /jobs/:id/checkpoints: a checkpoint now (outside the interval), resolved with its id once complete. */
  triggerCheckpoint(): Promise<{ checkpointId: number; location: string }> {
    return this.request(undefined);
  }

  private request(savepoint: SavepointRequest | undefined): Promise<{ checkpointId: number; location: string }> {
    if (this.stopped) return Promise.reject(new Error('The job is not running.'));
    return new Promise((resolve, reject) => this.requests.push({ savepoint, resolve, reject }));
  }

  /**
   * The job ended: retained checkpoints are deleted unless `externalized-checkpoint-retention` keeps them (always with
   * RETAIN_ON_CANCELLATION, after a failure with DELETE_ON_CANCELLATION). A JobManager that shuts down keeps them.
   */
  async onJobTerminated(status: 'FINISHED' | 'CANCELED' | 'FAILED'): Promise<void> {
    this.stop(`The job is ${status}.`);
    await this.storeSettled();
    const retention = this.config.retention;
    const keep = retention === 'RETAIN_ON_CANCELLATION' || (retention === 'DELETE_ON_CANCELLATION' && status === 'FAILED');
    const retained = this.services.store.getAllCheckpoints().length;
    await this.services.store.shutdown(!keep);
    await this.services.idCounter.shutdown().catch((error: unknown) => this.log.warn(`Could not remove the checkpoint id counter of job ${this.jobId}: ${(error as Error).message}`));
    await Promise.all([...this.disposals]);
    if (keep) {
      if (retained > 0) this.log.info(`Retaining ${retained} checkpoint(s) of job ${this.jobId} in ${this.config.jobDirectory} (${retention}).`);
      return;
    }
    // Every checkpoint was discarded (its own files only); then what is left of the coordinator's own chk-N
    // directories, and the job's directory if that left it empty.
    await this.storage.disposeJobDirectory(this.config.jobDirectory).then(
      (removed) => {
        if (!removed) this.log.warn(`Kept the checkpoint directory of job ${this.jobId} at ${this.config.jobDirectory}: it holds files no checkpoint names.`);
      },
      (error: Error) => this.log.warn(`Could not remove the checkpoints of job ${this.jobId}: ${error.message}`),
    );
  }

  /**
   * Failover: the running checkpoint can no longer complete (it does not count as a failed checkpoint) — unless every
   * task acknowledged it and it is being added to the store: then it may be there already (the store may have subsumed
   * older checkpoints for it), and removing its files would leave the restore nothing. The store's answer decides.
   */
  abortPending(reason: string): void {
    const pending = this.pending;
    if (!pending) return;
    if (this.storing?.pending === pending) {
      this.log.info(`Checkpoint ${pending.checkpointId} of job ${this.jobId} is being added to the completed checkpoint store; the store decides whether it completed (${reason}).`);
      return;
    }
    this.failCheckpoint(pending, reason, false);
  }

  /** Resolves once no checkpoint is being added to the store (never rejects). */
  private async storeSettled(): Promise<void> {
    while (this.storing) await this.storing.added.catch(() => undefined);
  }

  private triggerIfDue(): void {
    if (this.pending || this.triggering || this.stopped) return;
    const now = this.services.clock.now();
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

  private async trigger(executions: Execution[], timestamp: number, request: CheckpointRequest | undefined): Promise<void> {
    this.triggering = true;
    let id: number;
    try {
      id = await this.services.idCounter.getAndIncrement();
    } catch (error) {
      this.triggering = false;
      request?.reject(new Error(`Could not get a checkpoint id: ${(error as Error).message}`));
      return;
    }
    this.triggering = false;
    if (this.stopped) {
      request?.reject(new Error('The job is not running.'));
      return;
    }
    const savepoint = request?.savepoint;
    try {
      checkCheckpointIdForPath(id);
    } catch (error) {
      request?.reject(error as Error);
      return;
    }
    const directory = savepoint
      ? join(savepoint.targetDirectory, `savepoint-${this.jobId.slice(0, 6)}-${randomHex(6)}`)
      : join(this.config.jobDirectory, `chk-${id}`);
    const pending = new PendingCheckpoint(id, timestamp, directory, request, executions);
    pending.timeout = this.services.scheduler.schedule(this.config.timeout, () =>
      this.failCheckpoint(pending, `Checkpoint expired before completing (timeout ${this.config.timeout} ms).`),
    );
    this.pending = pending;
    this.stats.reportPending(id, timestamp, pending.type, executions.map((e) => ({ vertexId: e.vertex.jobVertex.id, subtaskIndex: e.subtaskIndex })));
    try {
      await this.initializeLocation(pending, savepoint?.targetDirectory);
    } catch (error) {
      this.failCheckpoint(pending, `Could not create the ${savepoint ? 'savepoint' : 'checkpoint'} directory ${directory}: ${(error as Error).message}`);
      return;
    }
    if (this.pending !== pending) {
      // It failed (timed out, the job stopped) while its directory was being created.
      this.disposeLocation(pending);
      return;
    }
    this.log.info(`Triggering ${savepoint ? 'savepoint' : 'checkpoint'} ${id} (type=${pending.type}) @ ${timestamp} for job ${this.jobId}.`);
    const terminate = savepoint?.terminate ?? false;
    const drain = savepoint?.drain ?? false;
    for (const execution of executions.filter((e) => e.vertex.jobVertex.inputs.length === 0)) {
      const trigger = { attemptId: execution.attemptId, checkpointId: id, timestamp, targetLocation: directory, terminate, drain };
      const gateway = execution.location?.gateway;
      const triggered = gateway ? gateway.triggerCheckpoint(trigger) : Promise.reject(new Error('the task is not deployed'));
      triggered.catch((error: Error) => {
        if (this.pending === pending) this.failCheckpoint(pending, `Could not trigger checkpoint ${id} at ${execution.displayName}: ${error.message}`);
      });
    }
  }

  /**
   * Creates the pending checkpoint's directory (Flink's initializeLocationForCheckpoint / ForSavepoint): a savepoint's
   * target is first resolved through its symbolic links and refused if it lands on a pseudo-file system. Guarded: if
   * the file system does not answer within LOCATION_INITIALIZATION_TIMEOUT_MS (at most the checkpoint timeout), the
   * checkpoint fails instead of blocking every later one; a directory created after that is removed again.
   */
  private async initializeLocation(pending: PendingCheckpoint, savepointTarget: string | undefined): Promise<void> {
    const limit = Math.min(this.config.timeout, LOCATION_INITIALIZATION_TIMEOUT_MS);
    const initialized = (async () => {
      if (savepointTarget !== undefined) await checkLocalLocation(savepointTarget, savepointTarget, SAVEPOINT_TARGET);
      await this.storage.initializeLocation(pending.directory);
      pending.locationInitialized = true;
    })();
    let guard: ScheduledTask | undefined;
    const expired = new Promise<never>((_, reject) => {
      guard = this.services.scheduler.schedule(limit, () => reject(new Error(`the file system did not answer within ${limit} ms`)));
    });
    try {
      await Promise.race([initialized, expired]);
    } catch (error) {
      // Too late or failed: whatever gets created still is removed once it is.
      initialized.then(
        () => this.disposeLocation(pending),
        () => undefined,
      );
      throw error;
    } finally {
      guard?.cancel();
    }
  }

  /** Removes a failed checkpoint's directory, if the coordinator created it. */
  private disposeLocation(pending: PendingCheckpoint): void {
    if (!pending.locationInitialized) return;
    const disposal = this.storage
      .disposeOnFailure(pending.directory)
      .catch((error: Error) => this.log.warn(`Could not remove ${pending.directory} of failed checkpoint ${pending.checkpointId}: ${error.message}`))
      .finally(() => this.disposals.delete(disposal));
    this.disposals.add(disposal);
  }

  /** A subtask's acknowledgement (Flink's receiveAcknowledgeMessage); one of an unknown attempt or checkpoint is dropped. */
  receiveAcknowledgeMessage(ack: AcknowledgeCheckpoint): void {
    const pending = this.pending;
    if (!pending || pending.checkpointId !== ack.checkpointId || !pending.isAwaiting(ack.attemptId)) return;
    let state: SubtaskState;
    try {
      state = decodeSubtaskState(ack.subtaskState);
      // Any msgpack value decodes: one that is no SubtaskState would count the subtask as acknowledged without its state.
      if (typeof state !== 'object' || state === null || typeof state.operators !== 'object' || state.operators === null) {
        throw new Error('it holds no subtask state');
      }
    } catch (error) {
      this.failCheckpoint(pending, `The acknowledgement of ${ack.attemptId} could not be read: ${(error as Error).message}`);
      return;
    }
    const { result, execution } = pending.acknowledgeTask(ack.attemptId, state);
    if (result !== 'SUCCESS') return;
    this.stats.reportAck(ack.checkpointId, execution!.vertex.jobVertex.id, execution!.subtaskIndex, { ...ack.metrics, ackTimestamp: this.services.clock.now() });
    if (pending.isFullyAcknowledged) void this.completePendingCheckpoint(pending);
  }

  /** A subtask could not take its part (Flink's receiveDeclineMessage): the checkpoint fails. */
  receiveDeclineMessage(decline: DeclineCheckpoint): void {
    const pending = this.pending;
    if (!pending || pending.checkpointId !== decline.checkpointId || !pending.isAwaiting(decline.attemptId)) return;
    this.failCheckpoint(pending, `Checkpoint was declined: ${decline.reason}`);
  }

  /**
   * Flink's order: the metadata is written, the checkpoint is added to the CompletedCheckpointStore (with HA: ZooKeeper,
   * where a new leader finds it), and only then is it complete — logged, and the tasks told (sinks commit). A checkpoint
   * the store did not take fails and commits nothing: a leader that dies between the two leaves a checkpoint whose
   * transactions the next leader commits on restore, never output its restore would produce again.
   */
  private async completePendingCheckpoint(pending: PendingCheckpoint): Promise<void> {
    pending.timeout?.cancel();
    const started = this.services.clock.now();
    try {
      await writeMetadata(pending.directory, pending.toMetadata(this.jobId));
    } catch (error) {
      this.failCheckpoint(pending, `Could not write the checkpoint metadata: ${(error as Error).message}`);
      return;
    }
    if (this.pending !== pending) return;
    // Savepoints belong to the user: they are neither retained nor removed with the job's checkpoints.
    let subsumed: CompletedCheckpoint[] = [];
    if (!pending.savepoint) {
      const added = this.services.store.addCheckpoint({
        checkpointId: pending.checkpointId,
        timestamp: pending.timestamp,
        directory: pending.directory,
        stateFiles: stateFileNames(pending.toMetadata(this.jobId)),
      });
      this.storing = { pending, added };
      try {
        subsumed = await added;
      } catch (error) {
        // Maybe stored (a lost connection): its files stay, a new leader may restore from it.
        const keepFiles = error instanceof PossiblyStoredCheckpointError;
        this.failCheckpoint(pending, `Could not add the checkpoint to the completed checkpoint store: ${(error as Error).message}`, true, keepFiles);
        return;
      } finally {
        this.storing = undefined;
      }
      if (this.pending !== pending) return;
    }
    this.pending = undefined;
    pending.dispose();
    this.lastEnded = this.services.clock.now();
    this.services.failureManager.handleCheckpointSuccess();
    const location = fileUri(pending.directory);
    const summary = this.stats.reportCompleted(pending.checkpointId, location);
    this.log.info(
      `Completed ${pending.savepoint ? 'savepoint' : 'checkpoint'} ${pending.checkpointId} for job ${this.jobId} (${summary.stateSize} bytes, checkpointDuration=${this.lastEnded - pending.timestamp} ms, finalizationTime=${this.lastEnded - started} ms).`,
    );
    this.notifyTasks(pending.tasks(), pending.checkpointId, true);
    pending.request?.resolve({ checkpointId: pending.checkpointId, location });
    for (const old of subsumed) this.stats.reportDiscarded(old.checkpointId);
  }

  private failCheckpoint(pending: PendingCheckpoint, reason: string, countsAsFailure = true, keepFiles = false): void {
    if (this.pending !== pending) return;
    this.pending = undefined;
    pending.dispose();
    this.lastEnded = this.services.clock.now();
    this.stats.reportFailed(pending.checkpointId, reason);
    this.log.warn(`Failed to trigger or complete checkpoint ${pending.checkpointId} for job ${this.jobId}: ${reason}`);
    this.notifyTasks(pending.tasks(), pending.checkpointId, false);
    if (!keepFiles) this.disposeLocation(pending);
    pending.request?.reject(new Error(reason));
    // As in Flink, a failed savepoint never counts towards the tolerable checkpoint failures: a bad target must not fail the job.
    if (countsAsFailure && !pending.savepoint) this.services.failureManager.handleCheckpointFailure(reason);
  }

  /**
   * A new leader took over the job's running subtasks (reconciliation): they learn of the latest completed checkpoint,
   * which the leader before may have completed without telling them, so sinks commit it now. Telling a subtask of a
   * checkpoint it knows already changes nothing.
   */
  notifyLatestCompleted(): void {
    const latest = this.services.store.getLatestCheckpoint();
    if (latest) this.notifyTasks(this.services.graph.allExecutions(), latest.checkpointId, true);
  }

  /** Tells the running tasks of the checkpoint that it completed (sinks commit) or was aborted, one call per TaskManager. */
  private notifyTasks(tasks: readonly Execution[], checkpointId: number, completed: boolean): void {
    const byTaskManager = new Map<string, { execution: Execution; attemptIds: string[] }>();
    for (const e of tasks) {
      if (!e.location || e.state !== 'RUNNING') continue;
      const entry = byTaskManager.get(e.location.resourceId) ?? byTaskManager.set(e.location.resourceId, { execution: e, attemptIds: [] }).get(e.location.resourceId)!;
      entry.attemptIds.push(e.attemptId);
    }
    for (const { execution, attemptIds } of byTaskManager.values()) {
      const { gateway, address } = execution.location!;
      const notified = completed ? gateway.notifyCheckpointComplete(attemptIds, checkpointId) : gateway.notifyCheckpointAborted(attemptIds, checkpointId);
      notified.catch((error: Error) => this.log.warn(`Could not notify ${address} of checkpoint ${checkpointId}: ${error.message}`));
    }
  }

  /**
   * The newest retained checkpoint whose metadata and state files are intact, read back from disk; damaged ones are
   * skipped with a warning and forgotten. Undefined if there is no retained checkpoint. Throws if there were some but
   * none is usable: restarting from nothing would silently lose the job's state.
   */
  async latestRestorable(): Promise<RestoreSource | undefined> {
    await this.storeSettled();
    const store = this.services.store;
    if (!store.getLatestCheckpoint()) return undefined;
    const problems: string[] = [];
    for (let candidate = store.getLatestCheckpoint(); candidate; candidate = store.getLatestCheckpoint()) {
      try {
        return { metadata: await readCheckpoint(candidate.directory), directory: candidate.directory };
      } catch (error) {
        problems.push(`checkpoint ${candidate.checkpointId}: ${(error as Error).message}`);
        this.log.warn(`Cannot restore from checkpoint ${candidate.checkpointId}, trying an older one: ${(error as Error).message}`);
        store.removeCheckpoint(candidate.checkpointId);
      }
    }
    throw new Error(`None of the retained checkpoints can be restored (${problems.join('; ')}).`);
  }

  /** The job restores from this checkpoint or savepoint: ids go on after it (sinks rely on ids that only grow). */
  async reportRestored(source: RestoreSource): Promise<void> {
    const { checkpointId, isSavepoint } = source.metadata;
    await this.services.idCounter.setCount(checkpointId + 1);
    this.stats.reportRestored(checkpointId, fileUri(source.directory), isSavepoint);
    this.log.info(`Restoring job ${this.jobId} from Checkpoint ${checkpointId} @ ${this.services.clock.now()} for ${this.jobId} located at ${source.directory}.`);
  }
}
