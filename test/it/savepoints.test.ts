// The seed's "upgrade and rescale" section for real: stop with a savepoint, restore unchanged, stop again, restore with
// more parallelism than there are slots (the job waits), add a TaskManager — and every window of the whole run is in
// `output` exactly once with count 1000 (exactly-once sink, read_committed), including the windows that spanned the
// stops. Also: savepoints over REST, a moved savepoint directory, and every bad restore input.
import t from 'tap';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, flinkCli as flink, parseWindows, readCommittedUntil, readTopicUntil, submitJob, waitForRunning, windowsComplete, windowStartText } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const PAGES = 6;
const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');

t.test('stop with savepoint, restore unchanged, stop, restore with -p 3 on 2 slots, add a TaskManager: every window exactly once', async (t) => {
  const WINDOWS = 12;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('upgrade');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort); // 2 slots
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const jobArgs = [CLICK_EVENT_COUNT, '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--checkpointing', '--event-time', '--delivery-guarantee', 'exactly-once'];
  const jobIdOf = (stdout: string) => /Job has been submitted with JobID ([0-9a-f]{32})/.exec(stdout)![1]!;

  const first = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '2', ...jobArgs]);
  t.equal(first.code, 0, first.stderr);
  let jobId = jobIdOf(first.stdout);
  await waitForRunning(jm.restUrl, jobId, 6);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 2000, maxWindows: WINDOWS });
  await readTopicUntil(topics.output, (values) => values.length >= PAGES);

  // Stop with a savepoint (into the configured default directory).
  const stop1 = await flink(cluster, jm.restUrl, ['stop', jobId]);
  t.equal(stop1.code, 0, stop1.stderr);
  t.match(stop1.stdout, `Suspending job "${jobId}" with a CANONICAL savepoint.\nTriggering stop-with-savepoint for job ${jobId}.\nWaiting for response...\nSavepoint completed. Path: file:${join(cluster.dir, 'savepoints')}/savepoint-${jobId.slice(0, 6)}-`);
  const savepoint1 = /Path: (\S+)/.exec(stop1.stdout)![1]!;
  t.match(savepoint1, /\/savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/);
  t.ok(existsSync(join(savepoint1.replace(/^file:/, ''), '_metadata')), '_metadata in the savepoint directory');
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'FINISHED', 'stop ends the job FINISHED');

  // Restore unchanged.
  const second = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '2', '-s', savepoint1, ...jobArgs]);
  t.equal(second.code, 0, second.stderr);
  jobId = jobIdOf(second.stdout);
  await waitForRunning(jm.restUrl, jobId, 6);
  const { body: restored } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`);
  t.match(restored.latest.restored, { is_savepoint: true, external_path: savepoint1 });
  const seen = (await readTopicUntil(topics.output, (values) => values.length >= PAGES)).length;
  await readTopicUntil(topics.output, (values) => values.length > seen);

  // Stop again, restore with -p 3 while there are only 2 slots: the job waits, then runs on a second TaskManager.
  const stop2 = await flink(cluster, jm.restUrl, ['stop', jobId]);
  t.equal(stop2.code, 0, stop2.stderr);
  const savepoint2 = /Path: (\S+)/.exec(stop2.stdout)![1]!;
  const third = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '3', '-s', savepoint2, ...jobArgs]);
  t.equal(third.code, 0, third.stderr);
  jobId = jobIdOf(third.stdout);
  await waitFor('tasks SCHEDULED, waiting for slots', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['status-counts'].SCHEDULED === 9);
  await cluster.startTaskManager(jm.rpcPort);
  await waitForRunning(jm.restUrl, jobId, 9);
  await generator;

  await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1));
  const completed = (await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).body.counts.completed;
  await waitFor('two more checkpoints', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).body.counts.completed >= completed + 2, { timeoutMs: 60_000 });
  const records = parseWindows(await readCommittedUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1)));
  t.ok(records.every((r) => r.count === 1000), 'every count is exactly 1000');
  for (let w = 0; w < WINDOWS - 1; w++) {
    const window = records.filter((r) => r.windowStart === windowStartText(w));
    t.equal(window.length, PAGES, `window ${w}: each page exactly once`);
  }
});

t.test('savepoints over REST; a moved savepoint restores; bad restores are refused and start nothing', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('savepoint-rest');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, args, 1);
  await waitForRunning(jm.restUrl, jobId, 3);
  await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: 3 });
  await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), 2));

  // A savepoint of a job without checkpointing, into a directory given in the request.
  const target = join(cluster.dir, 'elsewhere');
  const post = await fetch(`${jm.restUrl}/jobs/${jobId}/savepoints`, { method: 'POST', body: JSON.stringify({ 'target-directory': target, 'cancel-job': false }) });
  t.equal(post.status, 202);
  const { 'request-id': triggerId } = (await post.json()) as { 'request-id': string };
  t.match(triggerId, /^[0-9a-f]{32}$/);
  const status = await waitFor('the savepoint', async () => {
    const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/savepoints/${triggerId}`);
    return body.status.id === 'COMPLETED' && body;
  });
  t.match(status.operation.location, new RegExp(`^file:${target}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING', 'a plain savepoint leaves the job running');
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/savepoints/${'0'.repeat(32)}`)).status, 404);
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).status, 404, 'checkpointing is still off for this job');

  // Moved elsewhere, the savepoint still restores (file names in _metadata are relative).
  const original = status.operation.location.replace(/^file:/, '');
  const moved = join(cluster.dir, 'moved', 'sp');
  mkdirSync(join(cluster.dir, 'moved'));
  cpSync(original, moved, { recursive: true });
  rmSync(original, { recursive: true });
  await fetch(`${jm.restUrl}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  await waitFor('CANCELED', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status === 'CANCELED');
  const fromMoved = await flink(cluster, jm.restUrl, ['run', '-d', '-s', moved, CLICK_EVENT_COUNT, ...args]);
  t.equal(fromMoved.code, 0, fromMoved.stderr);
  const restoredId = /JobID ([0-9a-f]{32})/.exec(fromMoved.stdout)![1]!;
  await waitForRunning(jm.restUrl, restoredId, 3);
  t.match((await getJson(`${jm.restUrl}/jobs/${restoredId}/checkpoints`)).status, 404);
  await fetch(`${jm.restUrl}/jobs/${restoredId}?mode=cancel`, { method: 'PATCH' });
  await waitFor('CANCELED', async () => (await getJson(`${jm.restUrl}/jobs/${restoredId}/status`)).body.status === 'CANCELED');

  // Bad inputs: each refused with a clear message, and no job is started.
  const jobsBefore = (await getJson(`${jm.restUrl}/jobs`)).body.jobs.length;
  const missing = await flink(cluster, jm.restUrl, ['run', '-d', '-s', join(cluster.dir, 'nope'), CLICK_EVENT_COUNT, ...args]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, `Cannot find checkpoint or savepoint file/directory '${join(cluster.dir, 'nope')}' on file system 'file'.`);
  mkdirSync(join(cluster.dir, 'not-a-savepoint'));
  const notSavepoint = await flink(cluster, jm.restUrl, ['run', '-d', '-s', join(cluster.dir, 'not-a-savepoint'), CLICK_EVENT_COUNT, ...args]);
  t.equal(notSavepoint.code, 1);
  t.match(notSavepoint.stderr, "Cannot find meta data file '_metadata' in directory");
  writeFileSync(join(cluster.dir, 'not-a-savepoint', '_metadata'), 'garbage');
  const garbage = await flink(cluster, jm.restUrl, ['run', '-d', '-s', join(cluster.dir, 'not-a-savepoint'), CLICK_EVENT_COUNT, ...args]);
  t.equal(garbage.code, 1);
  t.match(garbage.stderr, 'is not a tsflink checkpoint metadata file');
  // A program without the stateful operators of the savepoint: refused unless -n.
  const otherProgram = join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'FailingMap.ts');
  const otherArgs = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input];
  const unmapped = await flink(cluster, jm.restUrl, ['run', '-d', '-s', moved, otherProgram, ...otherArgs]);
  t.equal(unmapped.code, 1);
  t.match(unmapped.stderr, /Cannot map checkpoint\/savepoint state for operator [0-9a-f]{32} to the new program, because the operator is not available in the new program\. If you want to allow to skip this, you can set the --allowNonRestoredState option on the CLI\./);
  const tooWide = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '200', '-s', moved, CLICK_EVENT_COUNT, ...args]);
  t.equal(tooWide.code, 1);
  t.match(tooWide.stderr, /parallelism \(200\) of operator .* is higher than its maximum parallelism \(128\)/);
  t.equal((await getJson(`${jm.restUrl}/jobs`)).body.jobs.length, jobsBefore, 'no job was started by a bad restore');
  const skipped = await flink(cluster, jm.restUrl, ['run', '-d', '-n', '-s', moved, otherProgram, ...otherArgs]);
  t.equal(skipped.code, 0, `-n skips the state nobody takes: ${skipped.stderr}`);

  // Stop and savepoint without a directory, when none is configured: Flink's 400s.
  const noDefault = new TestingCluster();
  t.teardown(() => noDefault.close());
  const bareJm = await noDefault.startJobManager(['-D', 'execution.checkpointing.savepoint-dir=']);
  const bare = await fetch(`${bareJm.restUrl}/jobs/${'a'.repeat(32)}/stop`, { method: 'POST', body: '{}' });
  t.equal(bare.status, 400);
  t.same(await bare.json(), { errors: ['Config key [execution.checkpointing.savepoint-dir] is not set. Property [targetDirectory] must be provided.'] });
  const bareSavepoint = await fetch(`${bareJm.restUrl}/jobs/${'a'.repeat(32)}/savepoints`, { method: 'POST', body: '{}' });
  t.same(await bareSavepoint.json(), { errors: ['Config key [execution.checkpointing.savepoint-dir] is not set. Property [target-directory] must be provided.'] });

  // Disposal.
  const disposed = await flink(cluster, jm.restUrl, ['savepoint', '-d', moved]);
  t.equal(disposed.code, 0, disposed.stderr);
  t.equal(disposed.stdout, `Disposing savepoint '${moved}'.\nWaiting for response...\nSavepoint '${moved}' disposed.\n`);
  t.notOk(existsSync(moved));
});

t.test('rescale down 3 → 1 with stop and run -s, then `flink rescale -p 2`: every window exactly once', async (t) => {
  const WINDOWS = 12;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('rescale');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('2 TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);
  const jobArgs = [CLICK_EVENT_COUNT, '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--checkpointing', '--event-time', '--delivery-guarantee', 'exactly-once'];
  const jobIdOf = (stdout: string) => /Job has been submitted with JobID ([0-9a-f]{32})/.exec(stdout)![1]!;

  const first = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '3', ...jobArgs]);
  t.equal(first.code, 0, first.stderr);
  let jobId = jobIdOf(first.stdout);
  await waitForRunning(jm.restUrl, jobId, 9);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 2000, maxWindows: WINDOWS });
  await readTopicUntil(topics.output, (values) => values.length >= PAGES);

  const stop = await flink(cluster, jm.restUrl, ['stop', jobId]);
  t.equal(stop.code, 0, stop.stderr);
  const savepoint = /Path: (\S+)/.exec(stop.stdout)![1]!;
  const down = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '1', '-s', savepoint, ...jobArgs]);
  t.equal(down.code, 0, down.stderr);
  jobId = jobIdOf(down.stdout);
  await waitForRunning(jm.restUrl, jobId, 3);
  const seen = (await readTopicUntil(topics.output, (values) => values.length >= PAGES)).length;
  await readTopicUntil(topics.output, (values) => values.length > seen);

  const started = Date.now();
  const rescale = await flink(cluster, jm.restUrl, ['rescale', '-p', '2', jobId]);
  t.equal(rescale.code, 0, rescale.stderr);
  const match = new RegExp(`^Rescaling job ${jobId} to parallelism 2\\.\\nWaiting for response\\.\\.\\.\\nRescaled job ${jobId}: it goes on as job ([0-9a-f]{32}) with parallelism 2, restored from savepoint (file:\\S+)\\.\\n$`).exec(rescale.stdout);
  t.ok(match, rescale.stdout);
  const rescaledId = match![1]!;
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'FINISHED', 'the old job ended with its savepoint');
  await waitForRunning(jm.restUrl, rescaledId, 6);
  t.comment(`flink rescale: ${Date.now() - started} ms from the command to every subtask of the new job RUNNING`);
  t.match((await getJson(`${jm.restUrl}/jobs/${rescaledId}/checkpoints`)).body.latest.restored, { is_savepoint: true, external_path: match![2]! });
  await generator;

  await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1));
  const completed = (await getJson(`${jm.restUrl}/jobs/${rescaledId}/checkpoints`)).body.counts.completed;
  await waitFor('two more checkpoints', async () => (await getJson(`${jm.restUrl}/jobs/${rescaledId}/checkpoints`)).body.counts.completed >= completed + 2, { timeoutMs: 60_000 });
  const records = parseWindows(await readCommittedUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1)));
  t.ok(records.every((r) => r.count === 1000), 'every count is exactly 1000');
  for (let w = 0; w < WINDOWS - 1; w++) t.equal(records.filter((r) => r.windowStart === windowStartText(w)).length, PAGES, `window ${w}: each page exactly once`);

  const badRescale = await fetch(`${jm.restUrl}/jobs/${rescaledId}/rescaling?parallelism=zero`, { method: 'PATCH' });
  t.equal(badRescale.status, 400);
});

t.test('stop --drain fires every window before the savepoint; cancel -s takes a savepoint and cancels', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('drain');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const jobArgs = [CLICK_EVENT_COUNT, '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time'];
  const first = await flink(cluster, jm.restUrl, ['run', '-d', ...jobArgs]);
  const jobId = /JobID ([0-9a-f]{32})/.exec(first.stdout)![1]!;
  await waitForRunning(jm.restUrl, jobId, 3);
  await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: 3 });
  await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), 2));

  const drained = await flink(cluster, jm.restUrl, ['stop', '--drain', jobId]);
  t.equal(drained.code, 0, drained.stderr);
  t.match(drained.stdout, `Draining job "${jobId}" with a CANONICAL savepoint.\nTriggering stop-with-savepoint for job ${jobId}.\nWaiting for response...\nSavepoint completed. Path: file:`);
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'FINISHED');
  const records = parseWindows(await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), 3)));
  t.ok(records.filter((r) => r.windowStart === windowStartText(2)).every((r) => r.count === 1000), 'the last window, which no watermark had closed, fired with all its events');

  const savepoint = /Path: (\S+)/.exec(drained.stdout)![1]!;
  const second = await flink(cluster, jm.restUrl, ['run', '-d', '-s', savepoint, ...jobArgs]);
  const secondId = /JobID ([0-9a-f]{32})/.exec(second.stdout)![1]!;
  await waitForRunning(jm.restUrl, secondId, 3);
  // As with Flink's parser, -s takes the next word as its directory: without one it goes last.
  const cancelled = await flink(cluster, jm.restUrl, ['cancel', secondId, '-s']);
  t.equal(cancelled.code, 0, cancelled.stderr);
  t.equal(cancelled.stderr, 'DEPRECATION WARNING: Cancelling a job with savepoint is deprecated. Use "stop" instead.\n');
  t.match(cancelled.stdout, new RegExp(`^Cancelling job ${secondId} with CANONICAL savepoint to default savepoint directory\\.\\nCancelled job ${secondId}\\. Savepoint stored in file:\\S+/savepoint-${secondId.slice(0, 6)}-[0-9a-f]{12}\\.\\n$`));
  await waitFor('CANCELED', async () => (await getJson(`${jm.restUrl}/jobs/${secondId}/status`)).body.status === 'CANCELED');
});
