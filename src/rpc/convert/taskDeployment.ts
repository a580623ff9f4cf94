import type { TaskDeploymentDescriptor as TaskDeploymentDescriptorProto } from '../../generated/tsflink/taskexecutor/v1/taskexecutor.js';
import { decodeTaskRestore, encodeState } from '../../state/StateHandles.js';
import type { TaskDeploymentDescriptor } from '../../taskmanager/TaskExecutorGateway.js';

/** A deployment descriptor in its protobuf form; the task restore travels msgpack-encoded (empty: start fresh). */
export function taskDeploymentDescriptorToProto(tdd: TaskDeploymentDescriptor): TaskDeploymentDescriptorProto {
  const restore = tdd.taskRestore ? encodeState(tdd.taskRestore) : new Uint8Array(0);
  return {
    ...tdd,
    jobModule: asBuffer(tdd.jobModule),
    taskRestore: asBuffer(restore),
    inputs: tdd.inputs.map((i) => ({ sourceVertexId: i.sourceVertexId, channels: i.channels.map((c) => ({ ...c })) })),
    outputs: tdd.outputs.map((o) => ({ ...o, channels: o.channels.map((c) => ({ ...c })) })),
  };
}

export function taskDeploymentDescriptorFromProto(proto: TaskDeploymentDescriptorProto): TaskDeploymentDescriptor {
  return {
    jobId: proto.jobId,
    jobName: proto.jobName,
    vertexId: proto.vertexId,
    vertexName: proto.vertexName,
    subtaskIndex: proto.subtaskIndex,
    parallelism: proto.parallelism,
    maxParallelism: proto.maxParallelism,
    attemptId: proto.attemptId,
    attemptNumber: proto.attemptNumber,
    allocationId: proto.allocationId,
    slotIndex: proto.slotIndex,
    jobModule: proto.jobModule,
    programArgs: proto.programArgs,
    defaultParallelism: proto.defaultParallelism,
    planHash: proto.planHash,
    jobMasterAddress: proto.jobMasterAddress,
    taskRestore: decodeTaskRestore(proto.taskRestore),
    inputs: proto.inputs.map((i) => ({ sourceVertexId: i.sourceVertexId, channels: i.channels.map((c) => ({ channelId: c.channelId, peerAddress: c.peerAddress })) })),
    outputs: proto.outputs.map((o) => ({
      targetVertexId: o.targetVertexId,
      shipStrategy: o.shipStrategy,
      channels: o.channels.map((c) => ({ channelId: c.channelId, peerAddress: c.peerAddress })),
      targetParallelism: o.targetParallelism,
      targetMaxParallelism: o.targetMaxParallelism,
    })),
  };
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
