import { join } from 'node:path';
import t from 'tap';
import { INITIAL_CREDITS } from '../../../src/streaming/StreamTask.js';
import { READINGS } from '../../fixtures/jobs/InMemoryChain.js';
import type { Click, PageCount } from '../../fixtures/jobs/InMemoryWindowCount.js';
import { StreamTaskTestHarness } from '../../testing/streaming/StreamTaskTestHarness.js';

const CHAIN = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryChain.ts');
const WINDOW_COUNT = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryWindowCount.ts');

const clicks = (...times: number[]): Click[] => times.map((time) => ({ page: 'a', time }));

t.test('every input channel gets its initial credits at start, and one credit back for every batch processed', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: CHAIN, vertexName: 'Times Ten -> Drop Thirty -> Collect', inputChannels: ['c0', 'c1'] });
  await h.start();
  t.same(
    h.endpoint.sentOfType('credit').map((m) => [m.channel, m.credits]),
    [
      ['c0', INITIAL_CREDITS],
      ['c1', INITIAL_CREDITS],
    ],
  );
  h.sendRecords('c0', [READINGS[0]]);
  h.sendRecords('c0', [READINGS[1]]);
  h.sendRecords('c1', [READINGS[2]]);
  await h.settle();
  t.same(
    h.endpoint.sentOfType('credit').slice(2).map((m) => [m.channel, m.credits]),
    [
      ['c0', 1],
      ['c0', 1],
      ['c1', 1],
    ],
  );
  h.cancel();
  await h.ended;
});

t.test('a batch goes out only against a credit; what follows it on the channel waits behind it', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: WINDOW_COUNT, vertexName: 'Count', inputChannels: ['c0'], outputChannels: ['out'] });
  await h.start();
  const records = clicks(100, 1100);
  h.sendRecords('c0', records, records.map((c) => c.time));
  h.sendWatermark('c0', 999);
  await h.settle();
  t.same(h.channelMessages('out'), [], 'the fired window waits for credit, and the watermark behind it');

  h.grantCredit('out', 1);
  t.same(h.channelMessages('out'), ['data', 'watermark'], 'one credit: one batch, then what followed it');
  t.same(h.recordsSent('out'), [{ page: 'a', start: 0, end: 1000, count: 1 } satisfies PageCount]);

  h.sendWatermark('c0', 1999);
  await h.settle();
  t.same(h.channelMessages('out'), ['data', 'watermark'], 'no credit left');
  h.grantCredit('out', 1);
  t.same(h.channelMessages('out'), ['data', 'watermark', 'data', 'watermark']);
  h.cancel();
  await h.ended;
});

t.test('backpressure: while an output channel holds more than two messages waiting for credit, the task takes no input', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: WINDOW_COUNT, vertexName: 'Count', inputChannels: ['c0'], outputChannels: ['out'] });
  await h.start();
  const records = clicks(100, 1100, 2100);
  h.sendRecords('c0', records, records.map((c) => c.time));
  h.sendWatermark('c0', 999);
  h.sendWatermark('c0', 1999); // now data, watermark, data, watermark wait for credit
  const more = clicks(2200);
  h.sendRecords('c0', more, more.map((c) => c.time));
  await h.settle();
  const creditsBack = () => h.endpoint.sentOfType('credit', 'c0').filter((m) => m.credits === 1).length;
  t.equal(creditsBack(), 1, 'the second batch is not taken while the output is backpressured');

  h.grantCredit('out', 1);
  await h.settle();
  t.equal(creditsBack(), 2, 'a credit downstream lets it go on');
  h.cancel();
  t.equal((await h.ended).state, 'CANCELED');
});
