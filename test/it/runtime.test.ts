// Processing time, backpressure with bounded memory, and malformed input records.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from '../../src/connectors/kafka/kafkajs.js';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, readTopicUntil, submitJob, windowStartText, type WindowCount } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const producerFor = () => new Kafka({ brokers: [testRun().kafka.bootstrapServers], logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

t.test('processing-time windows (no --event-time) run and produce counts', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('proctime');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output]);
  await waitFor('RUNNING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['status-counts'].RUNNING === 3);
  await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: 2 });
  // Processing-time windows close on the wall clock (15 s); wait for the one that holds the events.
  const output = await readTopicUntil(topics.output, (values) => values.length >= 1, 60_000);
  const records = output.map((v) => JSON.parse(v) as WindowCount);
  for (const r of records) {
    t.ok(r.count > 0 && ['/help', '/index', '/shop', '/jobs', '/about', '/news'].includes(r.page), JSON.stringify(r));
    t.ok(Date.parse(`${r.windowStart.slice(6, 10)}-${r.windowStart.slice(3, 5)}-${r.windowStart.slice(0, 2)}T${r.windowStart.slice(11, 19)}Z`) > Date.now() - 3600_000, 'a wall-clock window');
  }
});

t.test('a malformed record is skipped and counted; every window is still exactly 1000', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('malformed', 1);
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const producer = producerFor();
  await producer.connect();
  await producer.send({ topic: topics.input, messages: [{ value: 'not json' }, { value: '{"timestamp":"99-99-1970 00:00:00:000","page":"/help"}' }, { value: '{"page":"/help"}' }] });
  await producer.disconnect();
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time']);
  await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: 4 });
  const output = await readTopicUntil(topics.output, (values) => values.length >= 18);
  const records = output.map((v) => JSON.parse(v) as WindowCount);
  t.equal(records.length, 18);
  t.ok(records.every((r) => r.count === 1000), 'every count is 1000');
  t.same([...new Set(records.map((r) => r.windowStart))].sort(), [0, 1, 2].map(windowStartText));
  const log = cluster.logFiles().filter((f) => f.includes('taskexecutor')).map((f) => cluster.readLog(f)).join('\n');
  t.match(log, /Skipped a record of split .* that could not be read: topic malformed-input-[0-9a-f]+, partition 0, offset 0: Unexpected token/);
  t.match(log, /offset 1: Timestamp '99-99-1970 00:00:00:000' is out of range/);
  t.ok(jobId);
});

t.test('backpressure: a slow sink slows the source, memory stays bounded, and every record arrives', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('backpressure');
  const records = 200_000; // a multiple of 800
  const jm = await cluster.startJobManager();
  const tm = await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const jobId = await submitJob(jm.restUrl, join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'SlowSink.ts'), [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--delay-ms', '40',
  ]);
  await waitFor('RUNNING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['status-counts'].RUNNING === 2);
  const baseline = rssMiB(tm.process.pid);
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(tm.process.pid))), 100);
  t.teardown(() => clearInterval(sampler));

  // ~192 MiB arrive much faster than the sink takes them (it sleeps 40 ms per batch).
  const producer = producerFor();
  await producer.connect();
  const payload = 'x'.repeat(1000);
  for (let sent = 0; sent < records; sent += 800) {
    await producer.send({ topic: topics.input, messages: Array.from({ length: 800 }, (_, i) => ({ value: `${sent + i}:${payload}` })) });
  }
  await producer.disconnect();

  const seen = new Set<number>();
  await readTopicUntil(topics.output, (values) => {
    for (const v of values.splice(0)) seen.add(Number(v.slice(0, v.indexOf(':'))));
    return seen.size >= records;
  }, 240_000);
  clearInterval(sampler);
  t.equal(seen.size, records, 'every record arrived');

  const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
  const source = body.vertices.find((v: any) => v.name === 'Source');
  t.ok(source.metrics['accumulated-backpressured-time'] > 0, `the source waited for the sink (${source.metrics['accumulated-backpressured-time']} ms)`);
  const backlog = (records * 1007) / 1048576;
  t.comment(`TaskManager RSS ${baseline.toFixed(0)} MiB with the job running, peak ${peak.toFixed(0)} MiB, for a ${backlog.toFixed(0)} MiB backlog`);
  // Reading the backlog ahead of the sink would hold all of it in memory, on top of the ~150-180 MiB of buffers and
  // garbage-collector headroom measured with bounded queues; the bound leaves room for that headroom only.
  t.ok(peak - baseline < 1.5 * backlog, `TaskManager RSS grew by ${(peak - baseline).toFixed(0)} MiB (bound: 1.5 × the backlog)`);
});
