import type { Logger } from '../../common/Logger.js';
import type { FileSystemStateStorage } from '../FileSystemStateStorage.js';
import type { ZooKeeperSession } from './ZooKeeperClient.js';
import { isZooKeeperError, type Op } from './protocol.js';

/**
 * What makes a write a leader's: operations prepended to each transaction (a check of the leader's latch node), or an
 * error when this process does not lead. A deposed leader's writes fail in ZooKeeper even if it still believes it leads.
 */
export interface LeaderFence {
  fencingOps(): Op[];
}

/** A fence for stores used without leader election (tests, tools): no check. */
export const NO_FENCE: LeaderFence = { fencingOps: () => [] };

/**
 * States kept as files of a FileSystemStateStorage with a pointer to each in a ZooKeeper node under `path` (Flink's
 * ZooKeeperStateHandleStore): ZooKeeper holds only small pointers, the storage holds the bytes. Every change is one
 * fenced ZooKeeper transaction; a file whose pointer could not be written is removed again.
 */
export class ZooKeeperStateHandleStore {
  /** Whether `path` is known to exist: its parents are created once, not before every checkpoint. */
  private parentCreated = false;

  constructor(
    private readonly client: ZooKeeperSession,
    readonly path: string,
    private readonly storage: FileSystemStateStorage,
    private readonly fence: LeaderFence,
    private readonly filePrefix: string,
    private readonly log: Logger,
  ) {}

  /** Adds `name`; fails (NODEEXISTS) if it exists. */
  async add(name: string, state: Uint8Array): Promise<void> {
    const ops = this.fence.fencingOps();
    if (!this.parentCreated) {
      await this.client.createParents(this.path);
      this.parentCreated = true;
    }
    const file = await this.storage.store(this.filePrefix, state);
    try {
      await this.client.multi([...ops, { type: 'create', path: this.node(name), data: pointer(file), mode: 'PERSISTENT' }]);
    } catch (error) {
      // Its parent went (removed by someone else): created again on the next add.
      if (isZooKeeperError(error, 'NONODE') && error.path === this.node(name)) this.parentCreated = false;
      await this.storage.discard(file).catch(() => undefined);
      throw error;
    }
  }

  /** Adds `name` or replaces its state; the old state's file is removed once the new pointer is written. */
  async put(name: string, state: Uint8Array): Promise<void> {
    const existing = await this.client.getData(this.node(name)).catch((error: unknown) => {
      if (isZooKeeperError(error, 'NONODE')) return undefined;
      throw error;
    });
    if (!existing) return this.add(name, state);
    const ops = this.fence.fencingOps();
    const file = await this.storage.store(this.filePrefix, state);
    try {
      await this.client.multi([...ops, { type: 'setData', path: this.node(name), data: pointer(file), version: existing.stat.version }]);
    } catch (error) {
      await this.storage.discard(file).catch(() => undefined);
      throw error;
    }
    await this.discardFile(readPointer(existing.data));
  }

  /** The state of `name`, or undefined when there is none. */
  async get(name: string): Promise<Buffer | undefined> {
    try {
      const { data } = await this.client.getData(this.node(name));
      const file = readPointer(data);
      if (file === undefined) throw new Error(`the node ${this.node(name)} holds no state pointer`);
      return await this.storage.read(file);
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) return undefined;
      throw error;
    }
  }

  async names(): Promise<string[]> {
    try {
      return (await this.client.getChildren(this.path)).sort();
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) return [];
      throw error;
    }
  }

  /** Removes `name` (its pointer, then its file); false when there was none. */
  async remove(name: string): Promise<boolean> {
    let data: Buffer;
    try {
      ({ data } = await this.client.getData(this.node(name)));
    } catch (error) {
      if (isZooKeeperError(error, 'NONODE')) return false;
      throw error;
    }
    await this.client.multi([...this.fence.fencingOps(), { type: 'delete', path: this.node(name), version: -1 }]);
    await this.discardFile(readPointer(data));
    return true;
  }

  /** Removes every entry and then the parent node itself (a job's HA data, once it is done). */
  async removeAll(): Promise<void> {
    for (const name of await this.names()) await this.remove(name);
    this.parentCreated = false;
    await this.client.multi([...this.fence.fencingOps(), { type: 'delete', path: this.path, version: -1 }]).catch((error: unknown) => {
      if (!isZooKeeperError(error, 'NONODE') && !isZooKeeperError(error, 'NOTEMPTY')) throw error;
    });
  }

  private node(name: string): string {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw new Error(`'${name}' is not a state handle name`);
    return `${this.path}/${name}`;
  }

  private async discardFile(file: string | undefined): Promise<void> {
    if (file === undefined) return;
    await this.storage.discard(file).catch((error: unknown) => this.log.warn('Could not remove a state file', { file }, error));
  }
}

function pointer(file: string): Buffer {
  return Buffer.from(JSON.stringify({ path: file }), 'utf8');
}

function readPointer(data: Buffer): string | undefined {
  try {
    const value = JSON.parse(data.toString('utf8')) as { path?: unknown };
    return typeof value.path === 'string' ? value.path : undefined;
  } catch {
    return undefined;
  }
}
