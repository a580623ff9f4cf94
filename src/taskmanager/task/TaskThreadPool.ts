import type { MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TaskThreadInput, TaskThreadResult } from './thread-protocol.js';

/** Where subtasks run: one thread each, for the subtask's whole life. */
export interface TaskThreadPool {
  /** Threads that can run at once; a deployment beyond it is refused (see TaskExecutor.submitTask). */
  readonly capacity: number;
  /** Runs a subtask in a thread of its own; resolves when it ended. */
  run(input: TaskThreadInput, transfer: MessagePort): Promise<TaskThreadResult>;
  /** Threads alive now (busy or idle). */
  readonly threads: number;
  /** The threads alive now, with how busy each one's event loop has been since it started (0..1). */
  threadInfos(): Array<{ threadId: number; utilization: number }>;
  destroy(): Promise<void>;
}

/**
 * Subtasks a slot may hold at once. A slot runs one subtask of every vertex of a job (slot sharing), so this bounds
 * the vertices of a job: a job with more non-chained vertices than this fails its deployment with an error that says
 * so, instead of waiting for a thread forever.
 */
export const MAX_SUBTASKS_PER_SLOT = 32;

/**
 * The worker threads of a TaskExecutor, a piscina pool (Flink runs a Task in a thread of its own). Threads are
 * started as deployments need them, up to `slots × MAX_SUBTASKS_PER_SLOT`, and are kept for a minute after their
 * subtask ended so that the next job's subtasks start warm. `atomics: 'disabled'`: an idle worker must not park in
 * Atomics.wait, its subtask's mailbox needs the event loop.
 */
export class PiscinaTaskThreadPool implements TaskThreadPool {
  readonly capacity: number;
  private readonly pool: Piscina;

  constructor(numberOfSlots: number) {
    this.capacity = Math.max(1, numberOfSlots) * MAX_SUBTASKS_PER_SLOT;
    this.pool = new Piscina({
      filename: new URL('../../streaming/task-thread.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: this.capacity,
      concurrentTasksPerWorker: 1,
      atomics: 'disabled',
      idleTimeout: 60_000,
    });
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  threadInfos(): Array<{ threadId: number; utilization: number }> {
    return this.pool.threads.map((worker) => ({ threadId: worker.threadId, utilization: worker.performance.eventLoopUtilization().utilization }));
  }

  run(input: TaskThreadInput, transfer: MessagePort): Promise<TaskThreadResult> {
    return this.pool.run(input, { transferList: [transfer] as never }) as Promise<TaskThreadResult>;
  }

  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}
