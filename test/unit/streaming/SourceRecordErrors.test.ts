// The error path of a source subtask: records the deserialization schema cannot read and records the key selector
// cannot key are counted in numRecordsInErrors (the subtask's, and the source operator's), the first ten are logged
// with topic, partition and offset, then one line says further errors are suppressed; the records around them go
// through, and the checkpointed position is past every skipped record.
import { join } from 'node:path';
import t from 'tap';
import type { MetricEntry } from '../../../src/metrics/MetricGroup.js';
import { decodeSubtaskState } from '../../../src/state/StateHandles.js';
import { MAX_LOGGED_RECORD_ERRORS } from '../../../src/streaming/RecordErrors.js';
import { GOOD_PAGES, UNKEYABLE_OFFSET, UNREADABLE_OFFSETS, VALUES } from '../../fixtures/jobs/PoisonRecords.js';
import { StreamTaskTestHarness } from '../../testing/streaming/StreamTaskTestHarness.js';

const PROGRAM = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'PoisonRecords.ts');

async function sourceTask(t: Parameters<typeof StreamTaskTestHarness.create>[0]) {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: 'Clicks', outputChannels: ['out'] });
  h.grantCredit('out', 10);
  await h.start();
  await h.settle();
  return h;
}

function metric(entries: MetricEntry[], operator: string, name: string): unknown {
  return entries.find(([o, g, n]) => o === operator && g === '' && n === name)?.[3];
}

t.test('malformed records and a record without a key go to numRecordsInErrors and the log; good ones go through', async (t) => {
  const h = await sourceTask(t);
  t.same(
    h.recordsSent('out').map((r) => (r as { page: string }).page),
    GOOD_PAGES,
    'every good record, in order, and nothing else',
  );

  h.executor.advanceTime(1000);
  await h.settle();
  const { entries } = h.endpoint.sentOfType('metrics').at(-1)!.metrics;
  const errors = UNREADABLE_OFFSETS.length + 1;
  t.equal(metric(entries, '', 'numRecordsInErrors'), errors, "the subtask's numRecordsInErrors");
  t.equal(metric(entries, 'Clicks', 'numRecordsInErrors'), errors, "the source operator's numRecordsInErrors");
  t.equal(metric(entries, 'Clicks', 'numRecordsOut'), GOOD_PAGES.length, 'the source emitted the good records only');
  t.equal(metric(entries, '', 'numRecordsOut'), GOOD_PAGES.length, 'and the subtask sent them');

  const warnings = h.endpoint.sentOfType('log').filter((m) => m.level === 'WARN').map((m) => m.message);
  t.equal(warnings.length, MAX_LOGGED_RECORD_ERRORS + 1, 'ten records logged, then one line');
  const errorOffsets = [...UNREADABLE_OFFSETS, UNKEYABLE_OFFSET].sort((a, b) => a - b);
  for (let i = 0; i < MAX_LOGGED_RECORD_ERRORS; i++) {
    t.match(warnings[i], `topic clicks, partition 0, offset ${errorOffsets[i]}:`, `line ${i + 1}: the record's topic, partition and offset`);
  }
  t.match(warnings[MAX_LOGGED_RECORD_ERRORS], /further errors suppressed/);
  t.match(warnings[0], /^Skipped a record of split clicks-0 that could not be read: topic clicks, partition 0, offset 1: .*JSON.*; value: "\{\\"timestamp\\".*\(46 bytes\)$/, 'the exception message and the value');
  t.match(warnings[1], 'offset 3: The record has a null value (a tombstone).; value: null');
  t.match(warnings[2], 'offset 4: Click event without a "page" string.');
  t.match(warnings[3], 'offset 5: Click event without a "timestamp" string.');
  t.match(warnings[4], "offset 6: Timestamp '31-02-2024 00:00:00:000' is out of range.");
  t.match(warnings[5], 'offset 7: Click event is not valid UTF-8.');
  t.match(warnings[6], 'offset 8: Click event is not a JSON object.');
  t.match(warnings[7], 'offset 9: Click event is not a JSON object.');
  t.match(
    warnings[8],
    /^Skipped a record of split clicks-0 that could not be keyed: topic clicks, partition 0, offset 10: Could not extract a key from the record: no key for \/throw; record: \{.*"page":"\/throw"\}$/,
    'a key selector that throws: the record and the cause',
  );

  t.equal(h.endpoint.sentOfType('log').filter((m) => /offset (14|16)/.test(m.message)).length, 0, 'nothing logged after the suppressed line');

  h.triggerCheckpoint(1);
  const ack = await h.endpoint.waitFor('checkpointAck');
  const sourceId = h.vertex.operators[0]!.operatorId;
  t.same(
    decodeSubtaskState(ack.subtaskState).operators[sourceId]!.splits,
    [{ splitId: 'clicks-0', position: String(VALUES.length) }],
    'the checkpoint resumes after the last record, a malformed one: it is not read again',
  );
  h.cancel();
  t.equal((await h.ended).state, 'CANCELED', 'the task ran on until cancelled');
});

t.test('restored past a skipped record, the source neither reads nor counts it again', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: 'Clicks', outputChannels: ['out'] });
  // As a restore from a checkpoint taken after the empty record at offset 13 (position 14).
  h.descriptor.restore = {
    checkpointId: 1,
    checkpointDirectory: h.checkpointLocation(1),
    operators: { [h.vertex.operators[0]!.operatorId]: { keyed: [], splits: [{ splitId: 'clicks-0', position: '14' }], sinkWriters: [] } },
  };
  h.grantCredit('out', 10);
  await h.start();
  await h.settle();
  t.same(h.recordsSent('out').map((r) => (r as { page: string }).page), ['/d'], 'only the good record after position 14');
  h.executor.advanceTime(1000);
  await h.settle();
  t.equal(metric(h.endpoint.sentOfType('metrics').at(-1)!.metrics.entries, '', 'numRecordsInErrors'), 2, 'offsets 14 and 16 only');
  h.cancel();
  await h.ended;
});

t.test('a task that reads channels: a record its output cannot key is skipped, counted and logged', async (t) => {
  const h = await StreamTaskTestHarness.create(t, { program: PROGRAM, vertexName: 'Upper', inputChannels: ['in'], outputChannels: ['out'] });
  h.grantCredit('out', 10);
  await h.start();
  h.sendRecords('in', ['a', 'bad', 'b']);
  await h.settle();
  t.same(h.recordsSent('out'), ['A', 'B'], 'the records around it go on');
  t.match(h.endpoint.sentOfType('log').filter((m) => m.level === 'WARN').map((m) => m.message), [
    'Skipped a record of input channel in that could not be keyed: Could not extract a key from the record: The key selector returned undefined; a key is a string or a number.; record: "BAD"',
  ]);
  h.executor.advanceTime(1000);
  await h.settle();
  const { entries } = h.endpoint.sentOfType('metrics').at(-1)!.metrics;
  t.equal(metric(entries, '', 'numRecordsInErrors'), 1);
  t.equal(metric(entries, 'Upper', 'numRecordsIn'), 3);
  t.equal(metric(entries, 'Upper', 'numRecordsOut'), 2, 'the skipped record is not counted out');
  h.cancel();
  t.equal((await h.ended).state, 'CANCELED');
});
