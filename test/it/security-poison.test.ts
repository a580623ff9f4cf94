// No poison pills (issue 14): ClickEventCount on real processes over real Kafka, with records among the generated
// events that used to restart the job forever or could corrupt a count —
//   - click events whose page is 65 536 bytes and 1 MiB (keys the 16-bit key length of the state backend could not
//     hold): valid events, so they are counted, each in its own window of count 1;
//   - malformed JSON, a null value (tombstone), invalid UTF-8 and an event without a page: not events, so they go to
//     the source's error path (numRecordsInErrors, a log line with topic, partition and offset) and are skipped.
// The job stays RUNNING without a restart, and every regular window is exactly 1000 per page.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { jobStatus, kafka, readTopicUntil, submitJob, waitForRunning, windowStartText, type WindowCount } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const JOB = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const PAGES = ['/help', '/index', '/shop', '/jobs', '/about', '/news'];
/** Complete windows written; the last one stays open (no later event moves the watermark past it). */
const WINDOWS = 6;
/** The poison goes in after the events of windows 0–2 (event time < 45 s). */
const POISON_AFTER_WINDOWS = 3;
/** 44 990 ms: after the last generated event before it (44 985 ms), so not late, and in window 2 (30–45 s). */
const POISON_TIME = '01-01-1970 00:00:44:990';
const BIG_WINDOW = 2;
const PAGE_64K = 'K'.repeat(65_536);
const PAGE_1M = 'M'.repeat(1024 * 1024);
/** Records of up to ~1 MiB plus framing in and out: above the broker's default max.message.bytes (1 MiB + 12). */
const MAX_MESSAGE_BYTES = String(4 * 1024 * 1024);

t.test('big pages are counted, malformed records are skipped and counted, the job never restarts', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const id = randomBytes(4).toString('hex');
  const topics = { input: `poison-input-${id}`, output: `poison-output-${id}` };
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [topics.input, topics.output].map((topic) => ({
        topic,
        numPartitions: 2,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: MAX_MESSAGE_BYTES }],
      })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }

  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=2']);
  await waitFor('TaskManager registered', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const bootstrapServers = testRun().kafka.bootstrapServers;
  const args = ['--bootstrap.servers', bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing'];
  const jobId = await submitJob(jm.restUrl, JOB, args, 2);
  await waitForRunning(jm.restUrl, jobId, 6);

  const before = await runGenerator({ bootstrapServers, topic: topics.input, rate: 0, maxWindows: POISON_AFTER_WINDOWS });
  t.equal(before, POISON_AFTER_WINDOWS * 6000);

  // The poison, spread over both partitions; each bad record's partition and offset is what the log must name.
  const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const bad: Array<{ name: string; partition: number; offset: string }> = [];
  try {
    const send = async (partition: number, value: Buffer | null) => {
      const [metadata] = await producer.send({ topic: topics.input, acks: -1, messages: [{ partition, value }] });
      return metadata!.baseOffset!;
    };
    const event = (page: string) => Buffer.from(JSON.stringify({ timestamp: POISON_TIME, page }));
    await send(0, event(PAGE_64K));
    await send(1, event(PAGE_1M));
    const badRecords: Array<[string, number, Buffer | null]> = [
      ['malformed JSON', 0, Buffer.from(`{"timestamp":"${POISON_TIME}","page":`)],
      ['null value', 1, null],
      ['invalid UTF-8', 0, Buffer.concat([Buffer.from(`{"timestamp":"${POISON_TIME}","page":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
      ['no page', 1, Buffer.from(`{"timestamp":"${POISON_TIME}"}`)],
    ];
    for (const [name, partition, value] of badRecords) bad.push({ name, partition, offset: await send(partition, value) });
  } finally {
    await producer.disconnect();
  }

  const after = await runGenerator({ bootstrapServers, topic: topics.input, rate: 0, maxWindows: WINDOWS, startIndex: POISON_AFTER_WINDOWS * 6000 });
  t.equal(after, (WINDOWS - POISON_AFTER_WINDOWS) * 6000);

  const regular = (WINDOWS - 1) * PAGES.length;
  const expected = regular + 2;
  const diagnose = async () => {
    t.comment(`job: ${JSON.stringify((await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.state)}`);
    t.comment(cluster.logFiles().map((f) => cluster.readLog(f).split('\n').filter((l) => / WARN | ERROR /.test(l)).map((l) => l.slice(0, 400)).join('\n')).join('\n'));
  };
  const output = await readTopicUntil(topics.output, (values) => values.length >= expected, 120_000).catch(async (error) => {
    await diagnose();
    throw error;
  });
  const records = output.map((v) => JSON.parse(v) as WindowCount);
  for (let w = 0; w < WINDOWS - 1; w++) {
    for (const page of PAGES) {
      const found = records.filter((r) => r.windowStart === windowStartText(w) && r.page === page);
      t.same(
        found.map((r) => [r.count, r.windowEnd]),
        [[1000, windowStartText(w + 1)]],
        `window ${w}, ${page}: exactly 1000, once`,
      );
    }
  }
  for (const [name, page] of [['65 536-byte page', PAGE_64K], ['1 MiB page', PAGE_1M]] as const) {
    const found = records.filter((r) => r.page === page);
    t.same(
      found.map((r) => [r.windowStart, r.windowEnd, r.count]),
      [[windowStartText(BIG_WINDOW), windowStartText(BIG_WINDOW + 1), 1]],
      `the ${name}: its own window (${BIG_WINDOW}, where its event time falls), count 1, once`,
    );
  }
  t.equal(records.length, expected, 'nothing else: no count of a malformed record, the last window still open');

  // Still running, never restarted: every subtask is on its first attempt.
  t.equal(await jobStatus(jm.restUrl, jobId), 'RUNNING');
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '0' }]);
  const { body: job } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
  for (const vertex of job.vertices) {
    const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${vertex.id}`);
    for (const s of body.subtasks) t.equal(s.attempt, 0, `${vertex.name} (${s.subtask}): attempt 0`);
  }

  // numRecordsInErrors through REST: the subtasks of the source, summed, and the source operator's own counter.
  const source = job.vertices.find((v: { name: string }) => v.name === 'ClickEvent Source');
  const vertexUrl = `${jm.restUrl}/jobs/${jobId}/vertices/${source.id}`;
  await waitFor('numRecordsInErrors reported', async () => {
    const { body } = await getJson(`${vertexUrl}/subtasks/metrics?get=numRecordsInErrors&agg=sum`);
    return body[0]?.sum === bad.length;
  }, { timeoutMs: 30_000 });
  const { body: operatorErrors } = await getJson(`${vertexUrl}/subtasks/metrics?get=ClickEvent_Source.numRecordsInErrors&agg=sum`);
  t.same(operatorErrors, [{ id: 'ClickEvent_Source.numRecordsInErrors', sum: bad.length }], "the source operator's counter");
  const { body: counterErrors } = await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${job.vertices[1].id}/subtasks/metrics?get=numRecordsInErrors&agg=sum`);
  t.same(counterErrors, [{ id: 'numRecordsInErrors', sum: 0 }], 'the window operator had no record errors');

  // The TaskManager's log names each skipped record's topic, partition and offset, and why.
  const log = cluster.logFiles().filter((f) => f.includes('taskexecutor') && f.endsWith('.log')).map((f) => cluster.readLog(f)).join('\n');
  for (const { name, partition, offset } of bad) {
    t.match(log, `that could not be read: topic ${topics.input}, partition ${partition}, offset ${offset}: `, `${name}: logged with topic, partition and offset`);
  }
  t.match(log, 'The record has a null value');
  t.match(log, 'Click event is not valid UTF-8.');
  t.match(log, 'Click event without a "page" string.');
  t.notMatch(log, 'further errors suppressed', 'four errors: all logged, none suppressed');
  t.notMatch(log, PAGE_64K.slice(0, 1000), 'no page of a counted event is logged in full');

  const cancel = await fetch(`${jm.restUrl}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  t.equal(cancel.status, 202);
  await waitFor('job CANCELED', async () => (await jobStatus(jm.restUrl, jobId)) === 'CANCELED');
});
