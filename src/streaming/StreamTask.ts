import { threadId } from 'node:worker_threads';
import { SystemClock, type Clock } from '../common/time/Clock.js';
import { SystemScheduledExecutor, type ScheduledExecutor } from '../common/time/ScheduledExecutor.js';
import { buildJobGraph, type JobVertex } from '../graph/JobGraph.js';
import { extractPipeline } from '../graph/JobProgram.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../job/watermarks.js';
import { VIEW_UPDATE_INTERVAL_MS } from '../metrics/Metrics.js';
import { TaskMetricGroup } from '../metrics/TaskMetricGroup.js';
import type { ChannelMessage, FromTaskThread, TaskThreadDescriptor, TaskThreadResult, ToTaskThread } from '../taskmanager/task/thread-protocol.js';
import { serializeFailure } from '../taskmanager/task/thread-protocol.js';
import { decodeBatch } from './BatchCodec.js';
import { CheckpointBarrierAligner } from './CheckpointBarrierAligner.js';
import { InputGate } from './InputGate.js';
import { OperatorChain } from './OperatorChain.js';
import { ProcessingTimeService } from './ProcessingTimeService.js';
import { WATERMARK_INTERVAL_MS } from './SourceDriver.js';
import { SubtaskCheckpointCoordinator } from './SubtaskCheckpointCoordinator.js';
import { sampleStacks } from './StackSampler.js';
import { TaskMailbox, type Mail } from './TaskMailbox.js';
import type { TaskThreadEndpoint } from './TaskThreadEndpoint.js';

/** Data batches an input channel may have in flight towards this subtask. */
export const INITIAL_CREDITS = 4;
const METRICS_INTERVAL_MS = 1000;

class TaskCanceled extends Error {}

/**
 * One subtask (Flink's StreamTask): rebuilds its OperatorChain from the job program, then runs a mailbox — input
 * batches, watermarks, source records, timers and checkpoint calls, one at a time — until its inputs end, it is
 * cancelled, or user code fails. After every mail the chain's async work is flushed and the task waits while its
 * outputs are backpressured, so memory stays bounded. Checkpoints are the SubtaskCheckpointCoordinator's; this class
 * keeps the lifecycle: aligned barriers of its inputs, stop with savepoint, end of input, cancellation, metrics.
 * It reaches the TaskExecutor only through its TaskThreadEndpoint, and reads time only from its Clock and
 * ScheduledExecutor.
 */
export class StreamTask {
  private readonly mailbox = new TaskMailbox();
  private readonly timeService: ProcessingTimeService;
  private canceled = false;
  private finished = false;
  /**
   * Stop with savepoint: the source stopped at the savepoint's barrier and ends once it completes (`drain`: with event
   * time flushed before the barrier). Undefined while the task runs normally.
   */
  private stopping: { checkpointId: number; drain: boolean } | undefined;
  /** An input ended without flushing event time (stop with savepoint): finish without firing anything more. */
  private suspended = false;
  private chain: OperatorChain | undefined;
  private checkpoints: SubtaskCheckpointCoordinator | undefined;
  private inputGate: InputGate | undefined;
  private aligner: CheckpointBarrierAligner | undefined;
  private readonly metricGroup = new TaskMetricGroup();
  private readonly io = this.metricGroup.io;

  constructor(
    private readonly descriptor: TaskThreadDescriptor,
    private readonly endpoint: TaskThreadEndpoint,
    private readonly clock: Clock = SystemClock,
    scheduledExecutor: ScheduledExecutor = SystemScheduledExecutor,
  ) {
    this.timeService = new ProcessingTimeService(clock, scheduledExecutor);
  }

  async run(): Promise<TaskThreadResult> {
    try {
      const vertex = await this.loadVertex();
      const chain = await this.createChain(vertex);
      // Only now: a credit must find its writer. Until a listener is attached the endpoint holds what arrives.
      this.endpoint.onMessage((message) => this.onMessage(message));
      await chain.open();
      this.send({ type: 'running', threadId });
      this.timeService.scheduleAtFixedRate(VIEW_UPDATE_INTERVAL_MS, () => this.metricGroup.updateViews(this.clock.now()));
      this.timeService.scheduleAtFixedRate(METRICS_INTERVAL_MS, () => this.reportMetrics());
      if (this.inputGate) for (const channel of this.inputGate.channelIds) this.send({ type: 'credit', channel, credits: INITIAL_CREDITS });
      if (chain.source) this.timeService.scheduleAtFixedRate(WATERMARK_INTERVAL_MS, () => this.enqueue(() => this.sourceWatermark()));
      await this.runMailbox();
      if (this.canceled) return await this.shutDown('CANCELED');
      return await this.shutDown('FINISHED');
    } catch (error) {
      if (error instanceof TaskCanceled || this.canceled) return await this.shutDown('CANCELED');
      const failure = serializeFailure(error);
      await this.closeQuietly();
      return { state: 'FAILED', failure };
    } finally {
      this.send({ type: 'done' });
      this.endpoint.close();
    }
  }

  private async loadVertex(): Promise<JobVertex> {
    const d = this.descriptor;
    const pipeline = await extractPipeline(d.jobModuleUrl, d.programArgs);
    const graph = buildJobGraph(pipeline, { defaultParallelism: d.defaultParallelism });
    if (graph.planHash !== d.planHash) {
      throw new Error(
        `The job program built a different job graph in this subtask (plan hash ${graph.planHash}, expected ${d.planHash}): main(args) must build the same pipeline every time it runs.`,
      );
    }
    const vertex = graph.vertices.find((v) => v.id === d.vertexId);
    if (!vertex) throw new Error(`Vertex ${d.vertexId} is not in the job graph.`);
    return vertex;
  }

  /** The chain, and for a task that reads channels its input gate and barrier aligner. */
  private async createChain(vertex: JobVertex): Promise<OperatorChain> {
    const d = this.descriptor;
    const chain = await OperatorChain.create(d, vertex, {
      send: (message) => this.send(message),
      metricGroup: this.metricGroup,
      clock: this.clock,
      registerProcessingTimer: (time, callback) => this.timeService.registerTimer(time, () => this.enqueue(callback)),
      currentWatermark: () => this.inputGate?.currentWatermark ?? this.chain?.source?.currentWatermark ?? MIN_WATERMARK,
      sourceCallbacks: {
        schedule: () => this.enqueue(() => this.processSourceRecords()),
        onFatalError: (error) =>
          this.enqueue(() => {
            throw error;
          }),
      },
    });
    this.chain = chain;
    if (!chain.source) {
      this.inputGate = new InputGate(d.inputs.flatMap((input) => input.channels.map((c) => c.channelId)));
      if (this.inputGate.channelIds.length === 0) throw new Error(`Vertex ${vertex.name} has neither a source nor inputs.`);
      this.aligner = new CheckpointBarrierAligner(this.inputGate.channelIds, (message) => this.enqueueChannelMessage(message), () => this.clock.now());
    }
    this.checkpoints = new SubtaskCheckpointCoordinator(d, chain, (message) => this.send(message), this.metricGroup, this.clock);
    return chain;
  }

  private onMessage(message: ToTaskThread): void {
    switch (message.type) {
      case 'credit':
        this.chain!.addCredit(message.channel, message.credits);
        return;
      case 'cancel':
        this.canceled = true;
        this.chain!.interruptOutputs();
        this.enqueue(() => {
          throw new TaskCanceled();
        });
        return;
      case 'triggerCheckpoint':
        this.enqueue(() => this.triggerCheckpoint(message.checkpointId, message.timestamp, message.targetLocation, message.terminate, message.drain));
        return;
      case 'checkpointComplete':
        this.enqueue(() => this.notifyCheckpointComplete(message.checkpointId));
        return;
      case 'checkpointAborted':
        this.enqueue(() => this.notifyCheckpointAborted(message.checkpointId));
        return;
      case 'sampleStacks':
        // Not through the mailbox: the sampler watches the subtask work, beside it.
        sampleStacks(message.durationMs).then(
          (samples) => this.send({ type: 'stackSamples', requestId: message.requestId, samples }),
          (error: Error) => this.send({ type: 'stackSamples', requestId: message.requestId, samples: [], error: error.message }),
        );
        return;
      default:
        // Channel messages pass the barrier aligner: a channel that delivered barrier N waits until all have.
        this.aligner!.onArrival(message);
    }
  }

  private enqueueChannelMessage(message: ChannelMessage): void {
    switch (message.type) {
      case 'barrier':
        this.enqueue(() => this.onBarrier(message.channel, message.checkpointId));
        return;
      case 'data':
        this.enqueue(() => this.processBatch(message.channel, message.bytes));
        return;
      case 'watermark':
        this.enqueue(() => {
          const advanced = this.inputGate!.onWatermark(message.channel, message.timestamp);
          if (advanced !== undefined) this.advanceWatermark(advanced);
        });
        return;
      case 'idle':
        this.enqueue(() => this.applyStatus(this.inputGate!.onIdle(message.channel, message.idle)));
        return;
      case 'end':
        this.enqueue(() => this.onEndOfPartition(message.channel, message.drained));
        return;
      case 'credit':
        return; // credits are for this subtask's writers and never reach the aligner (see onMessage)
    }
  }

  private onEndOfPartition(channel: string, drained: boolean): Promise<void> {
    if (!drained) this.suspended = true;
    const change = this.inputGate!.onEnd(channel);
    if (!this.suspended) this.applyStatus(change);
    if (change.allEnded) {
      if (!this.suspended) this.advanceWatermark(MAX_WATERMARK);
      // A suspended end waits until the savepoint it belongs to is known complete (its sink commits then).
      const checkpoints = this.checkpoints!;
      if (!this.suspended || checkpoints.latestCompletedId >= checkpoints.latestSnapshotId) this.finished = true;
    }
    return this.completeAlignmentIfDone();
  }

  /** A source subtask starts checkpoint `checkpointId`: its state is what it emitted so far. */
  private async triggerCheckpoint(checkpointId: number, timestamp: number, targetLocation: string, terminate: boolean, drain: boolean): Promise<void> {
    const chain = this.chain!;
    if (!chain.source || this.finished || this.stopping) {
      this.checkpoints!.declineCheckpoint(checkpointId, 'The task is not running a source any more.');
      return;
    }
    if (terminate && drain) {
      // stop --drain: every window fires before the barrier, so the savepoint holds no pending windows.
      this.io.currentInputWatermark = MAX_WATERMARK;
      chain.emitSourceWatermark(MAX_WATERMARK);
    }
    await this.checkpoints!.checkpointState({ checkpointId, timestamp, targetLocation }, 0);
    if (terminate) {
      // Nothing after the barrier: no records, no watermarks, until the savepoint completes (then the task ends) or
      // is aborted (then it goes on).
      this.stopping = { checkpointId, drain };
      chain.source.pause();
    }
  }

  /** Barrier N arrived (in order) on a channel; once every live channel has delivered it, the task checkpoints. */
  private async onBarrier(channel: string, checkpointId: number): Promise<void> {
    this.aligner!.onBarrierProcessed(channel, checkpointId);
    await this.completeAlignmentIfDone();
  }

  private async completeAlignmentIfDone(): Promise<void> {
    const aligned = this.aligner?.takeCompleted((channel) => this.inputGate!.isEnded(channel));
    if (!aligned) return;
    try {
      await this.checkpoints!.checkpointState(aligned, aligned.alignmentMs);
    } finally {
      this.aligner!.release();
    }
  }

  private async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.checkpoints!.notifyCheckpointComplete(checkpointId);
    if (this.stopping && checkpointId >= this.stopping.checkpointId) {
      this.suspended = !this.stopping.drain;
      this.finished = true;
    }
    if (this.suspended && this.inputGate?.allEnded() && checkpointId >= this.checkpoints!.latestSnapshotId) this.finished = true;
  }

  private async notifyCheckpointAborted(checkpointId: number): Promise<void> {
    if (this.stopping?.checkpointId === checkpointId) {
      this.send({ type: 'log', level: 'WARN', message: `The savepoint to stop with (checkpoint ${checkpointId}) failed; the source goes on reading.` });
      this.stopping = undefined;
      this.chain!.source!.resume();
      this.enqueue(() => this.processSourceRecords());
    }
    if (this.aligner?.abort(checkpointId)) this.send({ type: 'log', level: 'INFO', message: `Checkpoint ${checkpointId} was aborted during alignment.` });
    await this.checkpoints!.notifyCheckpointAborted(checkpointId);
  }

  private processBatch(channel: string, bytes: Uint8Array): void {
    const { values, timestamps } = decodeBatch(bytes);
    this.io.recordsIn += values.length;
    this.io.bytesIn += bytes.length;
    this.chain!.processElements(values, timestamps, channel);
    this.send({ type: 'credit', channel, credits: 1 });
  }

  private processSourceRecords(): void {
    if (this.stopping) return; // records read after the stop's barrier stay queued: the savepoint resumes before them
    this.chain!.emitSourceRecords();
  }

  private sourceWatermark(): void {
    if (this.stopping) return;
    const chain = this.chain!;
    const change = chain.source!.periodicWatermark();
    if (change.idle !== undefined) chain.broadcastIdle(change.idle);
    if (change.watermark !== undefined) {
      this.io.currentInputWatermark = change.watermark;
      chain.emitSourceWatermark(change.watermark);
    }
  }

  private applyStatus(change: { watermark?: number; idle?: boolean }): void {
    if (change.idle !== undefined) this.chain!.broadcastIdle(change.idle);
    if (change.watermark !== undefined) this.advanceWatermark(change.watermark);
  }

  private advanceWatermark(timestamp: number): void {
    this.io.currentInputWatermark = timestamp;
    this.chain!.processWatermark(timestamp);
  }

  private enqueue(mail: Mail): void {
    this.mailbox.put(mail);
  }

  private async runMailbox(): Promise<void> {
    const chain = this.chain!;
    while (!this.canceled && !this.finished) {
      const mail = this.mailbox.tryTake();
      if (!mail) {
        this.metricGroup.idleStarted(this.clock.now());
        await this.mailbox.waitForMail();
        this.metricGroup.idleEnded(this.clock.now());
        continue;
      }
      await mail();
      await chain.flush();
      if (!chain.isOutputAvailable()) {
        this.metricGroup.backPressureStarted(this.clock.now());
        try {
          await chain.outputAvailable();
        } finally {
          this.metricGroup.backPressureEnded(this.clock.now());
        }
      }
      if (!this.stopping) chain.source?.resumeIfDrained();
    }
  }

  private async shutDown(state: 'FINISHED' | 'CANCELED'): Promise<TaskThreadResult> {
    this.timeService.shutdown();
    if (state === 'FINISHED') {
      const chain = this.chain!;
      // Stopped with a savepoint (no drain): the job resumes from the savepoint, so nothing is flushed or committed
      // beyond it; the savepoint's own transaction was committed when it completed.
      if (!this.suspended) await chain.finishOperators();
      await chain.closeOperators();
      await chain.endOfPartition(!this.suspended);
      await chain.dispose();
      this.reportMetrics();
      return { state };
    }
    await this.closeQuietly();
    this.reportMetrics();
    return { state };
  }

  private async closeQuietly(): Promise<void> {
    this.timeService.shutdown();
    await this.chain?.closeQuietly();
  }

  private reportMetrics(): void {
    this.send({ type: 'metrics', metrics: this.metricGroup.snapshot(this.clock.now()) });
  }

  private send(message: FromTaskThread): void {
    this.endpoint.send(message);
  }
}
