import type { TaskDeploymentDescriptor as TaskDeploymentDescriptorProto } from '../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import { decodeTaskRestore, encodeState } from '../../state/StateHandles.js';
import type { TaskDeploymentDescriptor } from '../../taskmanager/TaskExecutorGateway.js';

/** A deployment descriptor in its protobuf form; the task restore travels msgpack-encoded (empty: start fresh). */
export function taskDeploymentDescriptorToProto(tdd: TaskDeploymentDescriptor): TaskDeploymentDescriptorProto {
  const restore = tdd.taskRestore ? encodeState(tdd.taskRestore) : new Uint8Array(0);
  return { ...tdd, jobModule: asBuffer(tdd.jobModule), taskRestore: asBuffer(restore) };
}

export function taskDeploymentDescriptorFromProto(proto: TaskDeploymentDescriptorProto): TaskDeploymentDescriptor {
  return { ...proto, taskRestore: decodeTaskRestore(proto.taskRestore) };
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
