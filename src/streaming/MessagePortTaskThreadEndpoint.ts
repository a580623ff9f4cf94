import type { MessagePort } from 'node:worker_threads';
import type { FromTaskThread, ToTaskThread } from '../taskmanager/task/thread-protocol.js';
import type { TaskThreadEndpoint } from './TaskThreadEndpoint.js';

/** A task's endpoint in a worker thread: the MessagePort the TaskExecutor's Task handed over with the descriptor. */
export class MessagePortTaskThreadEndpoint implements TaskThreadEndpoint {
  constructor(private readonly port: MessagePort) {}

  send(message: FromTaskThread): void {
    this.port.postMessage(message);
  }

  /** Until a listener is attached the port queues what arrives; attaching it starts delivery. */
  onMessage(listener: (message: ToTaskThread) => void): void {
    this.port.on('message', listener);
  }

  close(): void {
    this.port.close();
  }
}
