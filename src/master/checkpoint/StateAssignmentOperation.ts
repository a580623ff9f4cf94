import type { JobVertexDescription } from '../../graph/JobGraph.js';
import { computeKeyGroupRangeForOperatorIndex } from '../../state/KeyGroupRangeAssignment.js';
import { rangesIntersect, type OperatorRestore, type TaskRestore } from '../../state/StateHandles.js';
import type { CheckpointMetadata } from './CheckpointMetadata.js';

/**
 * The state one subtask of `vertex` starts from (Flink's StateAssignmentOperation): keyed state of every old subtask
 * whose key-group range overlaps the new subtask's, all source splits, all sink writer states — so any parallelism up
 * to the max parallelism restores.
 */
export function taskRestoreFor(metadata: CheckpointMetadata, directory: string, vertex: JobVertexDescription, subtaskIndex: number): TaskRestore | undefined {
  const range = computeKeyGroupRangeForOperatorIndex(vertex.maxParallelism, vertex.parallelism, subtaskIndex);
  const operators: Record<string, OperatorRestore> = {};
  for (const node of vertex.operators) {
    const state = metadata.operators[node.operatorId];
    if (!state) continue;
    const restore: OperatorRestore = { keyed: [], splits: [], sinkWriters: [] };
    for (const [index, subtask] of Object.entries(state.subtasks)) {
      for (const handle of subtask.keyed ?? []) if (rangesIntersect(handle.keyGroupRange, range)) restore.keyed.push(handle);
      restore.splits.push(...(subtask.splits ?? []));
      if (subtask.sinkWriter !== undefined) {
        restore.sinkWriters.push({ subtaskIndex: Number(index), parallelism: state.parallelism, checkpointId: metadata.checkpointId, state: subtask.sinkWriter });
      }
    }
    operators[node.operatorId] = restore;
  }
  return { checkpointId: metadata.checkpointId, checkpointDirectory: directory, operators };
}

/**
 * Checks that the state of a savepoint maps onto a job graph (Flink's StateAssignmentOperation checks): every
 * operator with state must exist in the new program (unless `allowNonRestoredState`), with the same max parallelism.
 */
export function checkStateMapping(metadata: CheckpointMetadata, path: string, vertices: readonly JobVertexDescription[], allowNonRestoredState: boolean): void {
  const nodes = new Map(vertices.flatMap((v) => v.operators.map((n) => [n.operatorId, n] as const)));
  for (const [operatorId, state] of Object.entries(metadata.operators)) {
    const node = nodes.get(operatorId);
    if (!node) {
      if (allowNonRestoredState) continue;
      throw new Error(
        `Failed to rollback to checkpoint/savepoint ${path}. Cannot map checkpoint/savepoint state for operator ${operatorId} to the new program, because the operator is not available in the new program. If you want to allow to skip this, you can set the --allowNonRestoredState option on the CLI.`,
      );
    }
    const keyed = Object.values(state.subtasks).some((s) => (s.keyed?.length ?? 0) > 0);
    if (keyed && node.maxParallelism !== state.maxParallelism) {
      throw new Error(
        `Failed to rollback to checkpoint/savepoint ${path}. The maximum parallelism (${node.maxParallelism}) of the restored job vertex '${node.name}' is different from the maximum parallelism (${state.maxParallelism}) of the stored state.`,
      );
    }
  }
}
