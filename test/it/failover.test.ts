// Failure and recovery as in Flink's playground: a killed TaskManager (kill -9) makes the job restart from its latest
// completed checkpoint on the TaskManagers that are left or new; every window is still exactly 1000. With the
// exactly-once sink and a read_committed reader every window appears exactly once, across three kills. (Without
// checkpointing a lost TaskManager fails the job: job-submission.test.ts.)
import t from 'tap';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster, type ClusterProcess } from '../testing/TestingCluster.js';
import { completedCheckpoints, createTopics, kafka, lostTaskManager, parseWindows, readCommittedUntil, readTopicUntil, submitJob, waitForRunning, windowsComplete, windowStartText } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const PAGES = 6;
const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');

t.test('kill -9 a TaskManager mid-run: the job restarts from its checkpoint, every window is 1000 and none is missing (at-least-once)', async (t) => {
  const WINDOWS = 8;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('failover');
  const jm = await cluster.startJobManager();
  const tm1 = await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('2 TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);

  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, args, 2);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 3000, maxWindows: WINDOWS });
  await readTopicUntil(topics.output, (values) => values.length >= PAGES);
  await waitFor('a completed checkpoint', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= 1);

  tm1.process.kill('SIGKILL');
  await waitFor('RESTARTING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.timestamps.RESTARTING > 0, { timeoutMs: 30_000 });
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitForRunning(jm.restUrl, jobId, 6);
  await generator;

  const records = parseWindows(await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1)));
  t.ok(records.every((r) => r.count === 1000), 'every count is exactly 1000');
  t.ok(windowsComplete(records, WINDOWS - 1), `windows 0 … ${WINDOWS - 2}: every page present`);

  const admin = kafka().admin();
  await admin.connect();
  const committed = await admin.fetchOffsets({ groupId: 'click-event-count', topics: [topics.input] }).finally(() => admin.disconnect());
  t.ok(committed[0]!.partitions.every((p) => Number(p.offset) > 0), 'completed checkpoints commit the source offsets to the group (for lag monitoring)');

  const { body: checkpoints } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`);
  t.ok(checkpoints.latest.restored, 'the job restored from a checkpoint');
  t.equal(checkpoints.latest.restored.is_savepoint, false);
  t.match(checkpoints.latest.restored.external_path, new RegExp(`${jobId}/chk-\\d+$`));
  const { body: exceptions } = await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`);
  t.match(exceptions['root-exception'], lostTaskManager(tm1.resourceId));
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '1' }]);
  t.match((await getJson(`${jm.restUrl}/jobs/${jobId}/config`)).body['execution-config']['restart-strategy'], /^ExponentialDelayRestartBackoffTimeStrategy\(initialBackoffMS=1000/);
  const log = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('\n');
  t.match(log, new RegExp(`Completed checkpoint \\d+ for job ${jobId} \\(\\d+ bytes, checkpointDuration=\\d+ ms, finalizationTime=\\d+ ms\\)\\.`));
  t.match(log, /Restoring job .* from Checkpoint \d+/);
});

t.test('three kills of different TaskManagers in one run, exactly-once sink: every window exactly once for a read_committed reader', async (t) => {
  const WINDOWS = 10;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('three-kills');
  const jm = await cluster.startJobManager();
  const slot1 = ['-D', 'taskmanager.numberOfTaskSlots=1'];
  const live: Array<{ process: ClusterProcess }> = [await cluster.startTaskManager(jm.rpcPort, slot1), await cluster.startTaskManager(jm.rpcPort, slot1)];
  await waitFor('2 TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);
  const args = [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output,
    '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once',
  ];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, args, 2);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 3000, maxWindows: WINDOWS });

  for (let kill = 1; kill <= 3; kill++) {
    const before = await completedCheckpoints(jm.restUrl, jobId);
    await waitFor('a new completed checkpoint', async () => (await completedCheckpoints(jm.restUrl, jobId)) > before, { timeoutMs: 60_000 });
    const victim = live.shift()!;
    victim.process.kill('SIGKILL');
    await waitFor(`restart ${kill}`, async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body[0]?.value === String(kill), { timeoutMs: 60_000 });
    live.push(await cluster.startTaskManager(jm.rpcPort, slot1));
    await waitForRunning(jm.restUrl, jobId, 6);
  }
  await generator;

  await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1));
  // Whatever else a restart could have written would be in a transaction of an earlier checkpoint: let two more
  // checkpoints complete, then read everything committed.
  const after = await completedCheckpoints(jm.restUrl, jobId);
  await waitFor('two more checkpoints', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= after + 2, { timeoutMs: 60_000 });
  const records = parseWindows(await readCommittedUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1)));
  t.ok(records.every((r) => r.count === 1000), 'every count is exactly 1000');
  for (let w = 0; w < WINDOWS - 1; w++) {
    const window = records.filter((r) => r.windowStart === windowStartText(w));
    t.equal(window.length, PAGES, `window ${w}: each page exactly once`);
    t.equal(new Set(window.map((r) => r.page)).size, PAGES);
  }
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '3' }]);
});

t.test('a TaskManager declared lost while still alive (SIGSTOP past heartbeat.timeout) cannot corrupt the new attempt', async (t) => {
  const WINDOWS = 8;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('zombie');
  const jm = await cluster.startJobManager();
  const slot1 = ['-D', 'taskmanager.numberOfTaskSlots=1'];
  const zombie = await cluster.startTaskManager(jm.rpcPort, slot1);
  t.teardown(() => zombie.process.kill('SIGCONT'));
  await waitFor('the first TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  await cluster.startTaskManager(jm.rpcPort, slot1);
  await waitFor('2 TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);
  const args = [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output,
    '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once',
  ];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, args, 2);
  await waitForRunning(jm.restUrl, jobId, 6);
  await cluster.startTaskManager(jm.rpcPort, slot1); // the spare
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 3000, maxWindows: WINDOWS });
  await waitFor('a completed checkpoint', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= 1, { timeoutMs: 60_000 });

  zombie.process.kill('SIGSTOP');
  await waitFor('restart 1', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body[0]?.value === '1', { timeoutMs: 60_000 });
  await waitForRunning(jm.restUrl, jobId, 6);
  zombie.process.kill('SIGCONT');
  const after = await completedCheckpoints(jm.restUrl, jobId);
  await waitFor('three more checkpoints after the zombie woke up', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= after + 3, { timeoutMs: 60_000 });
  await generator;
  await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1));
  const last = await completedCheckpoints(jm.restUrl, jobId);
  await waitFor('two more checkpoints', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= last + 2, { timeoutMs: 60_000 });

  const records = parseWindows(await readCommittedUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1)));
  t.ok(records.every((r) => r.count === 1000), 'every count is exactly 1000');
  for (let w = 0; w < WINDOWS - 1; w++) t.equal(records.filter((r) => r.windowStart === windowStartText(w)).length, PAGES, `window ${w}: each page exactly once`);
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '1' }], 'what the old attempts reported after waking up changed nothing');
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING');
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
