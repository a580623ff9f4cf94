import { Packr } from 'msgpackr';
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
  return packr.unpack(bytes) as SubtaskState;
}

export function decodeTaskRestore(bytes: Uint8Array): TaskRestore | undefined {
  if (bytes.length === 0) return undefined;
  return packr.unpack(bytes) as TaskRestore;
}

export function rangesIntersect(a: KeyGroupRange, b: KeyGroupRange): boolean {
  return a.startKeyGroup <= b.endKeyGroup && b.startKeyGroup <= a.endKeyGroup;
}
