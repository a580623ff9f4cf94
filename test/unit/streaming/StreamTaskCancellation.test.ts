import { join } from 'node:path';
import t from 'tap';
import { CollectingSink } from '../../fixtures/jobs/connectors/CollectingSink.js';
import { READINGS, SINK_NAME } from '../../fixtures/jobs/InMemoryChain.js';
import type { Click } from '../../fixtures/jobs/InMemoryWindowCount.js';
import { StreamTaskTestHarness } from '../../testing/streaming/StreamTaskTestHarness.js';

const CHAIN = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryChain.ts');
const WINDOW_COUNT = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryWindowCount.ts');

t.beforeEach(() => CollectingSink.reset());

t.test('a cancelled task ends CANCELED: its sink aborts (nothing is finished or committed), no end of partition', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: CHAIN, vertexName: 'Times Ten -> Drop Thirty -> Collect', inputChannels: ['in'] });
  await h.start();
  h.sendRecords('in', [...READINGS]);
  await h.settle();
  h.cancel();
  t.same(await h.ended, { state: 'CANCELED' });
  t.same(CollectingSink.events(SINK_NAME), ['open', 'abort']);
  t.same(h.endpoint.sentOfType('end'), []);
  t.match(h.endpoint.sent.slice(-2), [{ type: 'metrics' }, { type: 'done' }], 'final metrics, then done');
  t.ok(h.endpoint.isClosed);
});

t.test('cancellation ends a task that waits for credit from a consumer that is gone', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: WINDOW_COUNT, vertexName: 'Count', inputChannels: ['c0'], outputChannels: ['out'] });
  await h.start();
  const clicks: Click[] = [100, 1100, 2100].map((time) => ({ page: 'a', time }));
  h.sendRecords('c0', clicks, clicks.map((c) => c.time));
  h.sendWatermark('c0', 999);
  h.sendWatermark('c0', 1999); // the output is backpressured now: no credit ever comes
  await h.settle();
  h.cancel();
  t.same(await h.ended, { state: 'CANCELED' });
  t.same(h.channelMessages('out'), [], 'nothing went out without credit');
});

t.test('a task whose user code fails ends FAILED with the error', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: CHAIN, vertexName: 'Times Ten -> Drop Thirty -> Collect', inputChannels: ['in'] });
  await h.start();
  h.sendRecords('in', [null]); // the map reads a field of null
  const result = await h.ended;
  t.equal(result.state, 'FAILED');
  t.match(result.failure, { name: 'TypeError' });
  t.same(CollectingSink.events(SINK_NAME), ['open', 'abort'], 'the sink aborts');
});
