import { createHash } from 'node:crypto';
import { lstat, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Packr } from 'msgpackr';
import { TsFlinkError } from '../../common/errors.js';
import { resolveCheckpointLocation } from '../../common/fileUris.js';
import { checkStateFileNames, type OperatorSubtaskState } from '../../state/StateHandles.js';

/** Name of a checkpoint's metadata file, as in Flink. */
export const METADATA_FILE_NAME = '_metadata';
const MAGIC = Buffer.from('TSFK');
const VERSION = 1;
const packr = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true });

export interface OperatorState {
  parallelism: number;
  maxParallelism: number;
  /** By subtask index. */
  subtasks: Record<number, OperatorSubtaskState>;
}

/** What `_metadata` holds (Flink's CheckpointMetadata): every operator's state by subtask. */
export interface CheckpointMetadata {
  jobId: string;
  checkpointId: number;
  timestamp: number;
  isSavepoint: boolean;
  operators: Record<string, OperatorState>;
}

/**
 * `_metadata`: magic, version, msgpack body, and a sha256 of the body, written to a temporary name and renamed, so a
 * reader sees a whole file or none, and a damaged file is recognised instead of restoring wrong state.
 */
export async function writeMetadata(directory: string, metadata: CheckpointMetadata): Promise<number> {
  stateFileNames(metadata);
  const body = packr.pack(metadata);
  const header = Buffer.alloc(8);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(VERSION, 4);
  const digest = createHash('sha256').update(body).digest();
  const bytes = Buffer.concat([header, body, digest]);
  const path = join(directory, METADATA_FILE_NAME);
  await writeFile(`${path}.inprogress`, bytes);
  await rename(`${path}.inprogress`, path);
  return bytes.length;
}

/** The file name of every keyed state handle in `metadata`, each checked (a plain name in the checkpoint's directory). */
export function stateFileNames(metadata: Pick<CheckpointMetadata, 'operators'>): string[] {
  const names: string[] = [];
  if (typeof metadata.operators !== 'object' || metadata.operators === null) throw new Error('The metadata holds no operator states.');
  for (const operator of Object.values(metadata.operators)) {
    for (const state of Object.values(operator?.subtasks ?? {})) {
      checkStateFileNames(state);
      for (const handle of state.keyed ?? []) names.push(handle.fileName);
    }
  }
  return names;
}

/**
 * Reads `<directory>/_metadata` and checks its header, its checksum and the state file names it holds (not the state
 * files themselves: see readCheckpoint). The file must be a regular file, not a symbolic link.
 */
export async function readMetadata(directory: string): Promise<CheckpointMetadata> {
  const path = join(directory, METADATA_FILE_NAME);
  let bytes: Buffer;
  try {
    if (!(await lstat(path)).isFile()) throw new Error('it is not a regular file');
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`Cannot read checkpoint metadata ${path}: ${(error as Error).message}`);
  }
  if (bytes.length < 40 || !bytes.subarray(0, 4).equals(MAGIC)) throw new Error(`${path} is not a tsflink checkpoint metadata file.`);
  const version = bytes.readUInt32BE(4);
  if (version !== VERSION) throw new Error(`${path} has metadata version ${version}; this JobManager reads version ${VERSION}.`);
  const body = bytes.subarray(8, bytes.length - 32);
  if (!createHash('sha256').update(body).digest().equals(bytes.subarray(bytes.length - 32))) {
    throw new Error(`${path} is damaged (checksum mismatch).`);
  }
  const metadata = packr.unpack(body) as CheckpointMetadata;
  try {
    stateFileNames(metadata);
  } catch (error) {
    throw new Error(`${path} cannot be used: ${(error as Error).message}`, { cause: error });
  }
  return metadata;
}

/** Reads and checks a checkpoint directory: the metadata and every state file it names. Throws what is wrong. */
export async function readCheckpoint(directory: string): Promise<CheckpointMetadata> {
  const metadata = await readMetadata(directory);
  for (const [operatorId, operator] of Object.entries(metadata.operators)) {
    for (const state of Object.values(operator.subtasks)) {
      for (const handle of state.keyed ?? []) {
        const file = join(directory, handle.fileName);
        let data: Buffer;
        try {
          // A regular file in the checkpoint's directory: a symbolic link or a device is never read.
          const info = await lstat(file);
          if (!info.isFile()) throw new Error('it is not a regular file');
          if (info.size !== handle.size) throw new Error(`size differs from the ${handle.size} bytes recorded`);
          data = await readFile(file);
        } catch (error) {
          throw new Error(`State file ${file} of operator ${operatorId} is unusable: ${(error as Error).message}`);
        }
        if (createHash('sha256').update(data).digest('hex') !== handle.sha256) throw new Error(`State file ${file} of operator ${operatorId} is damaged (checksum mismatch).`);
      }
    }
  }
  return metadata;
}

/** No checkpoint or savepoint where a user said (Flink's AbstractFsCheckpointStorageAccess throws FileNotFoundException). */
export class CheckpointNotFoundError extends TsFlinkError {
  readonly javaClassName = 'java.io.FileNotFoundException';
}

/**
 * A checkpoint or savepoint given by a user (`flink run -s`, `savepointPath`, `flink savepoint -d`): its directory, or
 * its `_metadata` file, as an absolute path or `file:` URI (checked as every checkpoint location is, see
 * common/fileUris). Resolves with the local directory. Errors say what is wrong in Flink's words.
 */
export async function resolveSavepointDirectory(path: string): Promise<string> {
  const local = await resolveCheckpointLocation(path, 'savepoint path');
  let info;
  try {
    info = await lstat(local);
  } catch {
    throw new CheckpointNotFoundError(`Cannot find checkpoint or savepoint file/directory '${path}' on file system 'file'.`);
  }
  if (info.isSymbolicLink()) throw new Error(`The savepoint path '${path}' is a symbolic link: give the savepoint's directory itself.`);
  if (info.isFile()) {
    if (basename(local) !== METADATA_FILE_NAME) throw new Error(`The savepoint path '${path}' is a file but not a '${METADATA_FILE_NAME}' file.`);
    return dirname(local);
  }
  if (!info.isDirectory()) throw new Error(`The savepoint path '${path}' is neither a directory nor a metadata file.`);
  try {
    if (!(await lstat(join(local, METADATA_FILE_NAME))).isFile()) throw new Error('not a regular file');
  } catch {
    throw new Error(
      `Cannot find meta data file '${METADATA_FILE_NAME}' in directory '${path}'. Please try to load the checkpoint/savepoint directly from the metadata file instead of the directory.`,
    );
  }
  return local;
}

/** A savepoint (or retained checkpoint) to start a job from (see resolveSavepointDirectory), read back and checked. */
export async function resolveSavepoint(path: string): Promise<{ metadata: CheckpointMetadata; directory: string }> {
  const directory = await resolveSavepointDirectory(path);
  return { metadata: await readCheckpoint(directory), directory };
}
