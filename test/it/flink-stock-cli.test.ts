// Apache Flink 1.20's own CLI (flink-clients from Maven Central, bin/flink-stock.sh) against a tsflink cluster: every
// line as Flink prints it against Flink, failures included (the causes reach it as Java-serialized throwables).
import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { clusterProcessEnv, TestingCluster } from '../testing/TestingCluster.js';
import { type CliRun, createTopics, submitJob, waitForRunning } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const STOCK = join(REPO_ROOT, 'bin', 'flink-stock.sh');
const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const READ_SERIALIZED_THROWABLE = join(REPO_ROOT, 'test', 'fixtures', 'java', 'ReadSerializedThrowable.java');
const UNKNOWN_JOB = '0'.repeat(32);
const EXCEPTION_HEADER = '\n------------------------------------------------------------\n The program finished with the following exception:\n\n';

/** Flink's CliFrontend with `confDir` as FLINK_CONF_DIR. */
async function stockCli(confDir: string, args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(STOCK, ['cli', ...args], { env: { ...clusterProcessEnv(), FLINK_CONF_DIR: confDir }, timeout: 180_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** `text` starts with `expected` (asserted on the start of `text`, so a mismatch shows both). */
function expectStart(t: Test, text: string, expected: string): void {
  t.equal(text.slice(0, expected.length), expected);
}

/** A Flink configuration directory pointing the CLI at `restUrl`. */
function flinkConf(dir: string, restUrl: string, extra = ''): string {
  mkdirSync(dir, { recursive: true });
  const { hostname, port } = new URL(restUrl);
  writeFileSync(join(dir, 'config.yaml'), `rest.address: ${hostname}\nrest.port: ${port}\n${extra}`);
  return dir;
}

t.test("Flink 1.20's own CLI: list, savepoint, checkpoint, stop, stop --drain, and failures with their causes", async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('stock-cli');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  const conf = flinkConf(join(cluster.dir, 'stock-conf'), jm.restUrl);
  const cli = (args: string[]) => stockCli(conf, args);
  const savepoints = join(cluster.dir, 'stock-savepoints');
  const kafkaArgs = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--checkpointing', '--event-time'];
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 3000, maxWindows: 20 });
  t.teardown(() => generator.catch(() => undefined));

  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, kafkaArgs);
  await waitForRunning(jm.restUrl, jobId, 3);
  const startTime = (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['start-time'] as number;

  const list = await cli(['list']);
  t.equal(list.code, 0, list.stderr);
  t.equal(
    list.stdout,
    [
      'Waiting for response...',
      '------------------ Running/Restarting Jobs -------------------',
      `${cliTime(startTime)} : ${jobId} : Click Event Count (RUNNING)`,
      '--------------------------------------------------------------',
      'No scheduled jobs.',
      '',
    ].join('\n'),
  );

  const savepoint = await cli(['savepoint', jobId, savepoints]);
  t.equal(savepoint.code, 0, savepoint.stderr);
  t.match(
    savepoint.stdout,
    new RegExp(
      `^Triggering savepoint for job ${jobId}\\.\\nWaiting for response\\.\\.\\.\\nSavepoint completed\\. Path: file:${savepoints}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}\\nYou can resume your program from this savepoint with the run command\\.\\n$`,
    ),
  );

  const checkpoint = await cli(['checkpoint', jobId]);
  t.equal(checkpoint.code, 0, checkpoint.stderr);
  t.match(checkpoint.stdout, new RegExp(`^Triggering checkpoint for job ${jobId}\\.\\nWaiting for response\\.\\.\\.\\nCheckpoint \\d+ for job ${jobId} completed\\.\\nYou can resume your program from this checkpoint with the run command\\.\\n$`));

  const full = await cli(['checkpoint', '-full', jobId]);
  t.equal(full.code, 0, full.stderr);
  t.match(full.stdout, new RegExp(`^Triggering checkpoint for job ${jobId}\\.\\nWaiting for response\\.\\.\\.\\nCheckpoint\\(FULL\\) \\d+ for job ${jobId} completed\\.\\nYou can resume your program from this checkpoint with the run command\\.\\n$`));

  // A failed asynchronous operation: Flink's client reads the cause from the Java-serialized SerializedThrowable. Had it
  // failed to, it would poll until client.timeout (10 s here) and print a TimeoutException instead of the cause.
  const missing = join(cluster.dir, 'no-such-savepoint');
  const dispose = await stockCli(flinkConf(join(cluster.dir, 'stock-conf-10s'), jm.restUrl, 'client.timeout: 10 s\n'), ['savepoint', '-d', missing]);
  t.equal(dispose.code, 1);
  t.equal(dispose.stdout, `Disposing savepoint '${missing}'.\nWaiting for response...\n`);
  expectStart(t, dispose.stderr, `${EXCEPTION_HEADER}org.apache.flink.util.FlinkException: Failed to dispose the savepoint '${missing}'.\n`);
  t.match(dispose.stderr, `\nCaused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory '${missing}' on file system 'file'.\n`);
  t.notMatch(dispose.stderr, 'TimeoutException');

  const unknownSavepoint = await cli(['savepoint', UNKNOWN_JOB, savepoints]);
  t.equal(unknownSavepoint.code, 1);
  t.equal(unknownSavepoint.stdout, `Triggering savepoint for job ${UNKNOWN_JOB}.\nWaiting for response...\n`);
  expectStart(t, unknownSavepoint.stderr, `${EXCEPTION_HEADER}org.apache.flink.util.FlinkException: Failed to trigger a savepoint for the job ${UNKNOWN_JOB}.\n`);
  t.match(unknownSavepoint.stderr, `\nCaused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (${UNKNOWN_JOB})\n`);

  const cancel = await cli(['cancel', UNKNOWN_JOB]);
  t.equal(cancel.code, 1);
  t.equal(cancel.stdout, `Cancelling job ${UNKNOWN_JOB}.\n`);
  expectStart(t, cancel.stderr, `${EXCEPTION_HEADER}org.apache.flink.util.FlinkException: Could not cancel job ${UNKNOWN_JOB}.\n`);
  t.match(cancel.stderr, '\nCaused by: org.apache.flink.runtime.rest.util.RestClientException: [Job could not be found.]\n');

  // The failure cause as the REST API sends it, read by Java's ObjectInputStream with Flink's classes.
  const trigger = await fetch(`${jm.restUrl}/savepoint-disposal`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ 'savepoint-path': missing }) });
  const triggerId = ((await trigger.json()) as { 'request-id': string })['request-id'];
  const failure = await waitFor('the disposal to fail', async () => {
    const { body } = await getJson(`${jm.restUrl}/savepoint-disposal/${triggerId}`);
    return body.status.id === 'COMPLETED' ? body.operation['failure-cause'] : undefined;
  });
  t.equal(failure.class, 'java.io.FileNotFoundException');
  const read = await readWithJava(failure['serialized-throwable']);
  const message = `Cannot find checkpoint or savepoint file/directory '${missing}' on file system 'file'.`;
  t.same(read.split('\n')[0]!.split('\t').slice(0, 4), ['throwable', `java.io.FileNotFoundException: ${message}`, 'java.io.FileNotFoundException', message], 'class and message');
  t.match(read, /^deserializeError\ttrue$/m, "Flink's client uses the SerializedThrowable itself (no original exception bytes)");

  const stop = await cli(['stop', '-p', savepoints, jobId]);
  t.equal(stop.code, 0, stop.stderr);
  t.match(
    stop.stdout,
    new RegExp(
      `^Suspending job "${jobId}" with a CANONICAL savepoint\\.\\nTriggering stop-with-savepoint for job ${jobId}\\.\\nWaiting for response\\.\\.\\.\\nSavepoint completed\\. Path: file:${savepoints}/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}\\n$`,
    ),
  );

  const second = await submitJob(jm.restUrl, CLICK_EVENT_COUNT, kafkaArgs);
  await waitForRunning(jm.restUrl, second, 3);
  const drain = await cli(['stop', '--drain', '-p', savepoints, second]);
  t.equal(drain.code, 0, drain.stderr);
  t.match(
    drain.stdout,
    new RegExp(
      `^Draining job "${second}" with a CANONICAL savepoint\\.\\nTriggering stop-with-savepoint for job ${second}\\.\\nWaiting for response\\.\\.\\.\\nSavepoint completed\\. Path: file:${savepoints}/savepoint-${second.slice(0, 6)}-[0-9a-f]{12}\\n$`,
    ),
  );
  const all = await cli(['list', '-a']);
  t.match(all.stdout, `${jobId} : Click Event Count (FINISHED)`);
  t.match(all.stdout, `${second} : Click Event Count (FINISHED)`);
});

/** ReadSerializedThrowable.java's reading of a base64 Java-serialized SerializedThrowable (Flink's classes on the class path). */
function readWithJava(base64: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const java = spawn('java', ['-cp', `${join(REPO_ROOT, 'flink-stock', 'libs')}/*`, READ_SERIALIZED_THROWABLE]);
    let out = '';
    let err = '';
    java.stdout.on('data', (d: Buffer) => (out += d.toString()));
    java.stderr.on('data', (d: Buffer) => (err += d.toString()));
    java.on('error', reject);
    java.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`java exited with ${code}: ${err}`))));
    java.stdin.end(base64);
  });
}

/** `dd.MM.yyyy HH:mm:ss` in local time, as the CLI prints a job's start time. */
function cliTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getDate())}.${p(d.getMonth() + 1)}.${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
