import { join } from 'node:path';
import type { Clock } from '../common/time/Clock.js';
import type { JobVertex, StreamNode } from '../graph/JobGraph.js';
import type { ConnectorContext } from '../job/connectors.js';
import type { OperatorMetricGroup, TaskMetricGroup } from '../metrics/TaskMetricGroup.js';
import { computeKeyGroupRangeForOperatorIndex } from '../state/KeyGroupRangeAssignment.js';
import { LevelDbKeyedStateBackend } from '../state/LevelDbKeyedStateBackend.js';
import type { OperatorRestore } from '../state/StateHandles.js';
import type { FromTaskThread, TaskThreadDescriptor } from '../taskmanager/task/thread-protocol.js';
import { KeyedProcessOperator } from './operators/KeyedProcessOperator.js';
import { ProcessOperator, StreamFilter, StreamFlatMap, StreamMap } from './operators/simple.js';
import { SinkOperator } from './operators/SinkOperator.js';
import type { OperatorContext, Output, StreamOperator } from './operators/StreamOperator.js';
import { WindowOperator } from './operators/WindowOperator.js';
import { describeRecord, KeyExtractionException, RecordErrorReporter } from './RecordErrors.js';
import { RecordWriter } from './RecordWriter.js';
import { SourceDriver, type SourceDriverCallbacks } from './SourceDriver.js';

/** What a chain needs from the task that runs it. */
export interface OperatorChainServices {
  /** Where the record writers post what they send. */
  send(message: FromTaskThread): void;
  metricGroup: TaskMetricGroup;
  /** Processing time of the operators and the source. */
  clock: Clock;
  /** Runs `callback` in the task's mailbox at (or after) processing time `time`. */
  registerProcessingTimer(time: number, callback: () => void): void;
  /** The task's event time: its inputs' combined watermark, or its source's. */
  currentWatermark(): number;
  /** How the chain's source reaches the task's mailbox (read errors the chain counts itself). */
  sourceCallbacks: Omit<SourceDriverCallbacks, 'onReadError' | 'onActive'>;
}

/** The chain's keyed state: only the head of a chain reads a keyed stream. */
export interface ChainKeyedState {
  operatorId: string;
  backend: LevelDbKeyedStateBackend;
}

/**
 * The operators of one JobVertex as one subtask runs them (Flink's OperatorChain): built head to tail from the job
 * graph, each operator's output the next one and the tail's the record writers of the vertex's outputs; with the
 * operators' metric groups, the head's keyed state backend (restored if the job restores), and the source when the
 * chain starts with one. Opens, finishes and closes them; the task drives it from its mailbox.
 */
export class OperatorChain {
  /** Head first; a source head is not among them (it is `source`). */
  readonly operators: StreamOperator[] = [];
  readonly writers: RecordWriter[] = [];
  /** The metric groups of the chain's operators, head first (the source's included). */
  readonly operatorMetrics: OperatorMetricGroup[] = [];
  private readonly operatorIds = new Map<StreamOperator, string>();
  private head: StreamOperator | undefined;
  private sourceDriver: SourceDriver<unknown> | undefined;
  private sourceId: string | undefined;
  /** Where source records enter the chain (the operator after the source, or the writers). */
  private sourceOutput: Output | undefined;
  private keyed: ChainKeyedState | undefined;
  /** The error path: records the source could not read, or the key selector of an output could not key. */
  private recordErrors: RecordErrorReporter | undefined;

  private constructor(
    private readonly descriptor: TaskThreadDescriptor,
    private readonly services: OperatorChainServices,
  ) {}

  /** Builds the chain of `vertex`; if that fails, what was built is closed again before the error is thrown. */
  static async create(descriptor: TaskThreadDescriptor, vertex: JobVertex, services: OperatorChainServices): Promise<OperatorChain> {
    const chain = new OperatorChain(descriptor, services);
    try {
      await chain.build(vertex);
    } catch (error) {
      await chain.closeQuietly();
      throw error;
    }
    return chain;
  }

  get source(): SourceDriver<unknown> | undefined {
    return this.sourceDriver;
  }

  get sourceOperatorId(): string | undefined {
    return this.sourceId;
  }

  get keyedState(): ChainKeyedState | undefined {
    return this.keyed;
  }

  operatorId(operator: StreamOperator): string {
    return this.operatorIds.get(operator)!;
  }

  /** Opens the operators head first, then starts the source's reader. */
  async open(): Promise<void> {
    for (const operator of this.operators) await operator.open();
    if (this.sourceDriver) {
      await this.sourceDriver.start();
      this.services.send({ type: 'log', level: 'INFO', message: `Reading splits [${this.sourceDriver.splitIds.join(', ')}].` });
    }
  }

  /**
   * Records of an input batch, to the head operator. A record an output's key selector cannot key goes to the error
   * path; any other error of a record fails the subtask (a user function that throws on a record is a job bug).
   */
  processElements(values: readonly unknown[], timestamps: readonly (number | undefined)[], channel = '(unknown)'): void {
    this.operatorMetrics[0]!.recordsIn += values.length;
    const head = this.head!;
    for (let i = 0; i < values.length; i++) {
      try {
        head.processElement(values[i], timestamps[i]);
      } catch (error) {
        if (!(error instanceof KeyExtractionException)) throw error;
        this.recordErrors!.report(`Skipped a record of input channel ${channel} that could not be keyed: ${error.message}; record: ${describeRecord(error.record)}`);
      }
    }
  }

  /** The task's event time advanced: the head fires what is due and passes the watermark on. */
  processWatermark(timestamp: number): void {
    this.operatorMetrics[0]!.currentInputWatermark = timestamp;
    this.head!.processWatermark(timestamp);
  }

  /** What the source queued, into the chain; a record the chain's key selectors cannot key goes to the error path. */
  emitSourceRecords(): void {
    const output = this.sourceOutput!;
    const group = this.operatorMetrics[0]!;
    const driver = this.sourceDriver!;
    driver.emitQueued((record, timestamp, split, position) => {
      group.recordsIn++;
      try {
        output.collect(record, timestamp);
      } catch (error) {
        if (!(error instanceof KeyExtractionException)) throw error;
        this.recordErrors!.report(`Skipped a record of split ${split} that could not be keyed: ${driver.describeRecord(split, position)}: ${error.message}; record: ${describeRecord(error.record)}`);
      }
    });
  }

  /** The source's watermark, into the chain. */
  emitSourceWatermark(timestamp: number): void {
    this.sourceOutput!.emitWatermark(timestamp);
  }

  broadcastIdle(idle: boolean): void {
    for (const writer of this.writers) writer.broadcastIdle(idle);
  }

  /** Barrier N downstream on every output channel, behind everything emitted before it. */
  broadcastCheckpointBarrier(checkpointId: number, timestamp: number, targetLocation: string): void {
    for (const writer of this.writers) writer.broadcastBarrier(checkpointId, timestamp, targetLocation);
  }

  /** A consumer's credit for one of the output channels; false if no writer has the channel. */
  addCredit(channelId: string, credits: number): boolean {
    for (const writer of this.writers) if (writer.addCredit(channelId, credits)) return true;
    return false;
  }

  /** After each unit of work: the operators' asynchronous work (sink writes), then partly filled batches. */
  async flush(): Promise<void> {
    for (const operator of this.operators) await operator.flush();
    for (const writer of this.writers) writer.flush();
  }

  /** Whether every output channel is within its bound of batches waiting for credit. */
  isOutputAvailable(): boolean {
    return this.writers.every((w) => w.isAvailable());
  }

  async outputAvailable(): Promise<void> {
    for (const writer of this.writers) await writer.available();
  }

  /** Cancellation: stop waiting for consumers that are gone. */
  interruptOutputs(): void {
    for (const writer of this.writers) writer.interrupt();
  }

  /** The input ended cleanly: the operators emit and commit what is left (Flink's finishOperators). */
  async finishOperators(): Promise<void> {
    for (const operator of this.operators) await operator.finish?.();
  }

  async closeOperators(): Promise<void> {
    for (const operator of this.operators) await operator.close();
  }

  /** End of partition on every output channel (`drained` false: stopped with a savepoint), each writer in turn. */
  async endOfPartition(drained: boolean): Promise<void> {
    for (const writer of this.writers) {
      writer.endOfPartition(drained);
      await writer.available();
    }
  }

  /** After a clean end: the source's reader and the keyed state backend. */
  async dispose(): Promise<void> {
    await this.sourceDriver?.close();
    await this.keyed?.backend.dispose();
  }

  /** After a failure or cancellation: closes everything, ignoring errors (the first error is what counts). */
  async closeQuietly(): Promise<void> {
    try {
      await this.sourceDriver?.close();
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

  private async build(vertex: JobVertex): Promise<void> {
    const d = this.descriptor;
    const { metricGroup, clock } = this.services;
    const io = metricGroup.io;
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
          (m) => this.services.send(m),
          io,
        ),
      );
    }
    const writers = this.writers;
    // Each operator's metric group, tail first while building; `tail` counts what the chain hands to the writers.
    const nodes = [...vertex.operators];
    const groups = nodes.map((node) => metricGroup.addOperator(node.name));
    this.operatorMetrics.push(...groups);
    const tail = groups[groups.length - 1]!;
    let output: Output = {
      collect(value, timestamp) {
        if (writers.length === 1) {
          writers[0]!.emit(value, timestamp);
        } else if (writers.length > 1) {
          // Every writer keys the record before any emits it: one that cannot be keyed goes nowhere.
          const channels = writers.map((writer) => writer.selectChannel(value));
          for (let w = 0; w < writers.length; w++) writers[w]!.emitToChannel(channels[w]!, value, timestamp);
        }
        tail.recordsOut++;
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
      currentWatermark: () => this.services.currentWatermark(),
      registerProcessingTimer: (time, callback) => this.services.registerProcessingTimer(time, callback),
      countLateRecord: () => io.lateRecordsDropped++,
      attemptNumber: d.attemptNumber,
    };
    // Late records count for the task and for the operator that dropped them.
    const operatorContext = (index: number): OperatorContext => {
      const dropped = groups[index]!.counter('numLateRecordsDropped');
      return {
        ...context,
        countLateRecord: () => {
          io.lateRecordsDropped++;
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
    let sourceErrors: { inc(): void } | undefined;
    // Build from the tail: each operator's output is the next operator.
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      const spec = node.transformation.operator;
      let operator: StreamOperator | undefined;
      switch (spec.kind) {
        case 'source':
          if (i !== 0) throw new Error('A source must be the head of its chain.');
          this.sourceDriver = new SourceDriver(
            spec.source,
            connectorContext(node, i),
            spec.watermarkStrategy,
            {
              ...this.services.sourceCallbacks,
              onReadError: (split, message) => this.recordErrors!.report(`Skipped a record of split ${split} that could not be read: ${message}`),
              onActive: () => this.broadcastIdle(false),
            },
            restoreOf(node)?.splits ?? [],
            () => clock.now(),
          );
          this.sourceId = node.operatorId;
          // Flink's SourceReaderMetricGroup counter; the subtask's own numRecordsInErrors counts the same records.
          sourceErrors = groups[i]!.counter('numRecordsInErrors');
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
          operator = new ProcessOperator(node.name, output, spec.fn, context, clock);
          break;
        case 'window':
          operator = new WindowOperator(
            node.name,
            output,
            operatorContext(i),
            keySelector!,
            spec.assigner,
            spec.aggregate,
            spec.windowFunction,
            await keyedBackend(node, i),
            clock,
          );
          break;
        case 'keyedProcess':
          operator = new KeyedProcessOperator(node.name, output, context, keySelector!, spec.fn, await keyedBackend(node, i), clock);
          break;
        case 'sink':
          operator = new SinkOperator(node.name, spec.sink, connectorContext(node, i), restoreOf(node)?.sinkWriters ?? []);
          break;
      }
      this.operators.unshift(operator);
      this.operatorIds.set(operator, node.operatorId);
      output = chainedOutput(operator, groups[i]!, groups[i - 1]);
    }
    this.head = this.operators[0];
    this.sourceOutput = output;
    this.recordErrors = new RecordErrorReporter(io, (m) => this.services.send(m), sourceErrors);
  }
}

/**
 * The output of the operator before `next` in a chain (Flink's ChainingOutput): hands records and watermarks straight
 * to `next`, counting them for both operators. Before the head (`previous` undefined) only `next`'s input watermark.
 */
function chainedOutput(next: StreamOperator, nextGroup: OperatorMetricGroup, previous: OperatorMetricGroup | undefined): Output {
  if (!previous) {
    return {
      collect: (value, timestamp) => next.processElement(value, timestamp),
      emitWatermark: (timestamp) => {
        nextGroup.currentInputWatermark = timestamp;
        next.processWatermark(timestamp);
      },
    };
  }
  return {
    collect: (value, timestamp) => {
      previous.recordsOut++;
      nextGroup.recordsIn++;
      next.processElement(value, timestamp);
    },
    emitWatermark: (timestamp) => {
      previous.currentOutputWatermark = timestamp;
      nextGroup.currentInputWatermark = timestamp;
      next.processWatermark(timestamp);
    },
  };
}
