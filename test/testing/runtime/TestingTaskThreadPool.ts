import type { MessagePort } from 'node:worker_threads';
import type { TaskThreadPool } from '../../../src/taskmanager/task/TaskThreadPool.js';
import type { FromTaskThread, TaskThreadInput, TaskThreadResult, ToTaskThread } from '../../../src/taskmanager/task/thread-protocol.js';
import { RecordedCalls } from './RecordedCalls.js';

/**
 * A subtask "running" in a TestingTaskThreadPool: no thread, the test plays the worker thread's side of the thread
 * protocol on the MessagePort the pool was given.
 */
export class TestingSubtask {
  /** What the TaskExecutor's main thread posted to the subtask. */
  readonly received = new RecordedCalls<ToTaskThread>();
  private ended = false;

  constructor(
    readonly input: TaskThreadInput,
    private readonly port: MessagePort,
    private readonly resolve: (result: TaskThreadResult) => void,
    private readonly reject: (error: Error) => void,
    private readonly onEnd: (subtask: TestingSubtask) => void,
    /** The thread id it reports (distinct per subtask of a pool). */
    readonly threadId: number,
  ) {
    port.on('message', (message: ToTaskThread) => this.received.record(message));
  }

  get attemptId(): string {
    return this.input.descriptor.attemptId;
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  send(message: FromTaskThread): void {
    this.port.postMessage(message);
  }

  /** The subtask initialized its operators and processes input now. */
  running(): void {
    this.send({ type: 'running', threadId: this.threadId });
  }

  /** The subtask ends: its last message ('done'), then the thread's result, as task-thread.ts does. */
  finish(result: TaskThreadResult): void {
    if (this.ended) return;
    this.send({ type: 'done' });
    this.end();
    this.resolve(result);
  }

  /** The thread itself broke (no 'done'): the pool rejects the run. */
  crash(error: Error): void {
    if (this.ended) return;
    this.end();
    this.reject(error);
  }

  /** Closes the port (both ends), as a terminated thread would. */
  closePort(): void {
    this.port.close();
  }

  private end(): void {
    this.ended = true;
    this.onEnd(this);
  }
}

/**
 * A TaskThreadPool that never starts a thread (for TaskExecutor unit tests). Like the piscina pool, a run beyond
 * `capacity` waits until a running subtask ended; `destroy()` closes every port and rejects what waits.
 */
export class TestingTaskThreadPool implements TaskThreadPool {
  /** Every subtask the pool started, in order. */
  readonly started = new RecordedCalls<TestingSubtask>();
  /** Runs waiting for a free thread. */
  readonly queued: Array<{ input: TaskThreadInput; transfer: MessagePort; resolve: (r: TaskThreadResult) => void; reject: (e: Error) => void }> = [];
  destroyed = false;
  private readonly running = new Set<TestingSubtask>();

  constructor(readonly capacity = 4) {}

  get threads(): number {
    return this.running.size;
  }

  threadInfos(): Array<{ threadId: number; utilization: number }> {
    return [...this.running].map((s) => ({ threadId: s.threadId, utilization: 0.25 }));
  }

  /** The started subtask of an attempt. */
  subtask(attemptId: string): TestingSubtask {
    const subtask = this.started.items.find((s) => s.attemptId === attemptId);
    if (!subtask) throw new Error(`Attempt ${attemptId} was not started; started: ${this.started.items.map((s) => s.attemptId).join(', ')}`);
    return subtask;
  }

  run(input: TaskThreadInput, transfer: MessagePort): Promise<TaskThreadResult> {
    if (this.destroyed) return Promise.reject(new Error('The pool was destroyed.'));
    return new Promise((resolve, reject) => {
      if (this.running.size < this.capacity) this.start(input, transfer, resolve, reject);
      else this.queued.push({ input, transfer, resolve, reject });
    });
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    for (const subtask of this.started.items) subtask.closePort();
    for (const waiting of this.queued.splice(0)) {
      waiting.transfer.close();
      waiting.reject(new Error('The pool was destroyed.'));
    }
  }

  private start(input: TaskThreadInput, transfer: MessagePort, resolve: (r: TaskThreadResult) => void, reject: (e: Error) => void): void {
    const subtask = new TestingSubtask(input, transfer, resolve, reject, (ended) => {
      this.running.delete(ended);
      const next = this.queued.shift();
      if (next) this.start(next.input, next.transfer, next.resolve, next.reject);
    }, this.started.items.length + 1);
    this.running.add(subtask);
    this.started.record(subtask);
  }
}
