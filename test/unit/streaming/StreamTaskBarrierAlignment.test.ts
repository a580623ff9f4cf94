import { join } from 'node:path';
import t from 'tap';
import { decodeSubtaskState } from '../../../src/state/StateHandles.js';
import { CollectingSink } from '../../fixtures/jobs/connectors/CollectingSink.js';
import { READINGS, SINK_NAME, type Reading } from '../../fixtures/jobs/InMemoryChain.js';
import { StreamTaskTestHarness } from '../../testing/streaming/StreamTaskTestHarness.js';

const PROGRAM = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryChain.ts');
const VERTEX = 'Times Ten -> Drop Thirty -> Collect';

const values = () => CollectingSink.records<Reading>(SINK_NAME).map((r) => r.value);
const reading = (i: number) => READINGS[i]!;

t.beforeEach(() => CollectingSink.reset());

t.test('after barrier N on one channel its data waits until barrier N arrived on the other; then the snapshot, then the held data', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: VERTEX, inputChannels: ['c0', 'c1'] });
  await h.start();
  const creditsBack = (channel: string) => h.endpoint.sentOfType('credit', channel).filter((m) => m.credits === 1).length;

  h.sendRecords('c0', [reading(0)]);
  h.sendBarrier('c0', 1);
  h.sendRecords('c0', [reading(1)]); // after the barrier: held
  h.executor.advanceTime(250);
  h.sendRecords('c1', [reading(3)]);
  await h.endpoint.waitFor('credit', (m) => m.channel === 'c1' && m.credits === 1);
  await h.settle(); // the sink writes after the batch (the credit goes back as the batch is taken)
  t.same(values(), [10, 40], 'c1 goes on; what c0 sent after its barrier waits');
  t.equal(creditsBack('c0'), 1, 'no credit back for the held batch');
  t.same(h.endpoint.sentOfType('checkpointAck'), [], 'no snapshot before every channel delivered the barrier');

  h.sendBarrier('c1', 1);
  const ack = await h.endpoint.waitFor('checkpointAck', (m) => m.checkpointId === 1);
  const sinkId = h.vertex.operators[2]!.operatorId;
  t.same(decodeSubtaskState(ack.subtaskState).operators[sinkId], { sinkWriter: { records: 2 } }, 'the snapshot holds what came before the barriers, and only that');
  t.equal(ack.alignmentDurationMs, 250, 'alignment took from the first barrier to the last, on the task clock');
  t.equal(ack.startDelayMs, 0);
  t.equal(ack.syncDurationMs, 0);

  await h.endpoint.waitFor('credit', (m) => m.channel === 'c0' && m.credits === 1, h.endpoint.sent.indexOf(ack));
  await h.settle();
  t.same(values(), [10, 40, 20], 'the held batch is processed after the snapshot');
  t.same(CollectingSink.events(SINK_NAME), ['open', 'snapshot 1']);

  h.notifyCheckpointComplete(1);
  h.endInput('c0');
  h.endInput('c1');
  t.same(await h.ended, { state: 'FINISHED' });
  t.same(CollectingSink.events(SINK_NAME), ['open', 'snapshot 1', 'complete 1', 'close']);
});

t.test('a barrier of a newer checkpoint aborts an unfinished alignment and releases what was held', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: VERTEX, inputChannels: ['c0', 'c1'] });
  await h.start();
  h.sendBarrier('c0', 1);
  h.sendRecords('c0', [reading(0)]); // held behind barrier 1
  h.sendBarrier('c1', 2); // checkpoint 1 was aborted upstream: c1 never sends its barrier 1
  h.sendBarrier('c0', 2);
  const ack = await h.endpoint.waitFor('checkpointAck');
  t.equal(ack.checkpointId, 2, 'checkpoint 2 is taken, 1 never');
  await h.settle();
  t.same(values(), [10], 'the batch held for checkpoint 1 is processed');
  t.same(CollectingSink.events(SINK_NAME), ['open', 'snapshot 2']);
  h.cancel();
  t.equal((await h.ended).state, 'CANCELED');
});

t.test('an input that ends during alignment no longer holds it up', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: VERTEX, inputChannels: ['c0', 'c1'] });
  await h.start();
  h.sendRecords('c1', [reading(4)]);
  h.sendBarrier('c0', 1);
  h.sendRecords('c0', [reading(0)]);
  h.endInput('c1');
  const ack = await h.endpoint.waitFor('checkpointAck');
  t.equal(ack.checkpointId, 1);
  t.same(decodeSubtaskState(ack.subtaskState).operators[h.vertex.operators[2]!.operatorId], { sinkWriter: { records: 1 } });
  h.endInput('c0');
  t.same(await h.ended, { state: 'FINISHED' });
  t.same(values(), [50, 10]);
});
