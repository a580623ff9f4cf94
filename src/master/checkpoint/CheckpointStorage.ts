import { lstat, mkdir, readdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { CheckpointPathError } from '../../common/fileUris.js';
import { checkStateFileName } from '../../state/StateHandles.js';
import { METADATA_FILE_NAME, readMetadata, resolveSavepointDirectory, stateFileNames } from './CheckpointMetadata.js';

/**
 * Where a job's checkpoints and savepoints live on the local file system (Flink's FsCheckpointStorageAccess and
 * FsCheckpointStorageLocation): creating a location, removing one that failed, and discarding a completed one.
 */
export interface CheckpointStorage {
  /**
   * Creates the directory of a checkpoint or savepoint (its missing parents, then itself). Bounded: one step per path
   * component, whatever the file system answers.
   */
  initializeLocation(directory: string): Promise<void>;
  /** Removes the location of a checkpoint or savepoint that failed (what the coordinator created, the tasks wrote). */
  disposeOnFailure(directory: string): Promise<void>;
  /**
   * The job ended and its checkpoints were discarded: removes what is left of the job's checkpoint directory that the
   * coordinator made (`chk-N` directories of checkpoints that never completed, e.g. written to by a subtask after the
   * checkpoint failed), then the directory itself if that leaves it empty. Resolves with whether it is gone.
   */
  disposeJobDirectory(directory: string): Promise<boolean>;
}

/** The local file system. */
export const LOCAL_CHECKPOINT_STORAGE: CheckpointStorage = {
  initializeLocation: createDirectories,
  disposeOnFailure: async (directory) => {
    // rm does not follow symbolic links: a link inside is removed, never what it points to.
    await rm(directory, { recursive: true, force: true });
  },
  disposeJobDirectory: async (directory) => {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    }
    for (const entry of entries) {
      if (entry.isDirectory() && CHECKPOINT_DIRECTORY.test(entry.name)) await rm(join(directory, entry.name), { recursive: true, force: true });
    }
    try {
      await rmdir(directory);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw error;
    }
  },
};

/** The directory name of checkpoint N in a job's checkpoint directory. */
const CHECKPOINT_DIRECTORY = /^chk-[0-9]+$/;

/** Job ids name checkpoint directories (`<dir>/<jobId>/chk-N`): only Flink's 32 lower-case hex characters are taken. */
export function checkJobIdForPath(jobId: string): string {
  if (!/^[0-9a-f]{32}$/.test(jobId)) throw new CheckpointPathError(`Illegal job id '${jobId}': a JobID is 32 lower-case hexadecimal characters.`);
  return jobId;
}

/** Checkpoint ids name checkpoint directories (`chk-N`): only non-negative safe integers are taken. */
export function checkCheckpointIdForPath(checkpointId: number): number {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) throw new CheckpointPathError(`Illegal checkpoint id ${checkpointId}.`);
  return checkpointId;
}

async function createDirectories(directory: string): Promise<void> {
  const parts = posix.normalize(directory).split('/').filter((p) => p.length > 0);
  let current = '';
  for (const [index, part] of parts.entries()) {
    current = `${current}/${part}`;
    const last = index === parts.length - 1;
    try {
      await mkdir(current);
      continue;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // It exists: a parent may be a symbolic link to a directory (the target was resolved and checked before), the
    // location itself must be a real directory.
    const info = last ? await lstat(current) : await stat(current);
    if (!info.isDirectory()) throw new Error(`${current} exists and is not a directory.`);
  }
}

/** What discarding a checkpoint or savepoint directory left behind (nothing if the directory is gone). */
export interface DiscardResult {
  removedDirectory: boolean;
  /** Entries of the directory that were kept: files the metadata did not name, directories, or undeletable files. */
  kept: string[];
}

/**
 * Discards a completed checkpoint or a savepoint as Flink does: the state files its metadata names, then `_metadata`,
 * then the directory if that left it empty. Nothing is followed: a name that is a symbolic link is unlinked (what it
 * points to is untouched), a name that is a directory is kept, files the metadata does not name are kept (and with
 * them the directory). Names are checked first: nothing outside `directory` is ever deleted.
 */
export async function discardCheckpointDirectory(directory: string, stateFileNames: readonly string[]): Promise<DiscardResult> {
  const names = stateFileNames.map((name) => checkStateFileName(name));
  const kept: string[] = [];
  for (const name of [...names, `${METADATA_FILE_NAME}.inprogress`, METADATA_FILE_NAME]) {
    const path = join(directory, name);
    let info;
    try {
      info = await lstat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (info.isDirectory()) {
      kept.push(name);
      continue;
    }
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') kept.push(name);
    }
  }
  try {
    await rmdir(directory);
    return { removedDirectory: true, kept: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { removedDirectory: true, kept: [] };
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return { removedDirectory: false, kept };
    throw error;
  }
}

/**
 * Flink's savepoint disposal (`flink savepoint -d`, POST /savepoint-disposal): the path is checked as every location
 * is, must be a savepoint's directory or its `_metadata` (neither a symbolic link), whose metadata must be intact and
 * say it is a savepoint; then it is discarded (discardCheckpointDirectory). Resolves with what was kept.
 */
export async function disposeSavepoint(path: string): Promise<DiscardResult & { directory: string }> {
  const directory = await resolveSavepointDirectory(path);
  const metadata = await readMetadata(directory);
  if (!metadata.isSavepoint) throw new Error(`${path} is a checkpoint, not a savepoint: it is the job's to remove.`);
  return { directory, ...(await discardCheckpointDirectory(directory, stateFileNames(metadata))) };
}
