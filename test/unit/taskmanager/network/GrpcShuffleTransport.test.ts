// The shuffle between two TaskExecutors over real gRPC on loopback (127.0.0.1, port 0): each side is a
// ShuffleEnvironment with a GrpcShuffleTransport on a data server of its own, as TaskManagerRunner wires them.
import { getChannelzHandlers, type Server } from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import { MAX_WATERMARK } from '../../../../src/job/watermarks.js';
import { bindServer, shutdownServer } from '../../../../src/rpc/RpcService.js';
import { GrpcShuffleTransport, SHUFFLE_FLOW_CONTROL_WINDOW } from '../../../../src/taskmanager/network/rpc/GrpcShuffleTransport.js';
import { ShuffleEnvironment } from '../../../../src/taskmanager/network/ShuffleEnvironment.js';
import type { ChannelMessage } from '../../../../src/taskmanager/task/thread-protocol.js';
import { TestingChannelEndpoint } from '../../../testing/runtime/TestingChannelEndpoint.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';
import { testingClusterSecurity } from '../../../testing/rpc/testingRpcSecurity.js';

t.setTimeout(10_000);

/** Both TaskExecutors are members of one cluster: the data plane is mutual TLS with its certificate. */
const security = testingClusterSecurity();


interface TaskExecutorNode {
  name: string;
  port: number;
  /** Its data address, as deployments name it. */
  address: string;
  shuffle: ShuffleEnvironment;
  server: Server;
  log: ReturnType<typeof testingLogger>['sink'];
}

async function startNode(name: string): Promise<TaskExecutorNode> {
  const server = security.createServer();
  const port = await bindServer(server, '127.0.0.1', 0, security.serverCredentials());
  const address = `127.0.0.1:${port}`;
  const { log, sink } = testingLogger(`ShuffleEnvironment-${name}`);
  const shuffle = new ShuffleEnvironment(
    address,
    (listener) => {
      const transport = new GrpcShuffleTransport(listener, log, security);
      transport.addService(server);
      return transport;
    },
    log,
  );
  return { name, port, address, shuffle, server, log: sink };
}

/** TaskExecutors A (producing) and B (consuming), shut down when the test ends. */
async function startTwo(t: Test): Promise<{ a: TaskExecutorNode; b: TaskExecutorNode }> {
  const a = await startNode('A');
  const b = await startNode('B');
  t.teardown(async () => {
    a.shuffle.close();
    b.shuffle.close();
    await Promise.all([shutdownServer(a.server), shutdownServer(b.server)]);
  });
  return { a, b };
}

const bytes = (...values: number[]) => new Uint8Array(values);
/** Channel ids and a subscription secret of the forms deployments carry. */
const C1 = `${'a'.repeat(32)}-${'1'.repeat(32)}`;
const C2 = `${'a'.repeat(32)}-${'2'.repeat(32)}`;
const SECRET = '5'.repeat(32);
const data = (channel: string, payload: Uint8Array): ChannelMessage => ({ type: 'data', channel, bytes: payload, records: 1 });

/** A delivered message in a comparable form (data bytes as an array; the record count does not cross the wire). */
function view(message: ChannelMessage): unknown {
  if (message.type === 'data') return { type: 'data', channel: message.channel, bytes: [...message.bytes] };
  return message;
}

t.test('a consumer on B requests a channel produced on A: its messages arrive in order, credits arrive at the producer', async (t) => {
  const { a, b } = await startTwo(t);
  const producer = new TestingChannelEndpoint();
  const consumer = new TestingChannelEndpoint();
  a.shuffle.registerProducer(C1, producer, SECRET);

  // Before B asked for the channel: held on A.
  a.shuffle.route(data(C1, bytes(1, 2, 3)), b.address);
  a.shuffle.route({ type: 'watermark', channel: C1, timestamp: 1000 }, b.address);
  b.shuffle.registerConsumer(C1, consumer, a.address, SECRET);
  await consumer.delivered.waitForCount(2);

  // After: sent directly.
  a.shuffle.route({ type: 'idle', channel: C1, idle: true }, b.address);
  a.shuffle.route(data(C1, bytes(4)), b.address);
  a.shuffle.route({ type: 'barrier', channel: C1, checkpointId: 7, timestamp: 1_700_000_000_123, targetLocation: 'file:///checkpoints/chk-7' }, b.address);
  a.shuffle.route({ type: 'watermark', channel: C1, timestamp: MAX_WATERMARK }, b.address);
  a.shuffle.route({ type: 'end', channel: C1, drained: false }, b.address);
  await consumer.delivered.waitForCount(7);
  t.same(consumer.delivered.items.map(view), [
    { type: 'data', channel: C1, bytes: [1, 2, 3] },
    { type: 'watermark', channel: C1, timestamp: 1000 },
    { type: 'idle', channel: C1, idle: true },
    { type: 'data', channel: C1, bytes: [4] },
    { type: 'barrier', channel: C1, checkpointId: 7, timestamp: 1_700_000_000_123, targetLocation: 'file:///checkpoints/chk-7' },
    { type: 'watermark', channel: C1, timestamp: MAX_WATERMARK },
    { type: 'end', channel: C1, drained: false },
  ]);

  b.shuffle.route({ type: 'credit', channel: C1, credits: 10 }, a.address);
  b.shuffle.route({ type: 'credit', channel: C1, credits: 1 }, a.address);
  await producer.delivered.waitForCount(2);
  t.same(producer.delivered.items, [
    { type: 'credit', channel: C1, credits: 10 },
    { type: 'credit', channel: C1, credits: 1 },
  ]);
  t.same(consumer.delivered.items.length, 7, 'nothing else arrived at the consumer');
});

t.test('the producer’s TaskExecutor gone: a consumer with a channel still open on it fails, one whose channels ended does not', async (t) => {
  const { a, b } = await startTwo(t);
  const producer = new TestingChannelEndpoint();
  a.shuffle.registerProducer(C1, producer, SECRET);
  a.shuffle.registerProducer(C2, producer, SECRET);
  const open = new TestingChannelEndpoint();
  const ended = new TestingChannelEndpoint();
  b.shuffle.registerConsumer(C1, open, a.address, SECRET);
  b.shuffle.registerConsumer(C2, ended, a.address, SECRET);
  a.shuffle.route(data(C1, bytes(1)), b.address);
  a.shuffle.route({ type: 'end', channel: C2, drained: false }, b.address);
  await open.delivered.waitForCount(1);
  await ended.delivered.waitForCount(1);

  // A's data server goes away, as with a killed TaskManager.
  a.shuffle.close();
  await shutdownServer(a.server);
  await open.failures.waitForCount(1);
  t.equal(open.failures.items[0]!.name, 'RemoteTransportException');
  t.match(open.failures.items[0]!.message, `Connection unexpectedly closed by remote task manager '${a.address}'`);
  t.same(ended.failures.items, [], 'a channel at its end of partition is not lost');
});

t.test('two channels from A to B share the connection, each in its own order', async (t) => {
  const { a, b } = await startTwo(t);
  const producer = new TestingChannelEndpoint();
  a.shuffle.registerProducer(C1, producer, SECRET);
  a.shuffle.registerProducer(C2, producer, SECRET);
  const consumers = { c1: new TestingChannelEndpoint(), c2: new TestingChannelEndpoint() };
  b.shuffle.registerConsumer(C1, consumers.c1, a.address, SECRET);
  b.shuffle.registerConsumer(C2, consumers.c2, a.address, SECRET);
  for (let i = 0; i < 5; i++) {
    a.shuffle.route(data(C1, bytes(i)), b.address);
    a.shuffle.route(data(C2, bytes(100 + i)), b.address);
  }
  await consumers.c1.delivered.waitForCount(5);
  await consumers.c2.delivered.waitForCount(5);
  t.same(consumers.c1.delivered.items.map((m) => (m.type === 'data' ? m.bytes[0] : -1)), [0, 1, 2, 3, 4]);
  t.same(consumers.c2.delivered.items.map((m) => (m.type === 'data' ? m.bytes[0] : -1)), [100, 101, 102, 103, 104]);
});

t.test('a channel B released is no longer sent by A', async (t) => {
  const { a, b } = await startTwo(t);
  const producers = { c1: new TestingChannelEndpoint(), c2: new TestingChannelEndpoint() };
  a.shuffle.registerProducer(C1, producers.c1, SECRET);
  a.shuffle.registerProducer(C2, producers.c2, SECRET);
  const consumers = { c1: new TestingChannelEndpoint(), c2: new TestingChannelEndpoint() };
  b.shuffle.registerConsumer(C1, consumers.c1, a.address, SECRET);
  b.shuffle.registerConsumer(C2, consumers.c2, a.address, SECRET);
  a.shuffle.route(data(C1, bytes(1)), b.address);
  await consumers.c1.delivered.waitForCount(1);

  b.shuffle.unregister([C1], consumers.c1);
  // A credit on c2 travels behind the release on the same stream: once it arrived, A has processed the release.
  b.shuffle.route({ type: 'credit', channel: C2, credits: 1 }, a.address);
  await producers.c2.delivered.waitForCount(1);

  a.shuffle.route(data(C1, bytes(2)), b.address);
  a.shuffle.route(data(C2, bytes(3)), b.address);
  await consumers.c2.delivered.waitForCount(1);
  t.same(b.log.matching(`Dropped data for channel ${C1}`), [], 'A sent nothing more on c1 (it would have arrived before c2’s message)');
  t.equal(consumers.c1.delivered.length, 1);
});

// --- HTTP/2 flow control --------------------------------------------------------------------------------------------

interface SocketInfo {
  id: number;
  side: 'client' | 'server';
  /** client: the target of its channel; server: the address its server listens on. */
  owner: string;
  localPort: number | undefined;
  remotePort: number | undefined;
  messagesReceived: number;
  localFlowControlWindow: number | undefined;
}

type ChannelzMethod = 'GetTopChannels' | 'GetSubchannel' | 'GetServers' | 'GetServerSockets' | 'GetSocket';

/** Calls a channelz handler of this process in-process (no channelz server). */
function channelz<T>(method: ChannelzMethod, request: Record<string, number>): Promise<T> {
  const handler = getChannelzHandlers()[method] as unknown as (call: { request: object }, callback: (error: unknown, value?: unknown) => void) => void;
  return new Promise((resolve, reject) => handler({ request }, (error, value) => (error ? reject(error) : resolve(value as T))));
}

interface Ref {
  socket_id?: number;
  subchannel_id?: number;
  server_id?: number;
  name?: string;
}
interface AddressMessage {
  tcpip_address?: { port: number };
}
interface SocketMessage {
  local: AddressMessage | null;
  remote: AddressMessage | null;
  data: { messages_received: number | string; local_flow_control_window: { value: number | string } | null };
}

async function socketInfo(id: number, side: SocketInfo['side'], owner: string): Promise<SocketInfo> {
  const { socket } = await channelz<{ socket: SocketMessage }>('GetSocket', { socket_id: id });
  const window = socket.data.local_flow_control_window;
  return {
    id,
    side,
    owner,
    localPort: socket.local?.tcpip_address?.port,
    remotePort: socket.remote?.tcpip_address?.port,
    messagesReceived: Number(socket.data.messages_received),
    localFlowControlWindow: window ? Number(window.value) : undefined,
  };
}

/** Every open socket of this process's gRPC clients and servers, as channelz sees it. */
async function allSockets(): Promise<SocketInfo[]> {
  const sockets: SocketInfo[] = [];
  const { channel: channels } = await channelz<{ channel: Array<{ data: { target: string }; subchannel_ref: Ref[] }> }>('GetTopChannels', { start_channel_id: 0, max_results: 1000 });
  for (const channel of channels) {
    for (const ref of channel.subchannel_ref) {
      const { subchannel } = await channelz<{ subchannel: { socket_ref: Ref[] } }>('GetSubchannel', { subchannel_id: ref.subchannel_id! });
      for (const socket of subchannel.socket_ref) sockets.push(await socketInfo(socket.socket_id!, 'client', channel.data.target));
    }
  }
  const { server: servers } = await channelz<{ server: Array<{ ref: Ref; listen_socket: Ref[] }> }>('GetServers', { start_server_id: 0, max_results: 1000 });
  for (const server of servers) {
    const listening = server.listen_socket.map((s) => s.name ?? '').join(',');
    const { socket_ref } = await channelz<{ socket_ref: Ref[] }>('GetServerSockets', { server_id: server.ref.server_id!, start_socket_id: 0, max_results: 1000 });
    for (const socket of socket_ref) sockets.push(await socketInfo(socket.socket_id!, 'server', listening));
  }
  return sockets;
}

t.test('the data receiver of the connection between A and B is B’s client socket, with the 4 MiB shuffle window', async (t) => {
  const { a, b } = await startTwo(t);
  const producer = new TestingChannelEndpoint();
  const consumer = new TestingChannelEndpoint();
  a.shuffle.registerProducer(C1, producer, SECRET);
  b.shuffle.registerConsumer(C1, consumer, a.address, SECRET);
  const messages = 12;
  // One data message per turn of the event loop: what one turn gathers travels as one gRPC message.
  for (let i = 0; i < messages; i++) {
    a.shuffle.route(data(C1, new Uint8Array(1024).fill(i)), b.address);
    await consumer.delivered.waitForCount(i + 1);
  }
  // B grants a credit too, so that A's side has received something (fewer messages than the data).
  b.shuffle.route({ type: 'credit', channel: C1, credits: 1 }, a.address);
  await producer.delivered.waitForCount(1);

  const ports = new Set([a.port, b.port]);
  const between = (await allSockets()).filter((s) => ports.has(s.localPort!) || ports.has(s.remotePort!));
  t.ok(between.length >= 2, `both ends of the connection are visible to channelz: ${JSON.stringify(between)}`);
  const receivers = between.filter((s) => s.messagesReceived >= messages);
  t.equal(receivers.length, 1, `exactly one socket received the ${messages} data messages: ${JSON.stringify(between)}`);
  const receiver = receivers[0]!;
  t.equal(receiver.side, 'client', 'the data receiver is a gRPC client socket …');
  t.match(receiver.owner, a.address, '… of the channel B opened to A’s data server');
  t.equal(receiver.remotePort, a.port);
  t.ok(
    (receiver.localFlowControlWindow ?? 0) >= 1024 * 1024,
    `its receive window is at least 1 MiB (SHUFFLE_FLOW_CONTROL_WINDOW is ${SHUFFLE_FLOW_CONTROL_WINDOW}), not HTTP/2's 65535-byte default: ${receiver.localFlowControlWindow}`,
  );
  const sender = between.find((s) => s.side === 'server' && s.localPort === a.port);
  t.ok(sender, 'the sender is a server socket of A’s data server');
  t.ok(sender!.messagesReceived < messages, 'which received only the partition requests');
});
