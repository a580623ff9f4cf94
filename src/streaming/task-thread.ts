/** The worker-thread entry of a subtask: piscina runs one call of this function for the subtask's whole life. */
import type { TaskThreadInput, TaskThreadResult } from '../taskmanager/task/thread-protocol.js';
import { MessagePortTaskThreadEndpoint } from './MessagePortTaskThreadEndpoint.js';
import { StreamTask } from './StreamTask.js';

export default async function runTask({ descriptor, port }: TaskThreadInput): Promise<TaskThreadResult> {
  return new StreamTask(descriptor, new MessagePortTaskThreadEndpoint(port)).run();
}
