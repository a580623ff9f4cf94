import { ID_PATTERN } from '../../common/ids.js';
import type { TaskRestore } from '../../state/StateHandles.js';

/** One channel of a job edge between two subtasks, and where its other end's TaskExecutor serves data. */
export interface ChannelDescriptor {
  channelId: string;
  /** host:port of the data (shuffle) server of the TaskExecutor running the channel's other end. */
  peerAddress: string;
  /**
   * 32 hex digits the JobMaster hands only to the channel's two subtasks: the consumer presents it when it requests the
   * channel, the producer's TaskExecutor sends the channel to no one else. Never logged.
   */
  subscriptionSecret: string;
}

/** The channels a subtask reads from one upstream vertex (Flink's InputGateDeploymentDescriptor). */
export interface InputGateDeploymentDescriptor {
  sourceVertexId: string;
  channels: ChannelDescriptor[];
}

/** The channels a subtask writes to one downstream vertex (Flink's ResultPartitionDeploymentDescriptor). */
export interface ResultPartitionDeploymentDescriptor {
  targetVertexId: string;
  shipStrategy: string;
  channels: ChannelDescriptor[];
  targetParallelism: number;
  targetMaxParallelism: number;
}

/** Everything a TaskExecutor needs to run one subtask attempt (Flink's TaskDeploymentDescriptor). */
export interface TaskDeploymentDescriptor {
  jobId: string;
  jobName: string;
  vertexId: string;
  vertexName: string;
  subtaskIndex: number;
  parallelism: number;
  maxParallelism: number;
  attemptId: string;
  attemptNumber: number;
  allocationId: string;
  slotIndex: number;
  /** The bundled job program (an ES module): every subtask rebuilds its operators from it. */
  jobModule: Uint8Array;
  programArgs: string[];
  defaultParallelism: number;
  /** The job graph's hash: the subtask checks that the program builds the same graph. */
  planHash: string;
  /** host:port of the JobManager RPC endpoint serving this job's JobMaster. */
  jobMasterAddress: string;
  /** The state to start from (Flink's JobManagerTaskRestore), when the job restores from a checkpoint. */
  taskRestore: TaskRestore | undefined;
  inputs: InputGateDeploymentDescriptor[];
  outputs: ResultPartitionDeploymentDescriptor[];
}

/** A channel id: `<producer attempt id>-<consumer attempt id>`. */
export const CHANNEL_ID_PATTERN = /^[0-9a-f]{32}-[0-9a-f]{32}$/;
const HOST_AND_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):([0-9]{1,5})$/;
const MAX_PARALLELISM = 32_768;

function isHostAndPort(address: string): boolean {
  const match = typeof address === 'string' && address.length <= 256 ? HOST_AND_PORT.exec(address) : null;
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65_535;
}

/**
 * Why a deployment descriptor from the network cannot be run, or undefined. Every id that goes into a path, a file
 * name or a module path must be of the form tsflink generates (32 hex digits), so none can leave the TaskExecutor's
 * working directory; channels must name this attempt at their end.
 */
export function invalidDeployment(tdd: TaskDeploymentDescriptor): string | undefined {
  const ids: Array<[string, unknown]> = [
    ['job id', tdd.jobId],
    ['attempt id', tdd.attemptId],
    ['vertex id', tdd.vertexId],
    ['allocation id', tdd.allocationId],
    ...tdd.inputs.map((input): [string, unknown] => ['source vertex id', input.sourceVertexId]),
    ...tdd.outputs.map((output): [string, unknown] => ['target vertex id', output.targetVertexId]),
  ];
  for (const [what, id] of ids) if (typeof id !== 'string' || !ID_PATTERN.test(id)) return `The ${what} ${JSON.stringify(String(id).slice(0, 80))} is not 32 hex digits.`;
  const integer = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  if (!integer(tdd.maxParallelism, 1, MAX_PARALLELISM) || !integer(tdd.parallelism, 1, tdd.maxParallelism)) return 'The parallelism is out of range.';
  if (!integer(tdd.subtaskIndex, 0, tdd.parallelism - 1)) return 'The subtask index is out of range.';
  if (!integer(tdd.attemptNumber, 0, Number.MAX_SAFE_INTEGER) || !integer(tdd.slotIndex, 0, 65_535)) return 'The attempt number or slot index is out of range.';
  if (!isHostAndPort(tdd.jobMasterAddress)) return 'The JobMaster address must be host:port.';
  const channels = (
    kind: 'input' | 'output',
    list: readonly ChannelDescriptor[],
  ): string | undefined => {
    for (const c of list) {
      if (typeof c.channelId !== 'string' || !CHANNEL_ID_PATTERN.test(c.channelId)) return `An ${kind} channel id is not <attempt id>-<attempt id>.`;
      const mine = kind === 'input' ? c.channelId.slice(33) : c.channelId.slice(0, 32);
      if (mine !== tdd.attemptId) return `The ${kind} channel ${c.channelId} does not belong to attempt ${tdd.attemptId}.`;
      if (typeof c.subscriptionSecret !== 'string' || !ID_PATTERN.test(c.subscriptionSecret)) return `The ${kind} channel ${c.channelId} has no valid subscription secret.`;
      if (!isHostAndPort(c.peerAddress)) return `The peer address of channel ${c.channelId} must be host:port.`;
    }
    return undefined;
  };
  for (const input of tdd.inputs) {
    const invalid = channels('input', input.channels);
    if (invalid) return invalid;
  }
  for (const output of tdd.outputs) {
    const invalid = channels('output', output.channels);
    if (invalid) return invalid;
    if (!integer(output.targetMaxParallelism, 1, MAX_PARALLELISM) || !integer(output.targetParallelism, 1, output.targetMaxParallelism)) {
      return 'A target parallelism is out of range.';
    }
  }
  return undefined;
}
