import { join } from 'node:path';
import t from 'tap';
import { MAX_WATERMARK } from '../../../src/job/watermarks.js';
import { WATERMARK_INTERVAL_MS } from '../../../src/streaming/SourceDriver.js';
import { decodeSubtaskState } from '../../../src/state/StateHandles.js';
import { READINGS } from '../../fixtures/jobs/InMemoryChain.js';
import { StreamTaskTestHarness } from '../../testing/streaming/StreamTaskTestHarness.js';

const PROGRAM = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryChain.ts');

async function sourceTask(t: Parameters<typeof StreamTaskTestHarness.create>[0]) {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: 'Readings', outputChannels: ['out'] });
  h.grantCredit('out', 10);
  await h.start();
  await h.settle();
  return h;
}

t.test('a source task emits its records, its periodic watermark, and on triggerCheckpoint a barrier behind them', async (t) => {
  const h = await sourceTask(t);
  t.same(h.recordsSent('out'), READINGS, 'the bounded source read everything');
  t.same(h.channelMessages('out'), ['data']);

  h.executor.advanceTime(WATERMARK_INTERVAL_MS - 1);
  await h.settle();
  t.same(h.channelMessages('out'), ['data'], 'no watermark before the interval');
  h.executor.advanceTime(1);
  await h.settle();
  t.match(h.endpoint.sentOfType('watermark', 'out'), [{ timestamp: 499 }], 'monotonous timestamps: the highest seen − 1');

  h.triggerCheckpoint(1);
  const ack = await h.endpoint.waitFor('checkpointAck');
  t.same(h.channelMessages('out'), ['data', 'watermark', 'barrier'], 'the barrier follows what was emitted before it');
  t.match(h.endpoint.sentOfType('barrier', 'out'), [{ checkpointId: 1, targetLocation: h.checkpointLocation(1) }]);
  const sourceId = h.vertex.operators[0]!.operatorId;
  t.same(decodeSubtaskState(ack.subtaskState).operators, { [sourceId]: { splits: [{ splitId: 'records-0', position: '5' }] } }, 'the source positions after the emitted records');
  t.equal(ack.alignmentDurationMs, 0, 'a source does not align');

  h.notifyCheckpointComplete(1);
  h.cancel();
  t.equal((await h.ended).state, 'CANCELED');
});

t.test('stop with savepoint: nothing after the barrier; FINISHED once the savepoint completes, the partition ended undrained', async (t) => {
  const h = await sourceTask(t);
  h.triggerCheckpoint(1, { terminate: true });
  await h.endpoint.waitFor('checkpointAck');
  h.triggerCheckpoint(2);
  t.match(await h.endpoint.waitFor('checkpointDecline'), { checkpointId: 2, reason: 'The task is not running a source any more.' });
  h.executor.advanceTime(WATERMARK_INTERVAL_MS);
  await h.settle();
  t.same(h.channelMessages('out'), ['data', 'barrier'], 'no watermark after the stop barrier');
  h.notifyCheckpointComplete(1);
  t.same(await h.ended, { state: 'FINISHED' });
  t.same(h.channelMessages('out'), ['data', 'barrier', 'end']);
  t.match(h.endpoint.sentOfType('end', 'out'), [{ drained: false }]);
});

t.test('stop with savepoint and drain: watermark MAX before the barrier, a drained end', async (t) => {
  const h = await sourceTask(t);
  h.triggerCheckpoint(1, { terminate: true, drain: true });
  await h.endpoint.waitFor('checkpointAck');
  h.notifyCheckpointComplete(1);
  t.same(await h.ended, { state: 'FINISHED' });
  t.same(h.channelMessages('out'), ['data', 'watermark', 'barrier', 'end']);
  t.match(h.endpoint.sentOfType('watermark', 'out'), [{ timestamp: MAX_WATERMARK }]);
  t.match(h.endpoint.sentOfType('end', 'out'), [{ drained: true }]);
});

t.test('a savepoint to stop with that is aborted lets the source go on', async (t) => {
  const h = await sourceTask(t);
  h.triggerCheckpoint(1, { terminate: true });
  await h.endpoint.waitFor('checkpointAck');
  h.notifyCheckpointAborted(1);
  t.match(await h.endpoint.waitFor('log', (m) => m.level === 'WARN'), {
    message: 'The savepoint to stop with (checkpoint 1) failed; the source goes on reading.',
  });
  h.executor.advanceTime(WATERMARK_INTERVAL_MS);
  await h.settle();
  t.same(h.channelMessages('out'), ['data', 'barrier', 'watermark'], 'the periodic watermark goes on');
  h.triggerCheckpoint(2);
  t.equal((await h.endpoint.waitFor('checkpointAck', (m) => m.checkpointId === 2)).checkpointId, 2, 'and checkpoints again');
  h.cancel();
  t.equal((await h.ended).state, 'CANCELED');
});
