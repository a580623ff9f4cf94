// Savepoint and checkpoint paths are bounded (docs/security.md, "Savepoint and checkpoint paths"): the ClickEventCount
// job runs with checkpoints; savepoints to /proc/self, hdfs://, s3://, a relative path and a symbolic link into /proc
// are refused with clear errors over REST and the CLI, and the job keeps checkpointing; disposal of crafted savepoints
// (a _metadata naming ../../outside, a symbolic link to a file outside) deletes nothing outside; a JobManager configured
// with an unusable savepoint directory does not start; and every window of the job is still exactly 1000.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { completedCheckpoints, createTopics, flinkCli as flink, parseWindows, readCommittedUntil, readTopicUntil, waitForRunning, windowsComplete, windowStartText } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const CLICK_EVENT_COUNT = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');
const PAGES = 6;
const WINDOWS = 8;

/** A `_metadata` as someone crafting one would write it: the file format's framing around any state file names. */
function writeCraftedSavepoint(directory: string, fileNames: string[]): void {
  mkdirSync(directory, { recursive: true });
  const metadata = {
    jobId: 'ab'.repeat(16),
    checkpointId: 3,
    timestamp: Date.now(),
    isSavepoint: true,
    operators: {
      ['cd'.repeat(16)]: {
        parallelism: fileNames.length,
        maxParallelism: 128,
        subtasks: Object.fromEntries(
          fileNames.map((fileName, i) => [i, { keyed: [{ fileName, keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 }, offsets: [], size: 1, sha256: '00' }] }]),
        ),
      },
    },
  };
  const body = new Packr({ useRecords: true, mapsAsObjects: false, moreTypes: true }).pack(metadata);
  const header = Buffer.alloc(8);
  Buffer.from('TSFK').copy(header, 0);
  header.writeUInt32BE(1, 4);
  writeFileSync(join(directory, '_metadata'), Buffer.concat([header, body, createHash('sha256').update(body).digest()]));
}

t.test('savepoint targets and disposal stay within bounds while ClickEventCount runs exactly once', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('security-paths');
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort); // 2 slots
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const jobArgs = [CLICK_EVENT_COUNT, '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--checkpointing', '--event-time', '--delivery-guarantee', 'exactly-once'];
  const run = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '2', ...jobArgs]);
  t.equal(run.code, 0, run.stderr);
  const jobId = /Job has been submitted with JobID ([0-9a-f]{32})/.exec(run.stdout)![1]!;
  await waitForRunning(jm.restUrl, jobId, 6);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 2000, maxWindows: WINDOWS });
  await waitFor('a first checkpoint', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= 1, { timeoutMs: 60_000 });

  // REST: as in Flink, the trigger is accepted (202) and the asynchronous operation fails with the reason.
  const symlinkIntoProc = join(cluster.dir, 'to-proc');
  symlinkSync('/proc/self', symlinkIntoProc);
  writeFileSync(join(cluster.dir, 'a-file'), 'x');
  const refused: Array<[string, RegExp]> = [
    ['/proc/self', /CheckpointPathError: The savepoint target directory '\/proc\/self' is on a pseudo-file system/],
    ['hdfs://x/y', /UnsupportedFileSystemSchemeError: Could not find a file system implementation for scheme 'hdfs'/],
    ['s3://b/k', /UnsupportedFileSystemSchemeError: Could not find a file system implementation for scheme 's3'/],
    ['relative/savepoints', /The savepoint target directory 'relative\/savepoints' is a relative path/],
    [symlinkIntoProc, /is on a pseudo-file system \(it resolves to \/proc\/\d+\)/],
    [join(cluster.dir, 'a-file', 'savepoints'), /a part of it is not a directory/],
  ];
  const failureOf = async (path: string, body: Record<string, unknown>): Promise<string> => {
    const post = await fetch(`${jm.restUrl}/jobs/${jobId}/${path}`, { method: 'POST', body: JSON.stringify(body) });
    t.equal(post.status, 202, `${path} ${JSON.stringify(body)} is accepted`);
    const { 'request-id': triggerId } = (await post.json()) as { 'request-id': string };
    const status = await waitFor('the savepoint operation', async () => {
      const { body: answer } = await getJson(`${jm.restUrl}/jobs/${jobId}/savepoints/${triggerId}`);
      return answer.status.id === 'COMPLETED' && answer;
    });
    t.notOk(status.operation.location, 'no savepoint location');
    return status.operation['failure-cause']['stack-trace'] as string;
  };
  for (const [target, message] of refused) {
    t.match(await failureOf('savepoints', { 'target-directory': target, 'cancel-job': false }), message, `savepoint to ${target}`);
    t.match(await failureOf('stop', { targetDirectory: target, drain: false }), message, `stop with a savepoint to ${target}`);
  }
  const jobManagerWorkDir = jm.process.workDir;
  t.notOk(existsSync(join(jobManagerWorkDir, 'relative')), 'no relative directory was created in the JobManager\'s working directory');
  t.notOk(existsSync(join(jobManagerWorkDir, 'hdfs:')) || existsSync(join(jobManagerWorkDir, 's3:')), 'no local directory named after a scheme');
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING', 'the job is still running');

  // The CLI prints the reason and exits 1.
  const cliRefused: Array<[string[], RegExp]> = [
    [['savepoint', jobId, 'hdfs://x/y'], /Could not find a file system implementation for scheme 'hdfs'/],
    [['savepoint', jobId, '/proc/self'], /pseudo-file system/],
    [['savepoint', jobId, 'relative/savepoints'], /is a relative path/],
    [['stop', '-p', 's3://b/k', jobId], /Could not find a file system implementation for scheme 's3'/],
    [['cancel', '-s', symlinkIntoProc, jobId], /pseudo-file system/],
  ];
  for (const [args, message] of cliRefused) {
    const result = await flink(cluster, jm.restUrl, args);
    t.equal(result.code, 1, `flink ${args.join(' ')} exits 1`);
    t.match(result.stderr, /The program finished with the following exception:/);
    t.match(result.stderr, message, `flink ${args.join(' ')} says why`);
  }
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING', 'the job is still running');

  // The job keeps checkpointing after every refused or failed savepoint.
  const before = await completedCheckpoints(jm.restUrl, jobId);
  await waitFor('two more checkpoints', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= before + 2, { timeoutMs: 60_000 });
  const { body: checkpoints } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`);
  t.equal(checkpoints.counts.in_progress, 0, 'nothing is left pending');

  // A good savepoint still works, and disposes of itself only.
  const good = await flink(cluster, jm.restUrl, ['savepoint', jobId, `file://${join(cluster.dir, 'good-savepoints')}`]);
  t.equal(good.code, 0, good.stderr);
  const goodPath = /Path: (\S+)/.exec(good.stdout)![1]!;
  writeFileSync(join(goodPath.replace(/^file:/, ''), 'mine.txt'), 'not the savepoint\'s');
  const disposedGood = await flink(cluster, jm.restUrl, ['savepoint', '-d', goodPath]);
  t.equal(disposedGood.code, 0, disposedGood.stderr);
  t.notOk(existsSync(join(goodPath.replace(/^file:/, ''), '_metadata')), 'its _metadata is gone');
  t.equal(readFileSync(join(goodPath.replace(/^file:/, ''), 'mine.txt'), 'utf8'), 'not the savepoint\'s', 'a file it does not name stays, and with it the directory');

  // Crafted savepoints: nothing outside their directory is ever deleted.
  const outside = join(cluster.dir, 'outside');
  writeFileSync(outside, 'keep me');
  const traversal = join(cluster.dir, 'crafted', 'a', 'traversal');
  writeCraftedSavepoint(traversal, ['../../outside', 'fine.keyed']);
  writeFileSync(join(traversal, 'fine.keyed'), 'x');
  const disposeTraversal = await flink(cluster, jm.restUrl, ['savepoint', '-d', traversal]);
  t.equal(disposeTraversal.code, 1, 'a _metadata naming ../../outside is refused');
  t.match(disposeTraversal.stderr, /Illegal state file name "..\/..\/outside"/);
  t.equal(readFileSync(outside, 'utf8'), 'keep me');
  t.ok(existsSync(join(traversal, 'fine.keyed')) && existsSync(join(traversal, '_metadata')), 'nothing of it was deleted either');

  const linked = join(cluster.dir, 'crafted', 'linked');
  writeCraftedSavepoint(linked, ['link.keyed']);
  symlinkSync(outside, join(linked, 'link.keyed'));
  const post = await fetch(`${jm.restUrl}/savepoint-disposal`, { method: 'POST', body: JSON.stringify({ 'savepoint-path': `file://${linked}` }) });
  const { 'request-id': disposalId } = (await post.json()) as { 'request-id': string };
  const disposal = await waitFor('the disposal', async () => {
    const { body } = await getJson(`${jm.restUrl}/savepoint-disposal/${disposalId}`);
    return body.status.id === 'COMPLETED' && body;
  });
  t.notOk(disposal.operation['failure-cause'], 'the disposal succeeds');
  t.notOk(existsSync(linked), 'the savepoint directory is gone');
  t.equal(readFileSync(outside, 'utf8'), 'keep me', 'the link was unlinked, its target untouched');
  t.ok(lstatSync(outside).isFile());

  for (const path of ['/proc/self', 'hdfs://x/savepoint', 'relative/savepoint']) {
    const refusedDisposal = await flink(cluster, jm.restUrl, ['savepoint', '-d', path]);
    t.equal(refusedDisposal.code, 1, `disposal of ${path} is refused`);
    t.match(refusedDisposal.stderr, /pseudo-file system|scheme 'hdfs'|relative path/);
  }

  // Exactly once all along.
  await generator;
  await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1), 120_000);
  const records = parseWindows(await readCommittedUntil(topics.output, (values) => windowsComplete(parseWindows(values), WINDOWS - 1)));
  t.ok(records.length > 0 && records.every((r) => r.count === 1000), 'every count is exactly 1000');
  for (let w = 0; w < WINDOWS - 1; w++) {
    t.equal(records.filter((r) => r.windowStart === windowStartText(w)).length, PAGES, `window ${w}: each page exactly once`);
  }
});

t.test('a JobManager configured with an unusable checkpoint or savepoint directory does not start', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['execution.checkpointing.savepoint-dir=hdfs://namenode/savepoints', /Invalid value 'hdfs:\/\/namenode\/savepoints' for key 'execution.checkpointing.savepoint-dir': Could not find a file system implementation for scheme 'hdfs'/],
    ['execution.checkpointing.dir=s3://bucket/checkpoints', /for key 'execution.checkpointing.dir': Could not find a file system implementation for scheme 's3'/],
    ['execution.checkpointing.dir=checkpoints', /for key 'execution.checkpointing.dir': .*is a relative path/],
    ['execution.checkpointing.savepoint-dir=file:///proc/self/savepoints', /pseudo-file system/],
  ];
  for (const [property, message] of cases) {
    const cluster = new TestingCluster();
    t.teardown(() => cluster.close());
    const jm = cluster.start('standalonesession', ['-D', 'jobmanager.rpc.port=0', '-D', 'rest.port=0', '-D', property]);
    t.equal(await jm.exited, 1, `${property}: exit 1`);
    t.match(jm.output, message, `${property}: says why`);
  }
});
