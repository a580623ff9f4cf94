// Submitting programs: what a bad program answers, cancelling, a failing job's exceptions, and waiting for slots.
import t from 'tap';
import { join } from 'node:path';
import { Kafka, logLevel } from '../../src/connectors/kafka/kafkajs.js';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { clusterProcessEnv, TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, jobStatus, lostTaskManager, readTopicUntil, runFlinkCli, submitJob, uploadJob } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'jobs');
const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');

// Asynchronous: a test blocked in spawnSync for seconds finds its HTTP keep-alive connections closed under it by the
// server (seen in CI as "fetch failed: SocketError" on the next request).
function flink(args: string[], confDir: string) {
  return runFlinkCli(args, { ...clusterProcessEnv(), FLINK_CONF_DIR: confDir }, 120_000);
}

async function run(restUrl: string, jarId: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${restUrl}/jars/${jarId}/run`, { method: 'POST', body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

t.test('bad programs are refused with 400 and a clear message, over REST and the CLI', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();

  const form = new FormData();
  form.append('jarfile', new Blob(['hello']), 'notes.txt');
  const wrongType = await fetch(`${jm.restUrl}/jars/upload`, { method: 'POST', body: form });
  t.equal(wrongType.status, 400);
  t.match(((await wrongType.json()) as { errors: string[] }).errors[0], "Only TypeScript or JavaScript job files (.ts, .mts, .js, .mjs) are allowed; got 'notes.txt'.");

  const syntax = await uploadJob(jm.restUrl, join(FIXTURES, 'SyntaxError.ts')).catch((e: Error) => e.message);
  t.match(syntax, /upload failed \(400\).*The job program could not be compiled: SyntaxError\.ts:3:\d+: Unexpected/);

  const noMain = await run(jm.restUrl, await uploadJob(jm.restUrl, join(FIXTURES, 'NoMain.ts')), {});
  t.equal(noMain.status, 400);
  t.match(noMain.body.errors[0], 'does not export a main(args) function');

  const throws = await run(jm.restUrl, await uploadJob(jm.restUrl, join(FIXTURES, 'MainThrows.ts')), { programArgs: '--a b' });
  t.equal(throws.status, 400);
  t.match(throws.body.errors[0], 'The main method caused an error: main() refused to run: missing --input-topic');

  const noExecute = await run(jm.restUrl, await uploadJob(jm.restUrl, join(FIXTURES, 'NoExecute.ts')), undefined);
  t.equal(noExecute.status, 400);
  t.same(noExecute.body, { errors: ["The program didn't contain a Flink job. Perhaps you forgot to call execute() on the execution environment."] });

  const unknownJar = await run(jm.restUrl, 'nope.ts', {});
  t.equal(unknownJar.status, 404);

  const jars = (await getJson(`${jm.restUrl}/jars`)).body;
  t.same(jars.files.map((f: any) => f.name).sort(), ['MainThrows.ts', 'NoExecute.ts', 'NoMain.ts']);
  t.same(jars.files[0].entry, [{ name: 'main', description: null }]);
  const deleted = await fetch(`${jm.restUrl}/jars/${jars.files[0].id}`, { method: 'DELETE' });
  t.equal(deleted.status, 200);
  t.equal((await getJson(`${jm.restUrl}/jars`)).body.files.length, 2);
  t.equal((await fetch(`${jm.restUrl}/jars/${jars.files[0].id}`, { method: 'DELETE' })).status, 400, 'deleting twice');

  const cli = await flink(['run', '-m', `127.0.0.1:${jm.restPort}`, join(FIXTURES, 'NoExecute.ts')], cluster.confDir);
  t.equal(cli.code, 1);
  t.equal(cli.stderr, "\nThe program didn't contain a Flink job. Perhaps you forgot to call execute() on the execution environment.\n");
  const cliThrows = await flink(['run', '-m', `127.0.0.1:${jm.restPort}`, join(FIXTURES, 'MainThrows.ts')], cluster.confDir);
  t.equal(cliThrows.code, 1);
  t.match(cliThrows.stderr, 'The program finished with the following exception:');
  t.match(cliThrows.stderr, 'main() refused to run');
  const cliSyntax = await flink(['run', '-m', `127.0.0.1:${jm.restPort}`, join(FIXTURES, 'SyntaxError.ts')], cluster.confDir);
  t.equal(cliSyntax.code, 1);
  t.match(cliSyntax.stderr, /SyntaxError\.ts:3:\d+: Unexpected ";"/);
  const missing = await flink(['run', '-m', `127.0.0.1:${jm.restPort}`, '/no/such/Job.ts'], cluster.confDir);
  t.equal(missing.code, 1);
  t.match(missing.stdout, 'File does not exist: /no/such/Job.ts');
  t.equal((await getJson(`${jm.restUrl}/jobs`)).body.jobs.length, 0, 'no job was started by any of these');
});

t.test('a job with too few slots waits with its tasks SCHEDULED, runs when a TaskManager joins, and cancels', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('slots');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('1 TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);

  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time'];
  const submitted = await flink(['run', '-d', '-p', '2', '-m', `127.0.0.1:${jm.restPort}`, CLICK_EVENT_COUNT, ...args], cluster.confDir);
  t.equal(submitted.code, 0, submitted.stderr);
  const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(submitted.stdout)?.[1];
  t.ok(jobId, submitted.stdout);
  const waiting = (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body;
  t.equal(waiting.state, 'RUNNING', 'the job is RUNNING');
  t.equal(waiting['status-counts'].SCHEDULED, 6, 'all its tasks are SCHEDULED');
  const list = await flink(['list', '-m', `127.0.0.1:${jm.restPort}`], cluster.confDir);
  t.match(list.stdout, new RegExp(`\\d\\d\\.\\d\\d\\.\\d{4} \\d\\d:\\d\\d:\\d\\d : ${jobId} : Click Event Count \\(RUNNING\\)`));

  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('all tasks RUNNING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['status-counts'].RUNNING === 6);
  await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: 3 });
  const output = await readTopicUntil(topics.output, (values) => values.length >= 12);
  t.ok(output.every((v) => JSON.parse(v).count === 1000), 'windows counted');

  const cancel = await flink(['cancel', '-m', `127.0.0.1:${jm.restPort}`, jobId!], cluster.confDir);
  t.equal(cancel.code, 0, cancel.stderr);
  t.equal(cancel.stdout, `Cancelling job ${jobId}.\nCancelled job ${jobId}.\n`);
  await waitFor('CANCELED', async () => (await jobStatus(jm.restUrl, jobId!)) === 'CANCELED');
  const overview = (await getJson(`${jm.restUrl}/jobs/overview`)).body.jobs[0];
  t.equal(overview.state, 'CANCELED');
  t.ok(overview['end-time'] >= overview['start-time']);
  t.equal(overview.tasks.canceled, 6);
  const again = await fetch(`${jm.restUrl}/jobs/${jobId}/yarn-cancel`);
  t.equal(again.status, 202, 'cancelling an ended job is harmless');
  const unknown = await fetch(`${jm.restUrl}/jobs/${'0'.repeat(32)}?mode=cancel`, { method: 'PATCH' });
  t.equal(unknown.status, 404);
  t.same(await unknown.json(), { errors: ['Job could not be found.'] }, "Flink's JobCancellationHandler's words");
});

t.test('an exception in user code fails the job and shows in /jobs/:id/exceptions', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('failing');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const jobId = await submitJob(jm.restUrl, join(FIXTURES, 'FailingMap.ts'), ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input]);
  await waitFor('the chained task RUNNING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['status-counts'].RUNNING === 1);

  const producer = new Kafka({ brokers: [testRun().kafka.bootstrapServers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic: topics.input, messages: [{ value: 'fine' }, { value: 'poison' }] });
  await producer.disconnect();

  await waitFor('job FAILED', async () => (await jobStatus(jm.restUrl, jobId)) === 'FAILED');
  const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`);
  t.match(body['root-exception'], "Cannot digest record 'poison'");
  t.match(body.exceptionHistory.entries[0].taskName, /^Strings -> Picky Map -> Discard \(1\/1\)#0$/);
  t.equal(body.exceptionHistory.entries[0].exceptionName, 'Error');
  t.equal((await getJson(`${jm.restUrl}/overview`)).body['jobs-failed'], 1);
  t.equal((await getJson(`${jm.restUrl}/overview`)).body['slots-available'], 2, 'its slot is free again');
});

t.test('without checkpointing, killing a TaskManager fails the job (as in Flink: no restart strategy applies)', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('tmloss');
  const jm = await cluster.startJobManager();
  const tm1 = await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('2 TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);
  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, args, 2);
  await waitFor('all tasks RUNNING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['status-counts'].RUNNING === 6);
  t.same(await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`), { status: 404, body: { errors: ['Checkpointing has not been enabled.'] } });
  t.match((await getJson(`${jm.restUrl}/jobs/${jobId}/config`)).body['execution-config']['restart-strategy'], /^Restart deactivated\./);

  tm1.process.kill('SIGKILL');
  await waitFor('job FAILED', async () => (await jobStatus(jm.restUrl, jobId)) === 'FAILED', { timeoutMs: 30_000 });
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.timestamps.RESTARTING, 0, 'never restarted');
  const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`);
  t.match(body['root-exception'], lostTaskManager(tm1.resourceId));
  const details = (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body;
  t.equal(details['status-counts'].RUNNING, 0, 'no task is left running');
  t.ok(details['end-time'] > 0);
  await waitFor('the surviving TaskManager\'s slot is free', async () => (await getJson(`${jm.restUrl}/overview`)).body['slots-available'] === 1);
});

t.test('web.submit.enable: false turns off upload and run (404), as in Flink', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager(['-D', 'web.submit.enable=false']);
  const form = new FormData();
  form.append('jarfile', new Blob(['export async function main() {}']), 'Job.ts');
  const upload = await fetch(`${jm.restUrl}/jars/upload`, { method: 'POST', body: form });
  t.equal(upload.status, 404);
  t.same(await upload.json(), { errors: ['Not found: /jars/upload'] });
  t.equal((await getJson(`${jm.restUrl}/jars`)).status, 404);
  t.equal((await fetch(`${jm.restUrl}/jars/x/run`, { method: 'POST' })).status, 404);
  t.equal((await getJson(`${jm.restUrl}/config`)).body.features['web-submit'], false);
});
