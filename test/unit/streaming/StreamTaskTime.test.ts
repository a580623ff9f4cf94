import { join } from 'node:path';
import t from 'tap';
import type { Click, PageCount } from '../../fixtures/jobs/InMemoryWindowCount.js';
import { StreamTaskTestHarness } from '../../testing/streaming/StreamTaskTestHarness.js';

const WINDOW_COUNT = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryWindowCount.ts');

t.test('processing-time windows fire when the task clock passes them: timers run on the task scheduled executor', async (t) => {
  const h = await StreamTaskTestHarness.create(t, {
    program: WINDOW_COUNT,
    args: ['--processing-time'],
    vertexName: 'Count',
    inputChannels: ['c0'],
    outputChannels: ['out'],
  });
  h.grantCredit('out', 10);
  await h.start();
  const clock = h.executor.clock;
  h.executor.advanceTime(1000 - (clock.now() % 1000)); // to the start of a window
  const start = clock.now();
  const clicks: Click[] = [
    { page: 'a', time: 0 },
    { page: 'a', time: 0 },
    { page: 'b', time: 0 },
  ];
  h.sendRecords('c0', clicks);
  await h.settle();
  h.executor.advanceTime(999);
  await h.settle();
  t.same(h.recordsSent('out'), [], 'the window is not over yet');
  h.executor.advanceTime(1);
  await h.settle();
  t.same(
    (h.recordsSent('out') as PageCount[]).sort((x, y) => x.page.localeCompare(y.page)),
    [
      { page: 'a', start, end: start + 1000, count: 2 },
      { page: 'b', start, end: start + 1000, count: 1 },
    ],
    'windowed by the task clock, fired by its timer',
  );
  h.cancel();
  await h.ended;
});

t.test('the task reports its metrics every second of its clock', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: WINDOW_COUNT, vertexName: 'Count', inputChannels: ['c0'], outputChannels: ['out'] });
  await h.start();
  h.sendRecords('c0', [{ page: 'a', time: 5 }], [5]);
  await h.settle();
  t.same(h.endpoint.sentOfType('metrics'), [], 'nothing before the first interval');
  h.executor.advanceTime(1000);
  const [metrics] = h.endpoint.sentOfType('metrics');
  t.match(metrics, { metrics: { io: { recordsIn: 1, recordsOut: 0 } } });
  t.ok(
    metrics!.metrics.entries.some(([operator, , name, value]) => operator === 'Count' && name === 'numRecordsIn' && value === 1),
    'with the operators of the chain',
  );
  h.executor.advanceTime(2000);
  t.equal(h.endpoint.sentOfType('metrics').length, 3);
  h.cancel();
  await h.ended;
});
