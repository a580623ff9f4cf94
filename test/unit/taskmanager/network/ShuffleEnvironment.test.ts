import t from 'tap';
import {
  MAX_HELD_PER_CHANNEL,
  MAX_RETAINED_LEFTOVERS,
  ShuffleEnvironment,
} from '../../../../src/taskmanager/network/ShuffleEnvironment.js';
import type { ChannelMessage } from '../../../../src/taskmanager/task/thread-protocol.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';
import { TestingChannelEndpoint } from '../../../testing/runtime/TestingChannelEndpoint.js';
import { TestingShuffleTransport } from '../../../testing/runtime/TestingShuffleTransport.js';

const HERE = '127.0.0.1:6121';
const THERE = '10.0.0.2:6121';


function setup(now: () => number = () => 0) {
  const transport = new TestingShuffleTransport();
  const { log, sink } = testingLogger('ShuffleEnvironment');
  const shuffle = new ShuffleEnvironment(HERE, transport.attach, log, now);
  return { shuffle, transport, sink };
}

const data = (channel: string, n: number): ChannelMessage => ({ type: 'data', channel, bytes: new Uint8Array([n]), records: 1 });
const watermark = (channel: string, timestamp: number): ChannelMessage => ({ type: 'watermark', channel, timestamp });
const credit = (channel: string, credits: number): ChannelMessage => ({ type: 'credit', channel, credits });
const end = (channel: string): ChannelMessage => ({ type: 'end', channel, drained: true });

t.test('between two local subtasks, messages go to the consumer and credits to the producer directly', async (t) => {
  const { shuffle, transport } = setup();
  const producer = new TestingChannelEndpoint();
  const consumer = new TestingChannelEndpoint();
  shuffle.registerProducer('c1', producer);
  shuffle.registerConsumer('c1', consumer, HERE);

  shuffle.route(data('c1', 1), HERE);
  shuffle.route(watermark('c1', 1000), HERE);
  shuffle.route(credit('c1', 2), HERE);
  t.same(consumer.delivered.items, [data('c1', 1), watermark('c1', 1000)]);
  t.same(producer.delivered.items, [credit('c1', 2)]);
  t.equal(transport.requested.length, 0, 'a local channel is not requested over the network');
  t.equal(transport.credits.length + transport.sent.length, 0, 'nothing goes through the transport');
});

t.test('a message for a local consumer that has not registered yet is held and delivered in order when it registers', async (t) => {
  const { shuffle } = setup();
  const consumer = new TestingChannelEndpoint();
  const other = new TestingChannelEndpoint();
  shuffle.registerConsumer('other', other, HERE);
  shuffle.route(data('c1', 1), HERE);
  shuffle.route(watermark('c1', 1000), HERE);
  shuffle.route(data('c1', 2), HERE);
  shuffle.route(data('other', 9), HERE);
  t.same(other.delivered.items, [data('other', 9)], 'held per channel: another channel is not held up');

  shuffle.registerConsumer('c1', consumer, HERE);
  t.same(consumer.delivered.items, [data('c1', 1), watermark('c1', 1000), data('c1', 2)]);
  shuffle.route(end('c1'), HERE);
  t.same(consumer.delivered.items, [data('c1', 1), watermark('c1', 1000), data('c1', 2), end('c1')], 'later ones after the held ones');
});

t.test('credits for a local producer that has not registered yet are held (added up) and delivered when it registers', async (t) => {
  const { shuffle } = setup();
  const producer = new TestingChannelEndpoint();
  shuffle.route(credit('c1', 10), HERE);
  shuffle.route(credit('c1', 1), HERE);
  shuffle.registerProducer('c1', producer);
  t.same(producer.delivered.items, [credit('c1', 11)]);
  shuffle.route(credit('c1', 3), HERE);
  t.same(producer.delivered.items, [credit('c1', 11), credit('c1', 3)]);
});

t.test('a remote consumer’s channel: held until the consumer requests it, then flushed in order, later messages sent directly', async (t) => {
  const { shuffle, transport } = setup();
  const producer = new TestingChannelEndpoint();
  shuffle.registerProducer('c1', producer);
  shuffle.route(data('c1', 1), THERE);
  shuffle.route(watermark('c1', 1000), THERE);
  shuffle.route(data('c1', 2), THERE);
  t.equal(transport.sent.length, 0, 'nothing goes out before the consumer asked for the channel');

  transport.consumerRequests('c1');
  t.same(transport.sent.items, [data('c1', 1), watermark('c1', 1000), data('c1', 2)]);

  shuffle.route(data('c1', 3), THERE);
  shuffle.route(end('c1'), THERE);
  t.same(transport.sent.items, [data('c1', 1), watermark('c1', 1000), data('c1', 2), data('c1', 3), end('c1')]);
  t.same(producer.delivered.items, [], 'the producer gets nothing back but credits');
});

t.test('a channel requested before its first message: messages go out directly', async (t) => {
  const { shuffle, transport } = setup();
  transport.consumerRequests('c1');
  shuffle.route(data('c1', 1), THERE);
  t.same(transport.sent.items, [data('c1', 1)]);
});

t.test('credits from a remote consumer reach the local producer; a local consumer’s credits go to the remote producer', async (t) => {
  const { shuffle, transport } = setup();
  const producer = new TestingChannelEndpoint();
  shuffle.registerProducer('out', producer);
  transport.consumerRequests('out');
  transport.consumerGrantsCredit('out', 10);
  transport.consumerGrantsCredit('out', 1);
  t.same(producer.delivered.items, [credit('out', 10), credit('out', 1)]);

  const consumer = new TestingChannelEndpoint();
  shuffle.registerConsumer('in', consumer, THERE, 'the-secret');
  t.same(transport.requested.items, [{ producerAddress: THERE, channelId: 'in', secret: 'the-secret' }], 'registering a remote consumer requests its channel with its secret');
  shuffle.route(credit('in', 4), THERE);
  t.same(transport.credits.items, [{ producerAddress: THERE, channelId: 'in', credits: 4 }]);
});

t.test('a credit from a remote consumer for a producer that has not registered yet is held for it', async (t) => {
  const { shuffle, transport } = setup();
  transport.consumerGrantsCredit('out', 10);
  const producer = new TestingChannelEndpoint();
  shuffle.registerProducer('out', producer);
  t.same(producer.delivered.items, [credit('out', 10)]);
});

t.test('messages from a remote producer reach the local consumer of the channel', async (t) => {
  const { shuffle, transport } = setup();
  const consumer = new TestingChannelEndpoint();
  shuffle.registerConsumer('in', consumer, THERE);
  transport.producerSends(data('in', 1));
  transport.producerSends(watermark('in', 5));
  t.same(consumer.delivered.items, [data('in', 1), watermark('in', 5)]);
});

t.test('unregister releases the subtask’s remote input channels and drops the credits that waited for it', async (t) => {
  const { shuffle, transport } = setup();
  const task = new TestingChannelEndpoint();
  shuffle.registerConsumer('in', task, THERE);
  shuffle.registerConsumer('local-in', task, HERE);
  shuffle.route(credit('late-out', 1), HERE); // a credit for a local producer that has not registered

  shuffle.unregister(['in', 'local-in', 'late-out'], task);
  t.same(transport.released.items, [{ producerAddress: THERE, channelId: 'in' }], 'only the remote input channel is released');

  const next = new TestingChannelEndpoint();
  shuffle.registerProducer('late-out', next);
  t.same(next.delivered.items, [], 'the held credit was dropped');
  transport.producerSends(data('in', 1));
  shuffle.route(data('local-in', 1), HERE);
  t.same(task.delivered.items, [], 'nothing reaches the unregistered consumer any more');
});

t.test('a producer that ended before its consumer registered: its end of partition still reaches the consumer', async (t) => {
  const { shuffle, transport } = setup();
  const producer = new TestingChannelEndpoint();
  shuffle.registerProducer('to-local', producer);
  shuffle.registerProducer('to-remote', producer);
  shuffle.route(end('to-local'), HERE);
  shuffle.route(end('to-remote'), THERE);
  shuffle.unregister(['to-local', 'to-remote'], producer, { finished: true }); // the producer's Task finished

  const consumer = new TestingChannelEndpoint();
  shuffle.registerConsumer('to-local', consumer, HERE);
  t.same(consumer.delivered.items, [end('to-local')], 'the local consumer gets the end of partition');
  transport.consumerRequests('to-remote');
  t.same(transport.sent.items, [end('to-remote')], 'the remote consumer gets the end of partition');
});

t.test("a cancelled producer's leftovers are dropped, and credits for an ended producer are not held", async (t) => {
  const { shuffle, transport } = setup();
  const producer = new TestingChannelEndpoint();
  shuffle.registerProducer('to-local', producer);
  shuffle.registerProducer('to-remote', producer);
  shuffle.route(end('to-local'), HERE);
  shuffle.route(end('to-remote'), THERE);
  shuffle.unregister(['to-local', 'to-remote'], producer); // cancelled
  const consumer = new TestingChannelEndpoint();
  shuffle.registerConsumer('to-local', consumer, HERE);
  t.same(consumer.delivered.items, [], 'nothing of the cancelled producer reaches a late local consumer');
  transport.consumerRequests('to-remote');
  t.same(transport.sent.items, [], 'nor a late remote one');
  transport.consumerGrantsCredit('to-remote', 3);
  const next = new TestingChannelEndpoint();
  shuffle.registerProducer('to-remote', next);
  t.same(next.delivered.items, [], 'a credit that came after the producer ended was dropped, not held');
});

t.test('unregister only removes the channels the owner holds', async (t) => {
  const { shuffle, transport } = setup();
  const consumer = new TestingChannelEndpoint();
  const stranger = new TestingChannelEndpoint();
  shuffle.registerConsumer('in', consumer, THERE);
  shuffle.unregister(['in'], stranger);
  t.equal(transport.released.length, 0);
  transport.producerSends(data('in', 1));
  t.same(consumer.delivered.items, [data('in', 1)]);
});

t.test('messages for a consumer that ended are dropped', async (t) => {
  const { shuffle, transport } = setup();
  const consumer = new TestingChannelEndpoint();
  shuffle.registerConsumer('in', consumer, THERE);
  transport.producerSends(data('in', 1));
  shuffle.unregister(['in'], consumer);
  transport.producerSends(data('in', 2));
  transport.producerSends(end('in'));
  t.same(consumer.delivered.items, [data('in', 1)]);
  transport.producerSends(data('never-registered', 1));
  t.pass('a message for a channel no consumer here ever had does not throw');
});

t.test('a remote consumer releasing its channel drops what waited for it', async (t) => {
  const { shuffle, transport } = setup();
  shuffle.route(data('out', 1), THERE);
  transport.consumerReleases('out');
  transport.consumerRequests('out');
  t.same(transport.sent.items, []);
});

t.test('close() closes the transport', async (t) => {
  const { shuffle, transport } = setup();
  shuffle.close();
  t.ok(transport.closed);
});

t.test('a producer registers its channel with its subscription secret; a cancelled producer revokes it, a finished one keeps it for its leftovers', async (t) => {
  const { shuffle, transport } = setup();
  const producer = new TestingChannelEndpoint();
  shuffle.registerProducer('a', producer, 'secret-a');
  shuffle.registerProducer('b', producer, 'secret-b');
  t.same([...transport.accepting], [['a', 'secret-a'], ['b', 'secret-b']]);
  shuffle.route(end('b'), THERE);
  shuffle.unregister(['a'], producer);
  shuffle.unregister(['b'], producer, { finished: true });
  t.same(transport.revoked, ['a'], 'the cancelled producer’s channel can no longer be requested');
  t.same([...transport.accepting], [['b', 'secret-b']], 'the finished producer’s leftovers can still be requested');
});

t.test('held messages are bounded: consecutive watermarks coalesce, and a channel holding too many is dropped', async (t) => {
  const { shuffle, transport, sink } = setup();
  const producer = new TestingChannelEndpoint();
  shuffle.registerProducer('out', producer, 's');
  for (let i = 1; i <= 50_000; i++) shuffle.route(watermark('out', i), THERE);
  shuffle.route(data('out', 1), THERE);
  shuffle.route(watermark('out', 50_001), THERE);
  transport.consumerRequests('out');
  t.same(transport.sent.items, [watermark('out', 50_000), data('out', 1), watermark('out', 50_001)], 'only the newest of consecutive watermarks is held');

  for (let i = 0; i < MAX_HELD_PER_CHANNEL + 10; i++) shuffle.route(data('flood', i % 256), THERE);
  transport.consumerRequests('flood');
  t.equal(transport.sent.items.filter((m) => m.channel === 'flood').length, 0, 'an overflowing channel’s held messages are dropped');
  t.equal(sink.matching(/Dropped the messages held for channel flood/).length, 1, 'and that is logged once');
});

t.test('leftovers of finished producers are bounded: beyond the bound the oldest channel’s are dropped and revoked', async (t) => {
  const { shuffle, transport } = setup();
  const producer = new TestingChannelEndpoint();
  const ids = Array.from({ length: MAX_RETAINED_LEFTOVERS + 1 }, (_, i) => `ch-${i}`);
  for (const id of ids) {
    shuffle.registerProducer(id, producer, 's');
    shuffle.route(end(id), THERE);
  }
  shuffle.unregister(ids, producer, { finished: true });
  t.same(transport.revoked, ['ch-0'], 'the oldest leftovers went');
  transport.consumerRequests('ch-0');
  transport.consumerRequests(ids[ids.length - 1]!);
  t.same(transport.sent.items, [end(ids[ids.length - 1]!)], 'a late consumer of a retained channel still gets its end of partition');
});

t.test('refusals reported by the transport are counted and logged at most once a minute, with the count', async (t) => {
  let now = 0;
  const { shuffle, sink } = setup(() => now);
  shuffle.onRefused('message', 'first');
  shuffle.onRefused('message', 'second');
  shuffle.onRefused('subscription', 'bad secret');
  now = 60_000;
  shuffle.onRefused('message', 'third');
  t.same(shuffle.refused, { message: 3, subscription: 1 });
  t.match(sink.matching(/Dropped/), [
    /WARN.*Dropped 1 message\(s\) of channels not subscribed on their stream \(1 in all\); latest: first/,
    /WARN.*Dropped 1 partition request subscription\(s\) \(1 in all\); latest: bad secret/,
    /WARN.*Dropped 2 message\(s\) of channels not subscribed on their stream \(3 in all\); latest: third/,
  ]);
  t.equal(sink.matching(/Dropped/).length, 3);
});
