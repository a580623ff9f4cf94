import type { FromTaskThread, ToTaskThread } from '../taskmanager/task/thread-protocol.js';

/**
 * How a StreamTask talks to its TaskExecutor's main thread: what it sends (channel data, acknowledgements, metrics,
 * logs) and what it receives (channel data, credits, checkpoint calls, cancel). In a worker thread this is the task's
 * MessagePort (MessagePortTaskThreadEndpoint); unit tests run the task in their own thread against a fake.
 */
export interface TaskThreadEndpoint {
  /** Posts `message` to the main thread; messages arrive in the order they were sent. */
  send(message: FromTaskThread): void;
  /**
   * From now on hands every message from the main thread to `listener`, in order. What arrived before is held until
   * then, so a message never reaches a task that cannot take it yet (a credit must find its writer).
   */
  onMessage(listener: (message: ToTaskThread) => void): void;
  /** Nothing more either way: the task ended. */
  close(): void;
}
