import type { Logger } from '../../common/Logger.js';
import type { ZooKeeperSession } from '../../highavailability/zookeeper/ZooKeeperClient.js';
import type { ZooKeeperStateHandleStore, LeaderFence } from '../../highavailability/zookeeper/ZooKeeperStateHandleStore.js';
import { isZooKeeperError } from '../../highavailability/zookeeper/protocol.js';
import type { CheckpointIDCounter } from './CheckpointIDCounter.js';
import { type CompletedCheckpoint, type CompletedCheckpointStore, discardCompletedCheckpoint, PossiblyStoredCheckpointError } from './CompletedCheckpointStore.js';

/**
 * The checkpoint id counter of a job in ZooKeeper (Flink's ZooKeeperCheckpointIDCounter): a node holding the next id,
 * moved by compare-and-set (the node's version) in a fenced transaction, so that a new leader goes on with the ids
 * and a deposed one cannot hand out any.
 */
export class ZooKeeperCheckpointIDCounter implements CheckpointIDCounter {
  constructor(
    private readonly client: ZooKeeperSession,
    /** `<cluster>/jobs/<jobId>/checkpoint_id_counter` */
    private readonly path: string,
    private readonly fence: LeaderFence,
  ) {}

  async getAndIncrement(): Promise<number> {
    for (;;) {
      const { next, version } = await this.read();
      if (await this.compareAndSet(next + 1, version)) return next;
    }
  }

  async get(): Promise<number> {
    return (await this.read()).next;
  }

  async setCount(next: number): Promise<void> {
    for (;;) {
      const current = await this.read();
      if (current.next >= next || (await this.compareAndSet(next, current.version))) return;
    }
  }

  /** Removes the counter (the job reached a terminal state). */
  async shutdown(): Promise<void> {
    await this.client.multi([...this.fence.fencingOps(), { type: 'delete', path: this.path, version: -1 }]).catch((error: unknown) => {
      if (!isZooKeeperError(error, 'NONODE')) throw error;
    });
  }

  private async read(): Promise<{ next: number; version: number }> {
    try {
      const { data, stat } = await this.client.getData(this.path);
      const next = Number(data.toString('utf8'));
      if (!Number.isSafeInteger(next) || next < 1) throw new Error(`the checkpoint id counter at ${this.path} holds '${data.toString('utf8').slice(0, 40)}'`);
      return { next, version: stat.version };
    } catch (error) {
      if (!isZooKeeperError(error, 'NONODE')) throw error;
      await this.client.createParents(this.path.slice(0, this.path.lastIndexOf('/')));
      await this.client.multi([...this.fence.fencingOps(), { type: 'create', path: this.path, data: Buffer.from('1'), mode: 'PERSISTENT' }]).catch((e: unknown) => {
        if (!isZooKeeperError(e, 'NODEEXISTS')) throw e;
      });
      return this.read();
    }
  }

  private async compareAndSet(next: number, version: number): Promise<boolean> {
    try {
      await this.client.multi([...this.fence.fencingOps(), { type: 'setData', path: this.path, data: Buffer.from(String(next)), version }]);
      return true;
    } catch (error) {
      if (isZooKeeperError(error, 'BADVERSION')) return false;
      throw error;
    }
  }
}

/** Flink names checkpoint nodes by their id, zero-padded to 19 digits, so that they sort by id. */
export function checkpointNodeName(checkpointId: number): string {
  return String(checkpointId).padStart(19, '0');
}

/**
 * A job's completed checkpoints in ZooKeeper (Flink's DefaultCompletedCheckpointStore over ZooKeeper): a node per
 * checkpoint under `<cluster>/jobs/<jobId>/checkpoints`, pointing to its description in high-availability.storageDir.
 * A new leader recovers them and restores from the latest. Kept in memory too, for the synchronous reads.
 */
export class ZooKeeperCompletedCheckpointStore implements CompletedCheckpointStore {
  private constructor(
    private readonly handles: ZooKeeperStateHandleStore,
    private readonly checkpoints: CompletedCheckpoint[],
    private readonly numRetained: number,
    private readonly log: Logger,
  ) {}

  /** Reads what ZooKeeper holds for the job: "Found N checkpoints in ZooKeeper." */
  static async recover(handles: ZooKeeperStateHandleStore, numRetained: number, log: Logger): Promise<ZooKeeperCompletedCheckpointStore> {
    const names = await handles.names();
    log.info(`Found ${names.length} checkpoints in ZooKeeper.`);
    const checkpoints: CompletedCheckpoint[] = [];
    for (const name of names) {
      log.info(`Trying to retrieve checkpoint ${Number(name)}.`);
      const bytes = await handles.get(name);
      const checkpoint = bytes && parseCompletedCheckpoint(bytes);
      if (checkpoint) checkpoints.push(checkpoint);
      else log.warn(`Could not read checkpoint ${Number(name)} from ZooKeeper; it is skipped.`);
    }
    checkpoints.sort((a, b) => a.checkpointId - b.checkpointId);
    return new ZooKeeperCompletedCheckpointStore(handles, checkpoints, numRetained, log);
  }

  async addCheckpoint(checkpoint: CompletedCheckpoint): Promise<CompletedCheckpoint[]> {
    const description: CompletedCheckpoint = { checkpointId: checkpoint.checkpointId, timestamp: checkpoint.timestamp, directory: checkpoint.directory, stateFiles: checkpoint.stateFiles };
    try {
      await this.handles.add(checkpointNodeName(checkpoint.checkpointId), Buffer.from(JSON.stringify(description), 'utf8'));
    } catch (error) {
      if (isZooKeeperError(error, 'CONNECTIONLOSS')) throw new PossiblyStoredCheckpointError(`checkpoint ${checkpoint.checkpointId} may or may not be in ZooKeeper: ${error.message}`, { cause: error });
      throw error;
    }
    this.checkpoints.push(checkpoint);
    const subsumed: CompletedCheckpoint[] = [];
    while (this.checkpoints.length > Math.max(1, this.numRetained)) subsumed.push(this.checkpoints.shift()!);
    for (const old of subsumed) {
      await this.handles.remove(checkpointNodeName(old.checkpointId));
      await discardCompletedCheckpoint(old, this.log);
    }
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
    if (index < 0) return;
    this.checkpoints.splice(index, 1);
    this.handles.remove(checkpointNodeName(checkpointId)).catch((error: unknown) => this.log.warn(`Could not remove checkpoint ${checkpointId} from ZooKeeper`, {}, error));
  }

  /**
   * The job reached a terminal state: its ZooKeeper nodes (and their description files) go; its checkpoints' directories
   * go with `discard`, else they stay as retained checkpoints. A JobManager that stops leading a job does not call this:
   * everything stays for the next leader.
   */
  async shutdown(discard: boolean): Promise<void> {
    const all = this.checkpoints.splice(0);
    await this.handles.removeAll();
    if (discard) for (const checkpoint of all) await discardCompletedCheckpoint(checkpoint, this.log);
  }
}

function parseCompletedCheckpoint(bytes: Buffer): CompletedCheckpoint | undefined {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Partial<CompletedCheckpoint>;
    if (!Number.isSafeInteger(value.checkpointId) || typeof value.directory !== 'string' || typeof value.timestamp !== 'number') return undefined;
    const stateFiles = Array.isArray(value.stateFiles) && value.stateFiles.every((f) => typeof f === 'string') ? value.stateFiles : undefined;
    return { checkpointId: value.checkpointId!, timestamp: value.timestamp, directory: value.directory, stateFiles };
  } catch {
    return undefined;
  }
}
