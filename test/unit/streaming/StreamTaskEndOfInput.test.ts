import { join } from 'node:path';
import t from 'tap';
import { MAX_WATERMARK } from '../../../src/job/watermarks.js';
import type { Click, PageCount } from '../../fixtures/jobs/InMemoryWindowCount.js';
import { StreamTaskTestHarness } from '../../testing/streaming/StreamTaskTestHarness.js';

const PROGRAM = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryWindowCount.ts');

const click = (page: string, time: number): Click => ({ page, time });
const byWindow = (a: PageCount, b: PageCount) => a.start - b.start || a.page.localeCompare(b.page);

t.test('every input ends: watermark MAX fires the event-time windows, the writers send end of partition, the task ends FINISHED', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: 'Count', inputChannels: ['c0', 'c1'], outputChannels: ['out'] });
  h.grantCredit('out', 10);
  await h.start();
  const c0 = [click('a', 100), click('b', 200), click('a', 1100)];
  const c1 = [click('a', 700), click('b', 1500), click('b', 1999)];
  h.sendRecords('c0', c0, c0.map((c) => c.time));
  h.sendRecords('c1', c1, c1.map((c) => c.time));

  h.sendWatermark('c0', 1200);
  h.sendWatermark('c1', 999);
  const first = await h.endpoint.waitFor('data', (m) => m.channel === 'out');
  t.same(
    (h.recordsSent('out') as PageCount[]).sort(byWindow),
    [
      { page: 'a', start: 0, end: 1000, count: 2 },
      { page: 'b', start: 0, end: 1000, count: 1 },
    ],
    'the slower channel holds event time at 999: only the first windows fire',
  );

  h.endInput('c0');
  await h.settle();
  t.equal(h.endpoint.sentOfType('data', 'out').length, 1, 'one ended input: the other still holds event time back');
  h.endInput('c1');
  t.same(await h.ended, { state: 'FINISHED' });

  t.same(
    (h.recordsSent('out') as PageCount[]).slice(2).sort(byWindow),
    [
      { page: 'a', start: 1000, end: 2000, count: 1 },
      { page: 'b', start: 1000, end: 2000, count: 2 },
    ],
    'the end of input fired the remaining windows',
  );
  const out = h.endpoint.sent.filter((m) => (m as { channel?: string }).channel === 'out');
  t.same(
    out.map((m) => m.type),
    ['data', 'watermark', 'idle', 'data', 'watermark', 'end'],
    'each firing is followed by its watermark; ended inputs are idle; end of partition comes last',
  );
  t.same(out.slice(1).filter((m) => m.type === 'watermark').map((m) => (m as { timestamp: number }).timestamp), [999, MAX_WATERMARK]);
  t.match(out.at(-1), { type: 'end', drained: true }, 'a drained end: downstream may fire everything too');
  t.ok(out.indexOf(first) === 0);
  t.match(h.endpoint.sent.at(-2), { type: 'metrics' }, 'the final metrics');
  t.match(h.endpoint.sent.at(-1), { type: 'done' }, 'done is the last message');
  t.ok(h.endpoint.isClosed, 'the task closed its endpoint');
});

t.test('an end that is not drained (stop with savepoint) fires nothing and ends the partition undrained', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: 'Count', inputChannels: ['c0'], outputChannels: ['out'] });
  h.grantCredit('out', 10);
  await h.start();
  h.sendRecords('c0', [click('a', 100)], [100]);
  h.endInput('c0', false);
  t.same(await h.ended, { state: 'FINISHED' });
  t.same(h.channelMessages('out'), ['end'], 'no window fired, no watermark');
  t.match(h.endpoint.sentOfType('end', 'out'), [{ drained: false }]);
});
