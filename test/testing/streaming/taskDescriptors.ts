import { pathToFileURL } from 'node:url';
import { buildJobGraph, type JobVertex } from '../../../src/graph/JobGraph.js';
import { extractPipeline } from '../../../src/graph/JobProgram.js';
import type { TaskThreadDescriptor } from '../../../src/taskmanager/task/thread-protocol.js';

export interface VertexTaskOptions {
  /** The job program: the path of a fixture module that imports the API by relative path. */
  program: string;
  args?: string[];
  /** The vertex, by its name in the job graph (e.g. 'Times Ten -> Drop Thirty -> Collect'). */
  vertexName: string;
  /** The channels of the vertex's input edge (free strings). */
  inputChannels?: string[];
  /** The channels of the vertex's output edge. */
  outputChannels?: string[];
}

/**
 * The TaskThreadDescriptor of subtask 0 of a fixture job's vertex, as a TaskExecutor would get it: the job graph is
 * built from the program (its vertex ids and plan hash are the ones the task checks), channels are the given ids.
 */
export async function descriptorForVertex(options: VertexTaskOptions, localStateDirectory: string): Promise<{ descriptor: TaskThreadDescriptor; vertex: JobVertex }> {
  const jobModuleUrl = pathToFileURL(options.program).href;
  const programArgs = options.args ?? [];
  const graph = buildJobGraph(await extractPipeline(jobModuleUrl, programArgs), { defaultParallelism: 1 });
  const vertex = graph.vertices.find((v) => v.name === options.vertexName);
  if (!vertex) throw new Error(`No vertex '${options.vertexName}' in the job graph; it has ${graph.vertices.map((v) => `'${v.name}'`).join(', ')}.`);
  const endpoints = (ids: string[] | undefined) => (ids ?? []).map((channelId) => ({ channelId, peerAddress: 'local' }));
  const descriptor: TaskThreadDescriptor = {
    jobId: '0123456789abcdef0123456789abcdef',
    jobName: graph.jobName,
    vertexId: vertex.id,
    vertexName: vertex.name,
    subtaskIndex: 0,
    parallelism: vertex.parallelism,
    maxParallelism: vertex.maxParallelism,
    attemptId: 'fedcba9876543210fedcba9876543210',
    attemptNumber: 0,
    jobModuleUrl,
    programArgs,
    defaultParallelism: 1,
    planHash: graph.planHash,
    localStateDirectory,
    restore: undefined,
    inputs: vertex.inputs.map((edge) => ({ sourceVertexId: edge.source.id, channels: endpoints(options.inputChannels) })),
    outputs: vertex.outputs.map((edge) => ({
      targetVertexId: edge.target.id,
      shipStrategy: edge.shipStrategy,
      channels: endpoints(options.outputChannels),
      targetParallelism: edge.target.parallelism,
      targetMaxParallelism: edge.target.maxParallelism,
    })),
  };
  return { descriptor, vertex };
}
