import type { TaskMetricsSnapshot } from '../../metrics/TaskMetricGroup.js';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from '../../common/Logger.js';
import type { ChannelEndpointOwner, ShuffleEnvironment } from '../network/ShuffleEnvironment.js';
import type { CheckpointTrigger } from '../TaskExecutorGateway.js';
import type { TaskThreadPool } from './TaskThreadPool.js';
import type { ChannelMessage, CheckpointAck, FromTaskThread, SerializedFailure, StackSample, TaskThreadDescriptor, TaskThreadResult } from './thread-protocol.js';

export type TaskState = 'DEPLOYING' | 'INITIALIZING' | 'RUNNING' | 'FINISHED' | 'CANCELING' | 'CANCELED' | 'FAILED';

/** FINISHED, CANCELED and FAILED: the subtask's thread is done. */
export function isEnded(state: TaskState): boolean {
  return state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED';
}

export interface TaskStateListener {
  (task: Task, state: TaskState, failure?: SerializedFailure): void;
}

/** Where a subtask's checkpoint acknowledgements and declines go (to its JobMaster). */
export interface CheckpointResponder {
  acknowledge(task: Task, ack: CheckpointAck): void;
  decline(task: Task, checkpointId: number, reason: string): void;
}

/**
 * A subtask on the TaskExecutor's main thread (Flink's Task): runs the subtask in a worker thread of the pool for its
 * whole life, connects its channels to the ShuffleEnvironment, and reports its state changes.
 */
export class Task implements ChannelEndpointOwner {
  state: TaskState = 'DEPLOYING';
  metrics: TaskMetricsSnapshot | undefined;
  private readonly port: MessagePort;
  private readonly workerPort: MessagePort;
  private readonly peerOf = new Map<string, string>();
  private result: TaskThreadResult | undefined;
  private threadDone = false;
  /** Why the subtask was failed from outside: it ends FAILED with it, however its thread ends. */
  private externalFailure: SerializedFailure | undefined;
  /** The worker thread the subtask runs in, once it runs. */
  threadId: number | undefined;
  private readonly stackSamplings = new Map<number, (samples: StackSample[]) => void>();
  private nextSamplingId = 0;

  constructor(
    readonly descriptor: TaskThreadDescriptor,
    readonly allocationId: string,
    /** Every channel's subscription secret, by channel id (they stay on the TaskExecutor's main thread). */
    private readonly subscriptionSecrets: ReadonlyMap<string, string>,
    private readonly shuffle: ShuffleEnvironment,
    private readonly threads: TaskThreadPool,
    private readonly onStateChange: TaskStateListener,
    private readonly checkpointResponder: CheckpointResponder,
    private readonly log: Logger,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.workerPort = port2;
    for (const input of descriptor.inputs) for (const c of input.channels) this.peerOf.set(c.channelId, c.peerAddress);
    for (const output of descriptor.outputs) for (const c of output.channels) this.peerOf.set(c.channelId, c.peerAddress);
  }

  get attemptId(): string {
    return this.descriptor.attemptId;
  }

  /** `<vertex name> (<subtask+1>/<parallelism>)#<attempt>`, as Flink names a task in logs. */
  get displayName(): string {
    const d = this.descriptor;
    return `${d.vertexName} (${d.subtaskIndex + 1}/${d.parallelism})#${d.attemptNumber}`;
  }

  start(): void {
    this.port.on('message', (message: FromTaskThread) => this.onThreadMessage(message));
    const secret = (channelId: string) => this.subscriptionSecrets.get(channelId) ?? '';
    for (const input of this.descriptor.inputs) for (const c of input.channels) this.shuffle.registerConsumer(c.channelId, this, c.peerAddress, secret(c.channelId));
    for (const output of this.descriptor.outputs) for (const c of output.channels) this.shuffle.registerProducer(c.channelId, this, secret(c.channelId));
    this.transition('INITIALIZING');
    this.threads
      .run({ descriptor: this.descriptor, port: this.workerPort }, this.workerPort)
      .then(
        (result: TaskThreadResult) => {
          this.result = result;
          if (this.threadDone) this.finish(result.state, result.failure);
        },
        (error: Error) => this.finish('FAILED', { name: error.name, message: error.message, stack: error.stack ?? error.message }),
      );
  }

  /** Asks the subtask to stop; it closes its resources and ends CANCELED. */
  cancel(): void {
    if (isEnded(this.state) || this.state === 'CANCELING') return;
    this.transition('CANCELING');
    this.port.postMessage({ type: 'cancel' });
  }

  /** Fails the subtask from outside (Flink's failExternally): it is cancelled and ends FAILED with `failure`. */
  failExternally(failure: SerializedFailure): void {
    if (isEnded(this.state) || this.externalFailure) return;
    this.log.warn(`${this.displayName} fails: ${failure.message}`);
    this.externalFailure = failure;
    if (this.state !== 'CANCELING') this.port.postMessage({ type: 'cancel' });
  }

  deliver(message: ChannelMessage): void {
    this.port.postMessage(message);
  }

  triggerCheckpoint({ checkpointId, timestamp, targetLocation, terminate, drain }: CheckpointTrigger): void {
    if (this.state === 'RUNNING') this.port.postMessage({ type: 'triggerCheckpoint', checkpointId, timestamp, targetLocation, terminate, drain });
    else this.checkpointResponder.decline(this, checkpointId, `${this.displayName} is ${this.state}, not RUNNING.`);
  }

  notifyCheckpoint(checkpointId: number, completed: boolean): void {
    if (this.state === 'RUNNING') this.port.postMessage({ type: completed ? 'checkpointComplete' : 'checkpointAborted', checkpointId });
  }

  /**
   * On-CPU stack samples of the subtask's thread for `durationMs` (the flame graph); none if the subtask does not run
   * or ends meanwhile, or its thread cannot be sampled.
   */
  sampleStacks(durationMs: number): Promise<StackSample[]> {
    if (this.state !== 'RUNNING') return Promise.resolve([]);
    const requestId = this.nextSamplingId++;
    return new Promise((resolve) => {
      this.stackSamplings.set(requestId, resolve);
      this.port.postMessage({ type: 'sampleStacks', requestId, durationMs });
    });
  }

  private onThreadMessage(message: FromTaskThread): void {
    switch (message.type) {
      case 'running':
        this.threadId = message.threadId;
        if (this.state === 'INITIALIZING') this.transition('RUNNING');
        return;
      case 'stackSamples':
        if (message.error) this.log.warn(`${this.displayName}: could not sample its thread: ${message.error}`);
        this.stackSamplings.get(message.requestId)?.(message.samples);
        this.stackSamplings.delete(message.requestId);
        return;
      case 'done':
        // Ordered after everything the subtask sent on this port; the pool's result may arrive before or after it.
        this.threadDone = true;
        if (this.result) this.finish(this.result.state, this.result.failure);
        return;
      case 'metrics':
        this.metrics = message.metrics;
        return;
      case 'checkpointAck':
        this.log.info(
          `${this.displayName}: checkpoint ${message.checkpointId} taken (${message.stateSize} bytes, sync ${message.syncDurationMs} ms, async ${message.asyncDurationMs} ms, alignment ${message.alignmentDurationMs} ms).`,
        );
        this.checkpointResponder.acknowledge(this, message);
        return;
      case 'checkpointDecline':
        this.log.warn(`${this.displayName}: declined checkpoint ${message.checkpointId}: ${message.reason}`);
        this.checkpointResponder.decline(this, message.checkpointId, message.reason);
        return;
      case 'log':
        this.log[message.level === 'INFO' ? 'info' : message.level === 'WARN' ? 'warn' : 'error'](`${this.displayName}: ${message.message}`);
        return;
      default:
        this.shuffle.route(message, this.peerOf.get(message.channel) ?? '');
    }
  }

  private finish(state: 'FINISHED' | 'CANCELED' | 'FAILED', failure?: SerializedFailure): void {
    if (isEnded(this.state)) return;
    if (this.externalFailure && state !== 'FAILED') {
      state = 'FAILED';
      failure = this.externalFailure;
    }
    this.shuffle.unregister(this.peerOf.keys(), this, { finished: state === 'FINISHED' });
    this.port.close();
    for (const resolve of this.stackSamplings.values()) resolve([]);
    this.stackSamplings.clear();
    this.transition(state, failure);
  }

  private transition(state: TaskState, failure?: SerializedFailure): void {
    const old = this.state;
    this.state = state;
    this.log.info(`${this.displayName} (${this.attemptId}) switched from ${old} to ${state}.`);
    this.onStateChange(this, state, failure);
  }
}
