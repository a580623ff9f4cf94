// Every CLI action's output, line by line, as Flink 1.20 prints it; and the seed's REST calls typed with curl as a
// user does (curl's default form content type read as JSON), with bad bodies answered as Flink does.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { clusterProcessEnv, TestingCluster } from '../testing/TestingCluster.js';
import { completedCheckpoints, createTopics, flinkCli, waitForRunning } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const FAILING_MAP = join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'FailingMap.ts');
const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const FOOTER = '--------------------------------------------------------------';

/** `dd.MM.yyyy HH:mm:ss` in local time, as the CLI prints a job's start time. */
function cliTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getDate())}.${p(d.getMonth() + 1)}.${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function curl(args: string[]): Promise<{ status: number; body: any }> {
  const { stdout } = await promisify(execFile)('curl', ['-s', '-w', '\n%{http_code}', ...args], { timeout: 60_000 });
  const lines = stdout.split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) };
}

t.test('every CLI action prints exactly what Flink prints', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('cli-parity', 1);
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  const m = ['-m', new URL(jm.restUrl).host];

  // Attached run: the CLI waits for the job and reports its end.
  const attached = spawn(join(REPO_ROOT, 'bin', 'flink'), ['run', ...m, FAILING_MAP, '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input], {
    env: { ...clusterProcessEnv(), FLINK_CONF_DIR: cluster.confDir },
  });
  t.teardown(() => attached.kill('SIGKILL'));
  let attachedOut = '';
  attached.stdout.on('data', (d: Buffer) => (attachedOut += d.toString()));
  attached.stderr.on('data', (d: Buffer) => (attachedOut += d.toString()));
  const attachedExit = new Promise<number | null>((resolve) => attached.once('exit', resolve));
  const jobId = await waitFor('the attached run to submit', () => /^Job has been submitted with JobID ([0-9a-f]{32})\n/.exec(attachedOut)?.[1], { timeoutMs: 60_000 });
  await waitFor('every subtask RUNNING', async () => {
    const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
    return body.state === 'RUNNING' && body.vertices.every((v: { status: string }) => v.status === 'RUNNING');
  }, { timeoutMs: 90_000 });
  const started = (await getJson(`${jm.restUrl}/jobs/overview`)).body.jobs[0]['start-time'];
  const jobLine = (state: string) => `${cliTime(started)} : ${jobId} : Failing Map (${state})`;

  const list = await flinkCli(cluster, jm.restUrl, ['list']);
  t.equal(list.code, 0);
  t.equal(list.stdout, ['Waiting for response...', '------------------ Running/Restarting Jobs -------------------', jobLine('RUNNING'), FOOTER, 'No scheduled jobs.', ''].join('\n'));
  t.equal((await flinkCli(cluster, jm.restUrl, ['list', '-s'])).stdout, 'Waiting for response...\nNo scheduled jobs.\n');

  const savepointDir = join(cluster.dir, 'cli-savepoints');
  const savepoint = await flinkCli(cluster, jm.restUrl, ['savepoint', jobId, savepointDir, 'surplus']);
  t.equal(savepoint.code, 0, savepoint.stderr);
  const savepointLines = savepoint.stdout.split('\n');
  t.same(savepointLines.slice(0, 3), ['Provided more arguments than required. Ignoring not needed arguments.', `Triggering savepoint for job ${jobId}.`, 'Waiting for response...']);
  t.match(savepointLines[3], new RegExp(`^Savepoint completed\\. Path: file:${savepointDir}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
  t.same(savepointLines.slice(4), ['You can resume your program from this savepoint with the run command.', '']);

  const checkpoint = await flinkCli(cluster, jm.restUrl, ['checkpoint', '-full', jobId]);
  t.match(checkpoint.stdout, new RegExp(`^Triggering checkpoint for job ${jobId}\\.\\nWaiting for response\\.\\.\\.\\nCheckpoint\\(FULL\\) \\d+ for job ${jobId} completed\\.\\nYou can resume your program from this checkpoint with the run command\\.\\n$`));

  const stop = await flinkCli(cluster, jm.restUrl, ['stop', '--drain', '-p', savepointDir, jobId]);
  t.equal(stop.code, 0, stop.stderr);
  t.match(stop.stdout, new RegExp(`^Draining job "${jobId}" with a CANONICAL savepoint\\.\\nTriggering stop-with-savepoint for job ${jobId}\\.\\nWaiting for response\\.\\.\\.\\nSavepoint completed\\. Path: file:${savepointDir}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}\\n$`));

  t.equal(await attachedExit, 0, attachedOut);
  t.match(attachedOut, new RegExp(`^Job has been submitted with JobID ${jobId}\\nProgram execution finished\\nJob with JobID ${jobId} has finished\\.\\nJob Runtime: \\d+ ms\\n$`));

  const all = await flinkCli(cluster, jm.restUrl, ['list', '-a']);
  t.equal(all.stdout, ['Waiting for response...', 'No running jobs.', 'No scheduled jobs.', '---------------------- Terminated Jobs -----------------------', jobLine('FINISHED'), FOOTER, ''].join('\n'));

  const cancelEnded = await flinkCli(cluster, jm.restUrl, ['cancel', jobId]);
  t.equal(cancelEnded.code, 1);
  t.equal(cancelEnded.stdout, `Cancelling job ${jobId}.\n`);
  t.match(cancelEnded.stderr, `\n------------------------------------------------------------\n The program finished with the following exception:\n\n`);
  t.match(cancelEnded.stderr, `Could not cancel job ${jobId}.`);

  const missing = await flinkCli(cluster, jm.restUrl, ['savepoint']);
  t.equal(missing.code, 1);
  t.equal(missing.stdout, 'Missing JobID. Specify a Job ID to trigger a savepoint.\n\nUse the help option (-h or --help) to get help on the command.\n');
});

t.test("the seed's REST calls, typed with curl", async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('curl-parity');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  const url = jm.restUrl;

  t.same(await curl([`${url}/jobs`]), { status: 200, body: { jobs: [] } });
  const upload = await curl(['-X', 'POST', '-H', 'Expect:', '-F', `jarfile=@${CLICK_EVENT_COUNT}`, `${url}/jars/upload`]);
  t.equal(upload.status, 200);
  t.match(upload.body, { filename: /flink-web-upload\/[0-9a-f-]+_ClickEventCount\.ts$/, status: 'success' });
  const jarId = upload.body.filename.split('/').pop();
  const programArgs = `--bootstrap.servers ${testRun().kafka.bootstrapServers} --input-topic ${topics.input} --output-topic ${topics.output} --checkpointing --event-time`;
  const run = await curl(['-X', 'POST', `${url}/jars/${jarId}/run`, '-d', JSON.stringify({ programArgs, parallelism: '1' })]);
  t.equal(run.status, 200, JSON.stringify(run.body));
  const jobId = run.body.jobid as string;
  t.match(jobId, /^[0-9a-f]{32}$/);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 3000, maxWindows: 10 });
  t.teardown(() => generator.catch(() => undefined));
  await waitForRunning(url, jobId, 3);
  await waitFor('a checkpoint', async () => (await completedCheckpoints(url, jobId)) >= 1, { timeoutMs: 60_000 });

  t.same(await curl([`${url}/jobs`]), { status: 200, body: { jobs: [{ id: jobId, status: 'RUNNING' }] } });
  const details = await curl([`${url}/jobs/${jobId}`]);
  t.match(details.body, { jid: jobId, name: 'Click Event Count', state: 'RUNNING', vertices: Array, plan: { jid: jobId, nodes: Array } });
  const size = await curl([`${url}/jobs/${jobId}/metrics?get=lastCheckpointSize`]);
  t.match(size.body, [{ id: 'lastCheckpointSize', value: /^\d+$/ }]);

  // Bad bodies: 400 with Flink's message, and nothing happens to the job.
  const invalid = await curl(['-X', 'POST', `${url}/jobs/${jobId}/stop`, '-d', '{"drain": fals']);
  t.equal(invalid.status, 400);
  t.match(invalid.body.errors[0], /^Request did not match expected format StopWithSavepointRequestBody\./);
  const wrongType = await curl(['-X', 'POST', `${url}/jobs/${jobId}/stop`, '-d', '{"drain": 3}']);
  t.equal(wrongType.status, 400);
  t.match(wrongType.body.errors[0], "Field 'drain' must be a boolean");
  const notObject = await curl(['-X', 'POST', `${url}/jobs/${jobId}/savepoints`, '-d', '[1,2]']);
  t.equal(notObject.status, 400);
  const badParallelism = await curl(['-X', 'POST', `${url}/jars/${jarId}/run`, '-d', '{"parallelism": "two"}']);
  t.equal(badParallelism.status, 400);
  t.match(badParallelism.body.errors[0], "Field 'parallelism' must be a positive integer");
  const oversized = await new Promise<{ status: number; body: any }>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const req = request({ hostname, port, path: `/jobs/${jobId}/stop`, method: 'POST', headers: { 'Content-Length': String(104_857_601) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.write('{"drain":');
  });
  t.equal(oversized.status, 413);
  t.match(oversized.body.errors[0], 'Try to raise [rest.server.max-content-length]');
  t.equal((await curl([`${url}/jobs/${jobId}/status`])).body.status, 'RUNNING', 'the job runs on after every refused request');
  const viaJobs = await curl(['-X', 'POST', `${url}/jobs`, '-d', '{}']);
  t.equal(viaJobs.status, 400);
  t.match(viaJobs.body.errors[0], 'cannot read a Java-serialized JobGraph');

  const stop = await curl(['-X', 'POST', `${url}/jobs/${jobId}/stop`, '-d', '{"drain": false}']);
  t.equal(stop.status, 202);
  const triggerId = stop.body['request-id'];
  t.match(triggerId, /^[0-9a-f]{32}$/);
  const done = await waitFor('the savepoint', async () => {
    const { body } = await curl([`${url}/jobs/${jobId}/savepoints/${triggerId}`]);
    return body.status.id === 'COMPLETED' ? body : undefined;
  }, { timeoutMs: 60_000 });
  t.match(done, { status: { id: 'COMPLETED' }, operation: { location: /^file:.*\/savepoint-[0-9a-f]{6}-[0-9a-f]{12}$/ } });
  await waitFor('FINISHED', async () => (await curl([`${url}/jobs/${jobId}/status`])).body.status === 'FINISHED');
  const result = await curl([`${url}/jobs/${jobId}/execution-result`]);
  t.match(result.body, { status: { id: 'COMPLETED' }, 'job-execution-result': { id: jobId, 'application-status': 'SUCCEEDED', 'accumulator-results': {}, 'net-runtime': Number } });

  // The seed's restart from the savepoint, then `{"cancel-job":"true"}` (a string) cancels with a savepoint.
  const again = await curl(['-X', 'POST', `${url}/jars/${jarId}/run`, '-d', JSON.stringify({ programArgs, savepointPath: done.operation.location })]);
  t.equal(again.status, 200, JSON.stringify(again.body));
  const second = again.body.jobid as string;
  await waitForRunning(url, second, 3);
  t.equal((await curl([`${url}/jobs/${second}/execution-result`])).body.status.id, 'IN_PROGRESS');
  const cancelWithSavepoint = await curl(['-d', '{"cancel-job":"true"}', '-X', 'POST', `${url}/v1/jobs/${second}/savepoints`]);
  t.equal(cancelWithSavepoint.status, 202);
  await waitFor('CANCELED', async () => (await curl([`${url}/jobs/${second}/status`])).body.status === 'CANCELED', { timeoutMs: 60_000 });
  t.equal((await curl([`${url}/jobs/${second}/execution-result`])).body['job-execution-result']['application-status'], 'CANCELED');
});
