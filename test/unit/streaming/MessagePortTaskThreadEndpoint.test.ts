import { MessageChannel } from 'node:worker_threads';
import t from 'tap';
import { MessagePortTaskThreadEndpoint } from '../../../src/streaming/MessagePortTaskThreadEndpoint.js';
import type { FromTaskThread, ToTaskThread } from '../../../src/taskmanager/task/thread-protocol.js';

t.test('the port holds what arrives until the task listens, then delivers it in order; what the task sends arrives in order', async (t) => {
  const { port1: main, port2: task } = new MessageChannel();
  const endpoint = new MessagePortTaskThreadEndpoint(task);
  main.postMessage({ type: 'credit', channel: 'out', credits: 2 } satisfies ToTaskThread);
  main.postMessage({ type: 'cancel' } satisfies ToTaskThread);
  await new Promise((resolve) => setImmediate(resolve));
  const received: ToTaskThread[] = [];
  const both = new Promise<void>((resolve) =>
    endpoint.onMessage((message) => {
      received.push(message);
      if (received.length === 2) resolve();
    }),
  );
  await both;
  t.same(received, [{ type: 'credit', channel: 'out', credits: 2 }, { type: 'cancel' }]);

  const sent: FromTaskThread[] = [];
  const closed = new Promise<void>((resolve) => main.on('close', () => resolve()));
  main.on('message', (message: FromTaskThread) => sent.push(message));
  endpoint.send({ type: 'running', threadId: 7 });
  endpoint.send({ type: 'done' });
  endpoint.close();
  await closed;
  t.same(sent, [{ type: 'running', threadId: 7 }, { type: 'done' }], 'everything sent before close arrives');
});
