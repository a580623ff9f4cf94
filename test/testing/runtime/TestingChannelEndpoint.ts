import type { ChannelEndpointOwner } from '../../../src/taskmanager/network/ShuffleEnvironment.js';
import type { ChannelMessage } from '../../../src/taskmanager/task/thread-protocol.js';
import { RecordedCalls } from './RecordedCalls.js';

/** A local subtask's end of its channels: records what the ShuffleEnvironment delivered to it and why it was failed. */
export class TestingChannelEndpoint implements ChannelEndpointOwner {
  readonly delivered = new RecordedCalls<ChannelMessage>();
  readonly failures = new RecordedCalls<{ name: string; message: string }>();

  deliver(message: ChannelMessage): void {
    this.delivered.record(message);
  }

  failExternally({ name, message }: { name: string; message: string }): void {
    this.failures.record({ name, message });
  }
}
