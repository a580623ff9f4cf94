// The source side of a subtask: what a reader delivers is queued for the task's mailbox and emitted in order, with the
// split positions (numbers kept as numbers, stored as decimal text) and event time that go with each record, and the
// records it could not read in their place; beyond the buffer bound the reader is paused until the task caught up.
import t from 'tap';
import type { ReaderOutput } from '../../../src/job/connectors.js';
import { WatermarkStrategy } from '../../../src/job/watermarks.js';
import { ComponentMetricGroup } from '../../../src/metrics/MetricGroup.js';
import { SourceDriver } from '../../../src/streaming/SourceDriver.js';

async function startedDriver(strategy = WatermarkStrategy.forBoundedOutOfOrderness<number>(0).withTimestampAssigner((value) => value * 10)) {
  const clock = { now: 0 };
  const reader = { output: undefined as ReaderOutput<number> | undefined, pauses: 0, resumes: 0 };
  const events: string[] = [];
  const driver = new SourceDriver<number>(
    {
      connectorName: 'Test',
      createReader: () => ({
        start: async (output) => {
          reader.output = output;
          output.addSplit('s-0', '0');
        },
        pause: () => void reader.pauses++,
        resume: () => void reader.resumes++,
        close: async () => undefined,
      }),
    },
    { metricGroup: new ComponentMetricGroup(), jobId: 'j', attemptId: 'a', attemptNumber: 0, subtaskIndex: 0, parallelism: 1, operatorName: 'Source', operatorId: 'o' },
    strategy,
    {
      schedule: () => events.push('schedule'),
      onReadError: (split, message) => events.push(`error ${split}: ${message}`),
      onFatalError: (error) => events.push(`fatal ${error.message}`),
      onActive: () => events.push('active'),
    },
    [],
    () => clock.now,
  );
  await driver.start();
  return { driver, output: reader.output!, reader, events, clock };
}

t.test('records and read errors are emitted in order, with positions and timestamps', async (t) => {
  const { driver, output, events } = await startedDriver();
  output.collect(1, 's-0', undefined, 10, 1);
  output.reportError('s-0', 'bad record', 2);
  output.collect(3, 's-0', undefined, 10, 3);
  t.same(events, ['schedule'], 'the task is asked once');
  const emitted: Array<[number, number | undefined, string, string | number]> = [];
  driver.emitQueued((record, timestamp, split, position) => emitted.push([record, timestamp, split, position]));
  t.strictSame(emitted, [[1, 10, 's-0', 1], [3, 30, 's-0', 3]]);
  t.same(events, ['schedule', 'error s-0: bad record']);
  t.strictSame(driver.snapshotSplits(), [{ splitId: 's-0', position: '3' }], 'a numeric position as decimal text');
  t.same(driver.periodicWatermark(), { watermark: 29 });
  driver.emitQueued(() => t.fail('emitted twice'));
});

t.test('a split that delivers only unreadable records moves past them without counting as active', async (t) => {
  const { driver, output } = await startedDriver();
  output.reportError('s-0', 'bad', 11);
  output.reportError('s-0', 'bad', 12);
  driver.emitQueued(() => t.fail('nothing to emit'));
  t.strictSame(driver.snapshotSplits(), [{ splitId: 's-0', position: '12' }]);
  t.same(driver.periodicWatermark(), {}, 'no event time from unreadable records');
});

t.test('beyond the buffer bound the reader is paused; it resumes once the task has emitted what was queued', async (t) => {
  const { driver, output, reader } = await startedDriver();
  output.collect(1, 's-0', undefined, 4 * 1024 * 1024, 1);
  t.equal(reader.pauses, 0);
  output.collect(2, 's-0', undefined, 4 * 1024 * 1024, 2);
  t.equal(reader.pauses, 1, 'paused at 8 MiB');
  driver.resumeIfDrained();
  t.equal(reader.resumes, 0, 'not while the records wait');
  driver.emitQueued(() => undefined);
  driver.resumeIfDrained();
  t.equal(reader.resumes, 1);
});

t.test('an idle subtask is active again before its next record goes out, not at the next periodic watermark', async (t) => {
  const { driver, output, events, clock } = await startedDriver(WatermarkStrategy.forBoundedOutOfOrderness<number>(0).withIdleness(1000).withTimestampAssigner((value) => value * 10));
  output.collect(1, 's-0', undefined, 10, 1);
  driver.emitQueued((record) => events.push(`emit ${record}`));
  t.same(driver.periodicWatermark(), { watermark: 9 });
  clock.now = 1000;
  t.same(driver.periodicWatermark(), { idle: true }, 'idle after a second without records');
  output.collect(2, 's-0', undefined, 10, 2);
  driver.emitQueued((record) => events.push(`emit ${record}`));
  t.same(events, ['schedule', 'emit 1', 'schedule', 'active', 'emit 2'], 'active before the record');
  t.same(driver.periodicWatermark(), { watermark: 19 }, 'no second status change at the next watermark');
});
