import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomHex } from '../common/ids.js';
import { TsFlinkError } from '../common/errors.js';

/** A pointer in ZooKeeper that does not name a file of this storage: never followed. */
export class StateHandleError extends TsFlinkError {}

const FILE_NAME = /^[a-zA-Z]{1,40}[0-9a-f]{32}$/;

/**
 * Where HA metadata lives (Flink's FileSystemStateStorageHelper under high-availability.storageDir): each state in a
 * file of its own, written whole under a temporary name, flushed and renamed, so that a pointer in ZooKeeper never names
 * a partly written file. Only file names of its own form directly in its directory are read or removed, whatever a
 * pointer says.
 */
export class FileSystemStateStorage {
  constructor(readonly directory: string) {}

  /** Writes `bytes` to a new file `<prefix><random>`; resolves with its path. */
  async store(prefix: string, bytes: Uint8Array): Promise<string> {
    await mkdir(this.directory, { recursive: true });
    const path = join(this.directory, `${prefix}${randomHex(16)}`);
    const temporary = `${path}.inprogress`;
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    return path;
  }

  async read(path: string): Promise<Buffer> {
    return readFile(this.checked(path));
  }

  async discard(path: string): Promise<void> {
    await rm(this.checked(path), { force: true });
  }

  private checked(path: string): string {
    if (dirname(path) !== this.directory || !FILE_NAME.test(basename(path))) {
      throw new StateHandleError(`'${path}' is not a state file of ${this.directory}`);
    }
    return path;
  }
}
