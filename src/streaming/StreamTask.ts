import type { MessagePort } from 'node:worker_threads';
import type { ConnectorContext } from '../job/connectors.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../job/watermarks.js';
import { buildJobGraph, type JobVertex, type StreamNode } from '../graph/JobGraph.js';
import { extractPipeline } from '../graph/JobProgram.js';
import { join } from 'node:path';
import { computeKeyGroupRangeForOperatorIndex } from '../state/KeyGroupRangeAssignment.js';
import { LevelDbKeyedStateBackend } from '../state/LevelDbKeyedStateBackend.js';
import { encodeState, type OperatorRestore, type OperatorSubtaskState, type SubtaskState } from '../state/StateHandles.js';
import type { ChannelMessage, FromTaskThread, TaskThreadDescriptor, TaskThreadResult, ToTaskThread } from '../taskmanager/task/thread-protocol.js';
import { VIEW_UPDATE_INTERVAL_MS } from '../metrics/Metrics.js';
import { TaskMetricGroup, type OperatorMetricGroup } from '../metrics/TaskMetricGroup.js';
import { serializeFailure } from '../taskmanager/task/thread-protocol.js';
import { decodeBatch } from './BatchCodec.js';
import { CheckpointBarrierAligner } from './CheckpointBarrierAligner.js';
import { InputGate } from './InputGate.js';
import { KeyedProcessOperator } from './operators/KeyedProcessOperator.js';
import { ProcessOperator, StreamFilter, StreamFlatMap, StreamMap } from './operators/simple.js';
import { SinkOperator } from './operators/SinkOperator.js';
import type { OperatorContext, Output, StreamOperator } from './operators/StreamOperator.js';
import { WindowOperator } from './operators/WindowOperator.js';
import { RecordWriter } from './RecordWriter.js';
import { SourceDriver, WATERMARK_INTERVAL_MS } from './SourceDriver.js';

/** Data batches an input channel may have in flight towards this subtask. */
export const INITIAL_CREDITS = 4;
const METRICS_INTERVAL_MS = 1000;

type Mail = () => void | Promise<void>;

class TaskCanceled extends Error {}

/**
 * One subtask in its worker thread (Flink's StreamTask): rebuilds its operator chain from the job program, then runs
 * a mailbox — input batches, watermarks, source records and timers, one at a time — until its inputs end, it is
 * cancelled, or user code fails. After every mail the chain's async work is flushed and the task waits while its
 * outputs are backpressured, so memory stays bounded.
 */
export class StreamTask {
  private readonly mails: Mail[] = [];
  private wake: (() => void) | undefined;
  private canceled = false;
  private finished = false;
  /**
   * Stop with savepoint: the source stopped at the savepoint's barrier and ends once it completes (`drain`: with event
   * time flushed before the barrier). Undefined while the task runs normally.
   */
  private stopping: { checkpointId: number; drain: boolean } | undefined;
  /** An input ended without flushing event time (stop with savepoint): finish without firing anything more. */
  private suspended = false;
  /** The newest checkpoint this task took a snapshot for, and the newest it was told completed. */
  private lastSnapshotId = 0;
  private lastCompletedId = 0;
  private readonly writers: RecordWriter[] = [];
  private readonly operators: StreamOperator[] = [];
  private head: StreamOperator | undefined;
  private inputGate: InputGate | undefined;
  private source: SourceDriver<unknown> | undefined;
  private sourceOperatorId: string | undefined;
  /** The chain's keyed state (only the head of a chain reads a keyed stream), and its operator id. */
  private keyed: { operatorId: string; backend: LevelDbKeyedStateBackend } | undefined;
  /** Operators by id, for snapshots and notifications. */
  private readonly operatorIds = new Map<StreamOperator, string>();
  private aligner: CheckpointBarrierAligner | undefined;
  /** Source positions per checkpoint, until the checkpoint completes or is aborted. */
  private readonly pendingSourcePositions = new Map<number, OperatorSubtaskState['splits']>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly metricGroup = new TaskMetricGroup();
  private readonly io = this.metricGroup.io;
  /** The metric groups of the chain's operators, head first (the source's included). */
  private readonly operatorMetrics: OperatorMetricGroup[] = [];
  /** Records the source could not read (e.g. malformed), its operator's numRecordsInErrors. */
  private recordsInErrors = 0;
  private readErrorsLogged = 0;

  constructor(
    private readonly descriptor: TaskThreadDescriptor,
    private readonly port: MessagePort,
  ) {}

  async run(): Promise<TaskThreadResult> {
    try {
      const vertex = await this.loadVertex();
      await this.buildChain(vertex);
      // Only now: a credit must find its writer. Until a listener is attached the port queues what arrives.
      this.port.on('message', (message: ToTaskThread) => this.onMessage(message));
      for (const operator of this.operators) await operator.open();
      if (this.source) {
        await this.source.start();
        this.send({ type: 'log', level: 'INFO', message: `Reading splits [${this.source.splitIds.join(', ')}].` });
      }
      this.send({ type: 'running' });
      this.every(VIEW_UPDATE_INTERVAL_MS, () => this.metricGroup.updateViews());
      this.every(METRICS_INTERVAL_MS, () => this.reportMetrics());
      if (this.inputGate) for (const channel of this.inputGate.channelIds) this.send({ type: 'credit', channel, credits: INITIAL_CREDITS });
      if (this.source) this.every(WATERMARK_INTERVAL_MS, () => this.enqueue(() => this.sourceWatermark()));
      await this.runMailbox();
      if (this.canceled) return await this.shutDown('CANCELED');
      return await this.shutDown('FINISHED');
    } catch (error) {
      if (error instanceof TaskCanceled || this.canceled) return this.shutDown('CANCELED');
      const failure = serializeFailure(error);
      await this.closeQuietly();
      return { state: 'FAILED', failure };
    } finally {
      this.send({ type: 'done' });
      this.port.close();
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

  private async buildChain(vertex: JobVertex): Promise<void> {
    const d = this.descriptor;
    const restoreOf = (node: StreamNode): OperatorRestore | undefined => d.restore?.operators[node.operatorId];
    for (const out of d.outputs) {
      const edge = vertex.outputs.find((e) => e.target.id === out.targetVertexId);
      if (!edge) throw new Error(`No edge from ${vertex.id} to ${out.targetVertexId} in the job graph.`);
      this.writers.push(
        new RecordWriter(
          out.channels.map((c) => c.channelId),
          out.shipStrategy,
          d.subtaskIndex,
          edge.keySelector,
          out.targetMaxParallelism,
          (m) => this.send(m),
          this.io,
        ),
      );
    }
    const writers = this.writers;
    // Each operator's metric group, tail first while building; `tail` counts what the chain hands to the writers.
    const nodes = [...vertex.operators];
    const groups = nodes.map((node) => this.metricGroup.addOperator(node.name));
    this.operatorMetrics.push(...groups);
    const tail = groups[groups.length - 1]!;
    let output: Output = {
      collect(value, timestamp) {
        tail.recordsOut++;
        for (const writer of writers) writer.emit(value, timestamp);
      },
      emitWatermark(timestamp) {
        tail.currentOutputWatermark = timestamp;
        for (const writer of writers) writer.broadcastWatermark(timestamp);
      },
    };
    const keySelector = vertex.inputs[0]?.keySelector;
    const context: OperatorContext = {
      subtaskIndex: d.subtaskIndex,
      parallelism: d.parallelism,
      maxParallelism: d.maxParallelism,
      currentWatermark: () => this.inputGate?.currentWatermark ?? this.source?.currentWatermark ?? MIN_WATERMARK,
      registerProcessingTimer: (time, callback) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.enqueue(callback);
        }, Math.max(0, time - Date.now()));
        this.timers.add(timer);
      },
      countLateRecord: () => this.io.lateRecordsDropped++,
      attemptNumber: d.attemptNumber,
    };
    // Late records count for the task and for the operator that dropped them.
    const operatorContext = (index: number): OperatorContext => {
      const dropped = groups[index]!.counter('numLateRecordsDropped');
      return {
        ...context,
        countLateRecord: () => {
          this.io.lateRecordsDropped++;
          dropped.inc();
        },
      };
    };
    const keyedBackend = async (node: StreamNode, index: number): Promise<LevelDbKeyedStateBackend> => {
      if (index !== 0 || !keySelector) throw new Error(`Operator '${node.name}' must read a keyed stream.`);
      const range = computeKeyGroupRangeForOperatorIndex(d.maxParallelism, d.parallelism, d.subtaskIndex);
      const backend = await LevelDbKeyedStateBackend.create(join(d.localStateDirectory, node.operatorId), range);
      this.keyed = { operatorId: node.operatorId, backend };
      const restore = restoreOf(node);
      if (restore && restore.keyed.length > 0) await backend.restore(d.restore!.checkpointDirectory, restore.keyed);
      return backend;
    };
    const connectorContext = (node: StreamNode, index: number): ConnectorContext => ({
      metricGroup: groups[index]!,
      jobId: d.jobId,
      attemptId: d.attemptId,
      attemptNumber: d.attemptNumber,
      subtaskIndex: d.subtaskIndex,
      parallelism: d.parallelism,
      operatorName: node.name,
      operatorId: node.operatorId,
    });
    // Build from the tail: each operator's output is the next operator.
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      const spec = node.transformation.operator;
      let operator: StreamOperator | undefined;
      switch (spec.kind) {
        case 'source':
          if (i !== 0) throw new Error('A source must be the head of its chain.');
          this.source = new SourceDriver(
            spec.source,
            connectorContext(node, i),
            spec.watermarkStrategy,
            {
              schedule: () => this.enqueue(() => this.processSourceRecords()),
              onReadError: (split, message) => this.onReadError(split, message),
              onFatalError: (error) =>
                this.enqueue(() => {
                  throw error;
                }),
            },
            restoreOf(node)?.splits ?? [],
          );
          this.sourceOperatorId = node.operatorId;
          groups[i]!.gauge('numRecordsInErrors', () => this.recordsInErrors);
          continue;
        case 'map':
          operator = new StreamMap(node.name, output, spec.fn);
          break;
        case 'filter':
          operator = new StreamFilter(node.name, output, spec.fn);
          break;
        case 'flatMap':
          operator = new StreamFlatMap(node.name, output, spec.fn);
          break;
        case 'process':
          operator = new ProcessOperator(node.name, output, spec.fn, context);
          break;
        case 'window':
          operator = new WindowOperator(node.name, output, operatorContext(i), keySelector!, spec.assigner, spec.aggregate, spec.windowFunction, await keyedBackend(node, i));
          break;
        case 'keyedProcess':
          operator = new KeyedProcessOperator(node.name, output, context, keySelector!, spec.fn, await keyedBackend(node, i));
          break;
        case 'sink':
          operator = new SinkOperator(node.name, spec.sink, connectorContext(node, i), restoreOf(node)?.sinkWriters ?? []);
          break;
      }
      this.operators.unshift(operator);
      this.operatorIds.set(operator, node.operatorId);
      const next = operator;
      const nextGroup = groups[i]!;
      const group = groups[i - 1];
      output = group
        ? {
            collect: (value, timestamp) => {
              group.recordsOut++;
              nextGroup.recordsIn++;
              next.processElement(value, timestamp);
            },
            emitWatermark: (timestamp) => {
              group.currentOutputWatermark = timestamp;
              nextGroup.currentInputWatermark = timestamp;
              next.processWatermark(timestamp);
            },
          }
        : {
            collect: (value, timestamp) => next.processElement(value, timestamp),
            emitWatermark: (timestamp) => {
              nextGroup.currentInputWatermark = timestamp;
              next.processWatermark(timestamp);
            },
          };
    }
    this.head = this.operators[0];
    if (!this.source) {
      this.inputGate = new InputGate(d.inputs.flatMap((input) => input.channels.map((c) => c.channelId)));
      if (this.inputGate.channelIds.length === 0) throw new Error(`Vertex ${vertex.name} has neither a source nor inputs.`);
      this.aligner = new CheckpointBarrierAligner(this.inputGate.channelIds, (message) => this.enqueueChannelMessage(message));
    }
    this.sourceOutput = output;
  }

  /** Where source records enter the chain (the operator after the source, or the writers). */
  private sourceOutput: Output | undefined;

  private onMessage(message: ToTaskThread): void {
    switch (message.type) {
      case 'credit':
        for (const writer of this.writers) if (writer.addCredit(message.channel, message.credits)) break;
        return;
      case 'cancel':
        this.canceled = true;
        for (const writer of this.writers) writer.interrupt();
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
        this.enqueue(() => {
          if (!message.drained) this.suspended = true;
          const change = this.inputGate!.onEnd(message.channel);
          if (!this.suspended) this.applyStatus(change);
          if (change.allEnded) {
            if (!this.suspended) this.advanceWatermark(MAX_WATERMARK);
            // A suspended end waits until the savepoint it belongs to is known complete (its sink commits then).
            if (!this.suspended || this.lastCompletedId >= this.lastSnapshotId) this.finished = true;
          }
          return this.completeAlignmentIfDone();
        });
        return;
      case 'credit':
        return; // credits are for this subtask's writers and never reach the aligner (see onMessage)
    }
  }

  /** A source subtask starts checkpoint `checkpointId`: its state is what it emitted so far. */
  private async triggerCheckpoint(checkpointId: number, timestamp: number, targetLocation: string, terminate: boolean, drain: boolean): Promise<void> {
    if (!this.source || this.finished || this.stopping) {
      this.send({ type: 'checkpointDecline', checkpointId, reason: 'The task is not running a source any more.' });
      return;
    }
    if (terminate && drain) {
      // stop --drain: every window fires before the barrier, so the savepoint holds no pending windows.
      this.io.currentInputWatermark = MAX_WATERMARK;
      this.sourceOutput!.emitWatermark(MAX_WATERMARK);
    }
    await this.performCheckpoint(checkpointId, timestamp, targetLocation, 0);
    if (terminate) {
      // Nothing after the barrier: no records, no watermarks, until the savepoint completes (then the task ends) or
      // is aborted (then it goes on).
      this.stopping = { checkpointId, drain };
      this.source.pause();
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
      await this.performCheckpoint(aligned.checkpointId, aligned.timestamp, aligned.targetLocation, aligned.alignmentMs);
    } finally {
      this.aligner!.release();
    }
  }

  /**
   * Flink's snapshot at a barrier: the barrier goes downstream first, then the synchronous part of every snapshot runs
   * in the mailbox (source positions, sink pre-commit, the keyed backend's write-through and LevelDB snapshot); the
   * asynchronous part (writing the state file) runs while processing goes on, and the acknowledgement follows it.
   */
  private async performCheckpoint(checkpointId: number, timestamp: number, targetLocation: string, alignmentMs: number): Promise<void> {
    const started = Date.now();
    const d = this.descriptor;
    this.lastSnapshotId = Math.max(this.lastSnapshotId, checkpointId);
    for (const writer of this.writers) writer.broadcastBarrier(checkpointId, timestamp, targetLocation);
    const operators: SubtaskState['operators'] = {};
    const asyncParts: Array<Promise<void>> = [];
    try {
      if (this.source) {
        const splits = this.source.snapshotSplits();
        operators[this.sourceOperatorId!] = { splits };
        this.pendingSourcePositions.set(checkpointId, splits);
      }
      for (const operator of this.operators) {
        const state = await operator.snapshotState?.(checkpointId);
        if (state) operators[this.operatorIds.get(operator)!] = { ...operators[this.operatorIds.get(operator)!], ...state };
      }
      if (this.keyed) {
        const { operatorId, backend } = this.keyed;
        const write = await backend.snapshot(targetLocation, `${operatorId}-${d.subtaskIndex}-${d.attemptNumber}.keyed`);
        asyncParts.push(write().then((handle) => void (operators[operatorId] = { ...operators[operatorId], keyed: [handle] })));
      }
    } catch (error) {
      this.send({ type: 'checkpointDecline', checkpointId, reason: `Snapshot of ${d.vertexName} failed: ${(error as Error).message}` });
      return;
    }
    const syncDone = Date.now();
    void Promise.all(asyncParts).then(
      () => {
        const subtaskState = encodeState({ operators });
        let stateSize = subtaskState.length;
        for (const state of Object.values(operators)) for (const handle of state.keyed ?? []) stateSize += handle.size;
        this.metricGroup.lastAlignmentMs = alignmentMs;
        this.metricGroup.lastStartDelayMs = Math.max(0, started - timestamp - alignmentMs);
        this.send({
          type: 'checkpointAck',
          checkpointId,
          subtaskState,
          stateSize,
          syncDurationMs: syncDone - started,
          asyncDurationMs: Date.now() - syncDone,
          alignmentDurationMs: alignmentMs,
          startDelayMs: Math.max(0, started - timestamp - alignmentMs),
        });
      },
      (error: Error) => this.send({ type: 'checkpointDecline', checkpointId, reason: `Writing the state of ${d.vertexName} failed: ${error.message}` }),
    );
  }

  private async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    this.lastCompletedId = Math.max(this.lastCompletedId, checkpointId);
    const splits = this.pendingSourcePositions.get(checkpointId);
    for (const id of this.pendingSourcePositions.keys()) if (id <= checkpointId) this.pendingSourcePositions.delete(id);
    if (splits) {
      this.source?.notifyCheckpointComplete(checkpointId, splits).catch((error: Error) => {
        this.send({ type: 'log', level: 'WARN', message: `The source could not act on completed checkpoint ${checkpointId}: ${error.message}` });
      });
    }
    for (const operator of this.operators) await operator.notifyCheckpointComplete?.(checkpointId);
    if (this.stopping && checkpointId >= this.stopping.checkpointId) {
      this.suspended = !this.stopping.drain;
      this.finished = true;
    }
    if (this.suspended && this.inputGate?.allEnded() && checkpointId >= this.lastSnapshotId) this.finished = true;
  }

  private async notifyCheckpointAborted(checkpointId: number): Promise<void> {
    this.pendingSourcePositions.delete(checkpointId);
    if (this.stopping?.checkpointId === checkpointId) {
      this.send({ type: 'log', level: 'WARN', message: `The savepoint to stop with (checkpoint ${checkpointId}) failed; the source goes on reading.` });
      this.stopping = undefined;
      this.source!.resume();
      this.enqueue(() => this.processSourceRecords());
    }
    if (this.aligner?.abort(checkpointId)) this.send({ type: 'log', level: 'INFO', message: `Checkpoint ${checkpointId} was aborted during alignment.` });
    for (const operator of this.operators) await operator.notifyCheckpointAborted?.(checkpointId);
  }

  private processBatch(channel: string, bytes: Uint8Array): void {
    const { values, timestamps } = decodeBatch(bytes);
    this.io.recordsIn += values.length;
    this.io.bytesIn += bytes.length;
    this.operatorMetrics[0]!.recordsIn += values.length;
    const head = this.head!;
    for (let i = 0; i < values.length; i++) head.processElement(values[i], timestamps[i]);
    this.send({ type: 'credit', channel, credits: 1 });
  }

  private processSourceRecords(): void {
    if (this.stopping) return; // records read after the stop's barrier stay queued: the savepoint resumes before them
    const output = this.sourceOutput!;
    const group = this.operatorMetrics[0]!;
    this.source!.emitQueued((record, timestamp) => {
      group.recordsIn++;
      output.collect(record, timestamp);
    });
  }

  private sourceWatermark(): void {
    if (this.stopping) return;
    const change = this.source!.periodicWatermark();
    if (change.idle !== undefined) for (const writer of this.writers) writer.broadcastIdle(change.idle);
    if (change.watermark !== undefined) {
      this.io.currentInputWatermark = change.watermark;
      this.sourceOutput!.emitWatermark(change.watermark);
    }
  }

  private applyStatus(change: { watermark?: number; idle?: boolean }): void {
    if (change.idle !== undefined) for (const writer of this.writers) writer.broadcastIdle(change.idle);
    if (change.watermark !== undefined) this.advanceWatermark(change.watermark);
  }

  private advanceWatermark(timestamp: number): void {
    this.io.currentInputWatermark = timestamp;
    this.operatorMetrics[0]!.currentInputWatermark = timestamp;
    this.head!.processWatermark(timestamp);
  }

  private onReadError(split: string, message: string): void {
    this.recordsInErrors++;
    if (this.readErrorsLogged < 10) {
      this.readErrorsLogged++;
      this.send({ type: 'log', level: 'WARN', message: `Skipped a record of split ${split} that could not be read: ${message}` });
    }
  }

  private enqueue(mail: Mail): void {
    this.mails.push(mail);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private async runMailbox(): Promise<void> {
    while (!this.canceled && !this.finished) {
      const mail = this.mails.shift();
      if (!mail) {
        this.metricGroup.idleStarted();
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.metricGroup.idleEnded();
        continue;
      }
      await mail();
      for (const operator of this.operators) await operator.flush();
      for (const writer of this.writers) writer.flush();
      if (!this.writers.every((w) => w.isAvailable())) {
        this.metricGroup.backPressureStarted();
        try {
          for (const writer of this.writers) await writer.available();
        } finally {
          this.metricGroup.backPressureEnded();
        }
      }
      if (!this.stopping) this.source?.resumeIfDrained();
    }
  }

  private async shutDown(state: 'FINISHED' | 'CANCELED'): Promise<TaskThreadResult> {
    for (const timer of this.timers) clearTimeout(timer);
    if (state === 'FINISHED') {
      // Stopped with a savepoint (no drain): the job resumes from the savepoint, so nothing is flushed or committed
      // beyond it; the savepoint's own transaction was committed when it completed.
      if (!this.suspended) for (const operator of this.operators) await operator.finish?.();
      for (const operator of this.operators) await operator.close();
      for (const writer of this.writers) {
        writer.endOfPartition(!this.suspended);
        await writer.available();
      }
      await this.source?.close();
      await this.keyed?.backend.dispose();
      this.reportMetrics();
      return { state };
    }
    await this.closeQuietly();
    this.reportMetrics();
    return { state };
  }

  private async closeQuietly(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    try {
      await this.source?.close();
    } catch {
      // closing after a failure: the first error is what counts
    }
    for (const operator of this.operators) {
      try {
        await operator.close();
      } catch {
        // likewise
      }
    }
    await this.keyed?.backend.dispose().catch(() => undefined);
  }

  private reportMetrics(): void {
    this.send({ type: 'metrics', metrics: this.metricGroup.snapshot() });
  }

  private every(ms: number, action: () => void): void {
    const timer = setInterval(action, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private send(message: FromTaskThread): void {
    this.port.postMessage(message);
  }
}
