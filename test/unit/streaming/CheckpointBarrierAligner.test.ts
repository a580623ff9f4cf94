import t from 'tap';
import { CheckpointBarrierAligner } from '../../../src/streaming/CheckpointBarrierAligner.js';
import type { ChannelMessage } from '../../../src/taskmanager/task/thread-protocol.js';

const data = (channel: string, n: number): ChannelMessage => ({ type: 'data', channel, bytes: new Uint8Array([n]), records: 1 });
const barrier = (channel: string, checkpointId: number): ChannelMessage => ({ type: 'barrier', channel, checkpointId, timestamp: 0, targetLocation: `/chk-${checkpointId}` });
const label = (m: ChannelMessage) => (m.type === 'data' ? `${m.channel}:${m.bytes[0]}` : m.type === 'barrier' ? `${m.channel}:B${m.checkpointId}` : `${m.channel}:${m.type}`);

function harness(channels = ['a', 'b']) {
  const delivered: string[] = [];
  const aligner = new CheckpointBarrierAligner(channels, (m) => delivered.push(label(m)), () => 0);
  return { aligner, delivered };
}

t.test('a channel that delivered the barrier is held until every channel has; then released in order', async (t) => {
  const { aligner, delivered } = harness();
  aligner.onArrival(data('a', 1));
  aligner.onArrival(barrier('a', 1));
  aligner.onArrival(data('a', 2));
  aligner.onArrival(data('b', 1));
  t.same(delivered, ['a:1', 'a:B1', 'b:1'], 'a:2 is held behind the barrier');
  aligner.onBarrierProcessed('a', 1);
  t.equal(aligner.takeCompleted(() => false), undefined, 'b has not delivered its barrier');
  aligner.onArrival(barrier('b', 1));
  aligner.onArrival(data('b', 2));
  aligner.onBarrierProcessed('b', 1);
  t.match(aligner.takeCompleted(() => false), { checkpointId: 1 });
  t.same(delivered, ['a:1', 'a:B1', 'b:1', 'b:B1']);
  aligner.release();
  t.same(delivered.slice(4), ['a:2', 'b:2'], 'held messages follow, in channel order');
  aligner.onArrival(data('a', 3));
  t.equal(delivered.at(-1), 'a:3', 'nothing is held after the release');
});

t.test('an ended channel does not hold the alignment back', async (t) => {
  const { aligner } = harness();
  aligner.onArrival(barrier('a', 1));
  aligner.onBarrierProcessed('a', 1);
  t.match(aligner.takeCompleted((c) => c === 'b'), { checkpointId: 1 });
});

t.test('a later barrier aborts an unfinished alignment; an earlier one is dropped', async (t) => {
  const { aligner, delivered } = harness();
  aligner.onArrival(barrier('a', 1));
  aligner.onArrival(data('a', 1));
  aligner.onArrival(barrier('a', 2));
  aligner.onArrival(barrier('b', 2));
  t.same(delivered, ['a:B1', 'a:1', 'a:B2', 'b:B2'], 'checkpoint 1 is given up: what a held is released, in order, and its barrier 2 counts for checkpoint 2');
  aligner.onBarrierProcessed('a', 1);
  aligner.onBarrierProcessed('b', 2);
  aligner.onBarrierProcessed('a', 2);
  t.match(aligner.takeCompleted(() => false), { checkpointId: 2 });
  aligner.release();
  aligner.onArrival(barrier('b', 1));
  t.equal(delivered.length, 4, 'a stale barrier of an aborted checkpoint is dropped');
});

t.test('notifyCheckpointAborted releases a pending alignment', async (t) => {
  const { aligner, delivered } = harness();
  aligner.onArrival(barrier('a', 7));
  aligner.onArrival(data('a', 1));
  t.equal(aligner.abort(6), false);
  t.equal(aligner.abort(7), true);
  t.same(delivered, ['a:B7', 'a:1']);
});
