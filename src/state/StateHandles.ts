import { Packr } from 'msgpackr';
import { TsFlinkError } from '../common/errors.js';
import type { RestoredSinkState, SplitState } from '../job/connectors.js';
import type { KeyGroupRange } from './KeyGroupRangeAssignment.js';

/**
 * What a checkpoint holds, as the tasks produce it and the JobManager stores it in `_metadata` (Flink's
 * OperatorSubtaskState / KeyGroupsStateHandle / TaskStateSnapshot). File names are relative to the checkpoint's
 * directory, so a checkpoint (or savepoint) directory can be moved and still restores.
 */

/** Keyed state of one subtask for a key-group range, in one file; `offsets[i]` is where key group start+i begins. */
export interface KeyGroupsStateHandle {
  fileName: string;
  keyGroupRange: KeyGroupRange;
  offsets: number[];
  size: number;
  /** sha256 of the file, hex: a restore never reads a file that changed. */
  sha256: string;
}

/** One operator's part of a subtask's snapshot. */
export interface OperatorSubtaskState {
  keyed?: KeyGroupsStateHandle[];
  /** Source readers: every split the subtask owned, with its position. Redistributable to any parallelism. */
  splits?: SplitState[];
  /** Sink writers: the writer's own state (e.g. a pre-committed Kafka transaction). */
  sinkWriter?: unknown;
}

/** One subtask's snapshot: operator id → its state. */
export interface SubtaskState {
  operators: Record<string, OperatorSubtaskState>;
}

/** What one operator of a new subtask starts from. */
export interface OperatorRestore {
  /** Every handle whose key-group range intersects the subtask's range. */
  keyed: KeyGroupsStateHandle[];
  /** The splits of every subtask of the operator in the checkpoint (the reader keeps those it owns now). */
  splits: SplitState[];
  sinkWriters: RestoredSinkState[];
}

/** The state a subtask is deployed with (Flink's JobManagerTaskRestore). */
export interface TaskRestore {
  checkpointId: number;
  /** Absolute directory of the checkpoint; handle file names are relative to it. */
  checkpointDirectory: string;
  operators: Record<string, OperatorRestore>;
}

const packr = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true });

export function encodeState(value: SubtaskState | TaskRestore): Uint8Array {
  return packr.pack(value);
}

export function decodeSubtaskState(bytes: Uint8Array): SubtaskState {
  const state = packr.unpack(bytes) as SubtaskState;
  if (typeof state === 'object' && state !== null && typeof state.operators === 'object' && state.operators !== null) {
    for (const operator of Object.values(state.operators)) checkStateFileNames(operator);
  }
  return state;
}

export function decodeTaskRestore(bytes: Uint8Array): TaskRestore | undefined {
  if (bytes.length === 0) return undefined;
  const restore = packr.unpack(bytes) as TaskRestore;
  for (const operator of Object.values(restore.operators ?? {})) checkStateFileNames(operator);
  return restore;
}

/** A state handle whose file name could address anything but a file directly in its checkpoint's directory. */
export class IllegalStateFileNameError extends TsFlinkError {}

/**
 * Checks a state file name read from `_metadata`, an acknowledgement or a restore: a plain file name in the checkpoint's
 * directory. Absolute paths and names holding `/`, `\`, `..` or NUL are refused, so a crafted `_metadata` can make a
 * restore read, or a disposal delete, nothing outside the checkpoint's directory.
 */
export function checkStateFileName(fileName: unknown): string {
  if (typeof fileName !== 'string' || fileName.length === 0) throw new IllegalStateFileNameError(`Illegal state file name ${JSON.stringify(fileName)}: a state file name must be a non-empty string.`);
  const shown = JSON.stringify(fileName);
  if (fileName.includes('\0')) throw new IllegalStateFileNameError(`Illegal state file name ${shown}: it contains a NUL character.`);
  if (fileName.includes('/') || fileName.includes('\\')) {
    throw new IllegalStateFileNameError(`Illegal state file name ${shown}: state files are named relative to their checkpoint's directory, without '/' or '\\'.`);
  }
  if (fileName.includes('..') || fileName === '.') throw new IllegalStateFileNameError(`Illegal state file name ${shown}: it contains '..'.`);
  return fileName;
}

/** Checks the file name of every keyed state handle of an operator's state. */
export function checkStateFileNames(state: OperatorSubtaskState | OperatorRestore): void {
  const keyed: unknown = state?.keyed;
  if (keyed === undefined) return;
  if (!Array.isArray(keyed)) throw new IllegalStateFileNameError('Illegal keyed state: the handles are not a list.');
  for (const handle of keyed as KeyGroupsStateHandle[]) checkStateFileName(handle?.fileName);
}

export function rangesIntersect(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.startKeyGroup <= b.endKeyGroup && b.startKeyGroup <= a.endKeyGroup;
}
