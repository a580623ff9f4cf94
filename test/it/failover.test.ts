// With checkpointing enabled (the example's --checkpointing), a killed TaskManager restarts the job instead of failing
// it. There are no completed checkpoints yet in this version, so the restarted job reads its input again from the
// start: windows are emitted again (at-least-once), and every count is still exactly 1000.
import t from 'tap';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, readTopicUntil, submitJob, windowStartText, type WindowCount } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const WINDOWS = 6;
const PAGES = 6;

t.test('kill -9 a TaskManager: the job goes RESTARTING, redeploys on a new TaskManager, and every window is 1000', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('failover');
  const jm = await cluster.startJobManager();
  const tm1 = await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('2 TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);

  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing'];
  const jobId = await submitJob(jm.restUrl, join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts'), args, 2);
  await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: WINDOWS });
  const once = (WINDOWS - 1) * PAGES;
  await readTopicUntil(topics.output, (values) => values.length >= once);

  const attemptIds = async () => {
    const ids: string[] = [];
    for (const v of (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.vertices) {
      ids.push(...(await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${v.id}`)).body.subtasks.map((s: any) => `${s.subtask}#${s.attempt}`));
    }
    return ids;
  };
  t.ok((await attemptIds()).every((id) => id.endsWith('#0')));

  tm1.process.kill('SIGKILL');
  await waitFor('RESTARTING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.timestamps.RESTARTING > 0, { timeoutMs: 30_000 });
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('RUNNING again with every subtask RUNNING', async () => {
    const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
    return body.state === 'RUNNING' && body['status-counts'].RUNNING === 6;
  }, { timeoutMs: 60_000 });
  t.ok((await attemptIds()).every((id) => id.endsWith('#1')), 'every subtask runs as attempt 1');

  const output = await readTopicUntil(topics.output, (values) => values.length >= 2 * once);
  const records = output.map((v) => JSON.parse(v) as WindowCount);
  t.ok(records.every((r) => r.count === 1000), 'every count is exactly 1000');
  for (let w = 0; w < WINDOWS - 1; w++) {
    t.equal(records.filter((r) => r.windowStart === windowStartText(w)).length, 2 * PAGES, `window ${w}: every page, once per attempt`);
  }
  const { body: exceptions } = await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`);
  t.match(exceptions['root-exception'], `TaskManager with id ${tm1.resourceId}`);
  t.equal((await getJson(`${jm.restUrl}/jobs/overview`)).body.jobs[0].state, 'RUNNING');
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '1' }]);
  t.match((await getJson(`${jm.restUrl}/jobs/${jobId}/config`)).body['execution-config']['restart-strategy'], /^ExponentialDelayRestartBackoffTimeStrategy\(initialBackoffMS=1000/);
});

t.test('fixed-delay restarts: a task exception restarts the job until the attempts are used up, then it fails', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('restarts');
  const jm = await cluster.startJobManager([
    '-D', 'restart-strategy.type=fixed-delay', '-D', 'restart-strategy.fixed-delay.attempts=2', '-D', 'restart-strategy.fixed-delay.delay=100 ms',
  ]);
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const { Kafka, logLevel } = await import('kafkajs');
  const producer = new Kafka({ brokers: [testRun().kafka.bootstrapServers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: topics.input, messages: [{ value: 'fine' }, { value: 'poison' }] });
  await producer.disconnect();

  const jobId = await submitJob(jm.restUrl, join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'FailingMap.ts'), [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--checkpointing',
  ]);
  await waitFor('FAILED after the restarts', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status === 'FAILED', { timeoutMs: 90_000 });
  const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`);
  t.equal(body.exceptionHistory.entries.length, 3, 'one failure per attempt: the first run and 2 restarts');
  t.ok(body.exceptionHistory.entries.every((e: any) => e.stacktrace.includes("Cannot digest record 'poison'")));
  const subtasks = (await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${(await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.vertices[0].id}`)).body.subtasks;
  t.equal(subtasks[0].attempt, 2, 'the last attempt is number 2');
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts,noSuchMetric`)).body, [{ id: 'numRestarts', value: '2' }]);
  const log = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('\n');
  t.match(log, /failed; restarting the job/);
  t.match(log, /failed; failing the job \(Restart with fixed delay \(100 ms\)\. #2 restart attempts\.\)/);
});
