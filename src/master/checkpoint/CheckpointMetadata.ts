import { createHash } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Packr } from 'msgpackr';
import { localPath } from '../../common/fileUris.js';
import type { OperatorSubtaskState } from '../../state/StateHandles.js';

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

/** Reads and checks a checkpoint directory: the metadata and every state file it names. Throws what is wrong. */
export async function readCheckpoint(directory: string): Promise<CheckpointMetadata> {
  const path = join(directory, METADATA_FILE_NAME);
  let bytes: Buffer;
  try {
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
  for (const [operatorId, operator] of Object.entries(metadata.operators)) {
    for (const state of Object.values(operator.subtasks)) {
      for (const handle of state.keyed ?? []) {
        const file = join(directory, handle.fileName);
        let data: Buffer;
        try {
          if ((await stat(file)).size !== handle.size) throw new Error(`size differs from the ${handle.size} bytes recorded`);
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

/**
 * A savepoint (or retained checkpoint) to start a job from, given as its directory or its `_metadata` file, with or
 * without `file:`. Errors say what is wrong in Flink's words; the job is not started.
 */
export async function resolveSavepoint(path: string): Promise<{ metadata: CheckpointMetadata; directory: string }> {
  const local = localPath(path);
  let directory = local;
  let info;
  try {
    info = await stat(local);
  } catch {
    throw new Error(`Cannot find checkpoint or savepoint file/directory '${path}' on file system 'file'.`);
  }
  if (info.isFile()) directory = dirname(local);
  else {
    try {
      await stat(join(local, METADATA_FILE_NAME));
    } catch {
      throw new Error(
        `Cannot find meta data file '${METADATA_FILE_NAME}' in directory '${path}'. Please try to load the checkpoint/savepoint directly from the metadata file instead of the directory.`,
      );
    }
  }
  return { metadata: await readCheckpoint(directory), directory };
}
