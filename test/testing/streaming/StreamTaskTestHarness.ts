import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import type { JobVertex } from '../../../src/graph/JobGraph.js';
import { decodeBatch, encodeBatch } from '../../../src/streaming/BatchCodec.js';
import { StreamTask } from '../../../src/streaming/StreamTask.js';
import type { TaskThreadDescriptor, TaskThreadResult } from '../../../src/taskmanager/task/thread-protocol.js';
import { ManuallyTriggeredScheduledExecutor } from '../time/ManuallyTriggeredScheduledExecutor.js';
import { descriptorForVertex, type VertexTaskOptions } from './taskDescriptors.js';
import { TestingTaskThreadEndpoint } from './TestingTaskThreadEndpoint.js';

/**
 * Runs one subtask of a fixture job in the test's own thread (Flink's StreamTaskMailboxTestHarness): builds the job
 * graph and the subtask's TaskThreadDescriptor, and starts a StreamTask against a TestingTaskThreadEndpoint with a
 * ManuallyTriggeredScheduledExecutor, so the test plays the TaskExecutor (channels, credits, checkpoint calls) and
 * moves time by hand. Its directories (local state, checkpoints) are removed when the test ends.
 */
export class StreamTaskTestHarness {
  readonly endpoint = new TestingTaskThreadEndpoint();
  readonly executor = new ManuallyTriggeredScheduledExecutor();
  readonly task: StreamTask;
  private result: Promise<TaskThreadResult> | undefined;

  private constructor(
    readonly descriptor: TaskThreadDescriptor,
    readonly vertex: JobVertex,
    private readonly checkpointRoot: string,
  ) {
    this.task = new StreamTask(descriptor, this.endpoint, this.executor.clock, this.executor);
  }

  static async create(t: Test, options: VertexTaskOptions): Promise<StreamTaskTestHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'stream-task-test-'));
    const { descriptor, vertex } = await descriptorForVertex(options, join(dir, 'local'));
    const harness = new StreamTaskTestHarness(descriptor, vertex, join(dir, 'checkpoints'));
    t.teardown(async () => {
      // A test that failed half-way leaves its task running: cancel it, so it closes its state before the files go.
      if (harness.result && !harness.endpoint.isClosed) harness.cancel();
      await harness.result?.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });
    return harness;
  }

  /** Runs the task; resolves once it reported RUNNING. */
  async start(): Promise<void> {
    this.result = this.task.run();
    const failed = this.result.then((r) => {
      throw new Error(`The task ended ${r.state} before it was running: ${r.failure?.stack ?? ''}`);
    });
    await Promise.race([this.endpoint.waitFor('running'), failed]);
  }

  /** The task's result, once it ended. */
  get ended(): Promise<TaskThreadResult> {
    if (!this.result) throw new Error('The task was not started.');
    return this.result;
  }

  /** The directory of checkpoint `checkpointId`: where its state files go. */
  checkpointLocation(checkpointId: number): string {
    return join(this.checkpointRoot, `chk-${checkpointId}`);
  }

  sendRecords(channel: string, values: unknown[], timestamps: (number | undefined)[] = values.map(() => undefined)): void {
    this.endpoint.deliver({ type: 'data', channel, bytes: encodeBatch(values, timestamps), records: values.length });
  }

  sendWatermark(channel: string, timestamp: number): void {
    this.endpoint.deliver({ type: 'watermark', channel, timestamp });
  }

  sendBarrier(channel: string, checkpointId: number): void {
    this.endpoint.deliver({ type: 'barrier', channel, checkpointId, timestamp: this.executor.clock.now(), targetLocation: this.checkpointLocation(checkpointId) });
  }

  endInput(channel: string, drained = true): void {
    this.endpoint.deliver({ type: 'end', channel, drained });
  }

  grantCredit(channel: string, credits: number): void {
    this.endpoint.deliver({ type: 'credit', channel, credits });
  }

  triggerCheckpoint(checkpointId: number, options: { terminate?: boolean; drain?: boolean } = {}): void {
    this.endpoint.deliver({
      type: 'triggerCheckpoint',
      checkpointId,
      timestamp: this.executor.clock.now(),
      targetLocation: this.checkpointLocation(checkpointId),
      terminate: options.terminate ?? false,
      drain: options.drain ?? false,
    });
  }

  notifyCheckpointComplete(checkpointId: number): void {
    this.endpoint.deliver({ type: 'checkpointComplete', checkpointId });
  }

  notifyCheckpointAborted(checkpointId: number): void {
    this.endpoint.deliver({ type: 'checkpointAborted', checkpointId });
  }

  cancel(): void {
    this.endpoint.deliver({ type: 'cancel' });
  }

  /** The records the task sent on `channel`, batch after batch. */
  recordsSent(channel: string): unknown[] {
    return this.endpoint.sentOfType('data', channel).flatMap((m) => decodeBatch(m.bytes).values);
  }

  /** The types of what the task sent on `channel`, in order ('data', 'watermark', 'barrier', 'end', ...). */
  channelMessages(channel: string): string[] {
    return this.endpoint.sent.filter((m) => (m as { channel?: string }).channel === channel).map((m) => m.type);
  }

  /**
   * Lets the task run until it waits: for mail, for credit, or for I/O. The mailbox of a task without state works in
   * promise callbacks only, so a few turns of the event loop settle it; with LevelDB state, wait for a message instead.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
