import type { Logger } from '../../common/Logger.js';
import { readMetadata, stateFileNames } from './CheckpointMetadata.js';
import { discardCheckpointDirectory } from './CheckpointStorage.js';

/**
 * Adding a checkpoint failed in a way that leaves open whether the store has it (a connection lost while writing): the
 * checkpoint fails, but its files stay, as the store may name them.
 */
export class PossiblyStoredCheckpointError extends Error {
  override name = 'PossiblyStoredCheckpointError';
}

/** A checkpoint every subtask acknowledged and whose metadata is written (Flink's CompletedCheckpoint). */
export interface CompletedCheckpoint {
  checkpointId: number;
  timestamp: number;
  /** The checkpoint's directory (`chk-N`), holding `_metadata` and the state files. */
  directory: string;
  /** The state files its metadata names (read back from `_metadata` when discarding if not given). */
  stateFiles?: readonly string[];
}

/**
 * The completed checkpoints a job can restore from, oldest first (Flink's CompletedCheckpointStore). Retains the newest
 * `numRetained`; adding one more discards the oldest (its state files, `_metadata`, then its directory if empty). Asynchronous, so that a store kept in
 * ZooKeeper for standby JobManagers fits the same interface.
 */
export interface CompletedCheckpointStore {
  /** Adds a checkpoint; resolves with the ones it subsumed (already discarded). */
  addCheckpoint(checkpoint: CompletedCheckpoint): Promise<CompletedCheckpoint[]>;
  /** Oldest first. */
  getAllCheckpoints(): CompletedCheckpoint[];
  getLatestCheckpoint(): CompletedCheckpoint | undefined;
  /** Forgets a checkpoint that cannot be restored (its files are left for inspection). */
  removeCheckpoint(checkpointId: number): void;
  /** The job ended: with `discard`, every retained checkpoint's directory is removed; else they are kept. */
  shutdown(discard: boolean): Promise<void>;
}

/** The store of a JobManager without high availability: in memory, with the checkpoints' directories on disk. */
export class StandaloneCompletedCheckpointStore implements CompletedCheckpointStore {
  private readonly checkpoints: CompletedCheckpoint[] = [];

  constructor(
    private readonly numRetained: number,
    private readonly log: Logger,
  ) {}

  async addCheckpoint(checkpoint: CompletedCheckpoint): Promise<CompletedCheckpoint[]> {
    this.checkpoints.push(checkpoint);
    const subsumed: CompletedCheckpoint[] = [];
    while (this.checkpoints.length > Math.max(1, this.numRetained)) subsumed.push(this.checkpoints.shift()!);
    for (const old of subsumed) await discardCompletedCheckpoint(old, this.log);
    return subsumed;
  }

  getAllCheckpoints(): CompletedCheckpoint[] {
    return [...this.checkpoints];
  }

  getLatestCheckpoint(): CompletedCheckpoint | undefined {
    return this.checkpoints[this.checkpoints.length - 1];
  }

  removeCheckpoint(checkpointId: number): void {
    const index = this.checkpoints.findIndex((c) => c.checkpointId === checkpointId);
    if (index >= 0) this.checkpoints.splice(index, 1);
  }

  async shutdown(discard: boolean): Promise<void> {
    const all = this.checkpoints.splice(0);
    if (discard) for (const checkpoint of all) await discardCompletedCheckpoint(checkpoint, this.log);
  }

}

/** Flink's CompletedCheckpoint.discard: what the checkpoint holds, never anything else (see discardCheckpointDirectory). */
export async function discardCompletedCheckpoint(checkpoint: CompletedCheckpoint, log: Logger): Promise<void> {
  try {
    const names = checkpoint.stateFiles ?? stateFileNames(await readMetadata(checkpoint.directory).catch(() => ({ operators: {} })));
    const { removedDirectory } = await discardCheckpointDirectory(checkpoint.directory, names);
    if (!removedDirectory) log.warn(`Kept the directory of checkpoint ${checkpoint.checkpointId} at ${checkpoint.directory}: it holds files the checkpoint does not name.`);
  } catch (error) {
    log.warn(`Could not remove checkpoint ${checkpoint.checkpointId} at ${checkpoint.directory}: ${(error as Error).message}`);
  }
}
