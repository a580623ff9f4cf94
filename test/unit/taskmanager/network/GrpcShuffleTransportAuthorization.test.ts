// Authorization on the data plane, over real gRPC on loopback: who may request a channel, and which messages a
// consumer takes from a stream. Peers hold the cluster certificate; what keeps them apart is the protocol.
import { Metadata, type Server, type ServerDuplexStream } from '@grpc/grpc-js';
import t, { type Test } from 'tap';
import {
  ShuffleServiceClient,
  ShuffleServiceService,
  type RequestPartitionsRequest,
  type RequestPartitionsResponse,
} from '../../../../src/generated/tsflink/shuffle/v1/shuffle.js';
import { bindServer, shutdownServer } from '../../../../src/rpc/RpcService.js';
import { GrpcShuffleTransport, MAX_SUBSCRIPTIONS_PER_STREAM } from '../../../../src/taskmanager/network/rpc/GrpcShuffleTransport.js';
import { ShuffleEnvironment } from '../../../../src/taskmanager/network/ShuffleEnvironment.js';
import { TestingChannelEndpoint } from '../../../testing/runtime/TestingChannelEndpoint.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';
import { testingClusterSecurity } from '../../../testing/rpc/testingRpcSecurity.js';

t.setTimeout(20_000);

const security = testingClusterSecurity();
const C1 = `${'a'.repeat(32)}-${'1'.repeat(32)}`;
const C2 = `${'b'.repeat(32)}-${'1'.repeat(32)}`;
const SECRET = '5'.repeat(32);
const WRONG = '6'.repeat(32);


async function startNode(t: Test, name: string) {
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
  t.teardown(async () => {
    shuffle.close();
    await shutdownServer(server);
  });
  return { address, shuffle, log: sink };
}

/** A peer holding the cluster certificate that speaks the protocol by hand: a RequestPartitions stream to `address`. */
function rogueConsumer(t: Test, address: string) {
  const client = new ShuffleServiceClient(address, security.channelCredentials(), security.channelOptions());
  const call = client.requestPartitions(new Metadata());
  const received: RequestPartitionsResponse[] = [];
  call.on('data', (response: RequestPartitionsResponse) => received.push(response));
  call.on('error', () => undefined);
  t.teardown(() => {
    call.cancel();
    client.close();
  });
  return {
    received,
    subscribe: (channelId: string, secret: string) => call.write({ requests: [{ channelId, request: { $case: 'subscribe', value: true }, secret }] }),
  };
}

const until = async (what: string, condition: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

t.test('a subscription with a wrong secret or a malformed channel id is refused and counted; the real consumer keeps the channel', async (t) => {
  const a = await startNode(t, 'A');
  const b = await startNode(t, 'B');
  const producer = new TestingChannelEndpoint();
  const consumer = new TestingChannelEndpoint();
  a.shuffle.registerProducer(C1, producer, SECRET);
  b.shuffle.registerConsumer(C1, consumer, a.address, SECRET);
  const rogue = rogueConsumer(t, a.address);
  rogue.subscribe(C1, WRONG);
  rogue.subscribe('../../etc', SECRET);
  rogue.subscribe(C1, '');
  await until('three refusals', () => a.shuffle.refused.subscription === 3);
  a.shuffle.route({ type: 'watermark', channel: C1, timestamp: 42 }, b.address);
  await consumer.delivered.waitForCount(1);
  t.same(consumer.delivered.items, [{ type: 'watermark', channel: C1, timestamp: 42 }], 'the real consumer gets the channel');
  t.same(rogue.received, [], 'the rogue gets nothing');
  t.equal(a.log.matching(/Dropped 1 partition request subscription/).length, 1, 'the refusals are logged, rate-limited');
});

t.test('a request before the producer is deployed waits for it: the right secret gets the channel, a wrong one is refused then', async (t) => {
  const a = await startNode(t, 'A');
  const b = await startNode(t, 'B');
  const consumer = new TestingChannelEndpoint();
  const rogue = rogueConsumer(t, a.address);
  rogue.subscribe(C1, WRONG);
  b.shuffle.registerConsumer(C1, consumer, a.address, SECRET);
  b.shuffle.route({ type: 'credit', channel: C1, credits: 5 }, a.address);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const producer = new TestingChannelEndpoint();
  a.shuffle.registerProducer(C1, producer, SECRET);
  await producer.delivered.waitForCount(1);
  t.same(producer.delivered.items, [{ type: 'credit', channel: C1, credits: 5 }], 'credits granted while waiting reach the producer');
  a.shuffle.route({ type: 'data', channel: C1, bytes: new Uint8Array([7]), records: 1 }, b.address);
  await consumer.delivered.waitForCount(1);
  await until('the rogue refused', () => a.shuffle.refused.subscription === 1);
  t.same(rogue.received, []);
});

t.test('a finished producer’s leftovers reach a consumer that requests late, with the secret', async (t) => {
  const a = await startNode(t, 'A');
  const b = await startNode(t, 'B');
  const producer = new TestingChannelEndpoint();
  a.shuffle.registerProducer(C1, producer, SECRET);
  a.shuffle.route({ type: 'watermark', channel: C1, timestamp: 1 }, b.address);
  a.shuffle.route({ type: 'end', channel: C1, drained: true }, b.address);
  a.shuffle.unregister([C1], producer, { finished: true });
  const rogue = rogueConsumer(t, a.address);
  rogue.subscribe(C1, WRONG);
  await until('the rogue refused', () => a.shuffle.refused.subscription === 1);
  const consumer = new TestingChannelEndpoint();
  b.shuffle.registerConsumer(C1, consumer, a.address, SECRET);
  await consumer.delivered.waitForCount(2);
  t.same(consumer.delivered.items, [
    { type: 'watermark', channel: C1, timestamp: 1 },
    { type: 'end', channel: C1, drained: true },
  ]);
});

t.test('a stream may request at most MAX_SUBSCRIPTIONS_PER_STREAM channels', async (t) => {
  const a = await startNode(t, 'A');
  const rogue = rogueConsumer(t, a.address);
  for (let i = 0; i <= MAX_SUBSCRIPTIONS_PER_STREAM; i++) rogue.subscribe(`${i.toString(16).padStart(32, '0')}-${'1'.repeat(32)}`, SECRET);
  await until('the one beyond the bound refused', () => a.shuffle.refused.subscription === 1);
  t.pass('requests beyond the bound are refused, not kept');
});

t.test('a consumer takes from a stream only the channels it requested there: a producer cannot speak for another’s channel', async (t) => {
  const b = await startNode(t, 'B');
  const honest = await startNode(t, 'P');
  // A rogue producer TaskExecutor: B requests C1 from it, and it also sends a year-9999 watermark on C2, which B
  // requested from the honest producer P.
  const rogueServer: Server = security.createServer();
  const roguePort = await bindServer(rogueServer, '127.0.0.1', 0, security.serverCredentials());
  rogueServer.addService(ShuffleServiceService, {
    requestPartitions: (call: ServerDuplexStream<RequestPartitionsRequest, RequestPartitionsResponse>) => {
      call.on('data', () =>
        call.write({
          messages: [
            { channelId: C2, payload: { $case: 'watermark', value: 253_402_300_799_000 } },
            { channelId: C1, payload: { $case: 'watermark', value: 10 } },
          ],
        }),
      );
      call.on('error', () => undefined);
    },
  });
  t.teardown(() => shutdownServer(rogueServer));
  const onC1 = new TestingChannelEndpoint();
  const onC2 = new TestingChannelEndpoint();
  honest.shuffle.registerProducer(C2, new TestingChannelEndpoint(), SECRET);
  b.shuffle.registerConsumer(C2, onC2, honest.address, SECRET);
  b.shuffle.registerConsumer(C1, onC1, `127.0.0.1:${roguePort}`, SECRET);
  await onC1.delivered.waitForCount(1);
  await until('the forged message counted', () => b.shuffle.refused.message >= 1);
  t.same(onC2.delivered.items, [], 'the forged watermark did not reach C2’s consumer');
  t.same(onC1.delivered.items, [{ type: 'watermark', channel: C1, timestamp: 10 }], 'the channel it serves is taken');
  t.equal(b.log.matching(/Dropped 1 message\(s\) of channels not subscribed on their stream/).length, 1);
});
