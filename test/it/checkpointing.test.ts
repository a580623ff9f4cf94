// Checkpointed keyed state of every kind (value, list, map, reducing, aggregating) and timers in a
// KeyedProcessFunction survive a task exception; checkpoint files are retained as configured; a damaged newest
// checkpoint makes the restore fall back to the previous one, and with none intact the job fails with a clear error.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { completedCheckpoints, createTopics, flinkCli, kafka, parseWindows, readTopicUntil, submitJob, windowsComplete } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

async function produce(topic: string, values: string[]): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value })) });
  await producer.disconnect();
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

t.test('a task exception restarts the job from its checkpoint: keyed state of every kind and timers are restored', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('stateful', 1);
  const jm = await cluster.startJobManager(['-D', 'execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION']);
  await cluster.startTaskManager(jm.rpcPort);
  const jobId = await submitJob(jm.restUrl, join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'StatefulCounter.ts'), [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output,
  ]);
  await produce(topics.input, [...range(1, 50).map((n) => `a:${n}`), ...range(1, 30).map((n) => `b:${n}`)]);
  await readTopicUntil(topics.output, (values) => values.length >= 80);
  const before = await completedCheckpoints(jm.restUrl, jobId);
  await waitFor('two more checkpoints', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= before + 2, { timeoutMs: 60_000 });

  await produce(topics.input, ['a:poison', ...range(51, 60).map((n) => `a:${n}`), ...range(31, 40).map((n) => `b:${n}`), 'a:2000']);
  const values = await readTopicUntil(topics.output, (vs) => vs.filter((v) => v.includes('"timer"')).length >= 2 && vs.some((v) => v.includes('"count":61')) && vs.some((v) => v.includes('"key":"b","count":40')));
  const records = values.map((v) => JSON.parse(v));
  const states = (key: string) => records.filter((r) => r.key === key && r.count !== undefined);
  t.same([...new Set(states('a').map((r) => r.count))].sort((x, y) => x - y), range(1, 61), 'key a: counts 1 … 61, no gap, no reset');
  t.same([...new Set(states('b').map((r) => r.count))].sort((x, y) => x - y), range(1, 40), 'key b: counts 1 … 40');
  const lastA = states('a').find((r) => r.count === 61);
  const aValues = [...range(1, 60), 2000];
  t.same(lastA, {
    key: 'a',
    count: 61,
    lastThree: [59, 60, 2000],
    parity: { odd: 30, even: 31 },
    sum: aValues.reduce((s, n) => s + n, 0),
    average: aValues.reduce((s, n) => s + n, 0) / 61,
  }, 'value, list, map, reducing and aggregating state all continue from the checkpoint');
  const timers = records.filter((r) => r.timer !== undefined);
  t.same(timers.map((r) => r.key).sort(), ['a', 'b'], 'timers registered before the failure fire once, after the restore');
  t.ok(timers.every((r) => r.timer === 1001 && r.domain === 'EVENT_TIME'));

  const { body: exceptions } = await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`);
  t.match(exceptions['root-exception'], 'Poisoned record for key a');
  t.same((await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '1' }]);

  // REST shapes of the checkpoint statistics.
  const { body: stats } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`);
  t.ok(stats.counts.completed >= 3 && stats.counts.restored === 1);
  t.match(stats.latest.completed, { className: 'completed', status: 'COMPLETED', is_savepoint: false, checkpoint_type: 'CHECKPOINT', discarded: false, external_path: String });
  t.ok(stats.latest.completed.state_size > 0 && stats.latest.completed.num_acknowledged_subtasks === stats.latest.completed.num_subtasks);
  t.match(stats.summary.state_size, { min: Number, max: Number, avg: Number, p50: Number, p90: Number, p95: Number, p99: Number, p999: Number });
  t.ok(stats.history.length > 0 && stats.history.length <= 10);
  const id = stats.latest.completed.id;
  const { body: details } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints/details/${id}`);
  t.equal(details.id, id);
  const vertexIds = Object.keys(details.tasks);
  t.equal(vertexIds.length, 2, 'one entry per vertex (source; process chained with the sink)');
  const { body: subtasks } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints/details/${id}/subtasks/${vertexIds[1]}`);
  t.match(subtasks.subtasks[0], { index: 0, status: 'completed', checkpoint: { sync: Number, async: Number }, alignment: { duration: Number } });
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints/details/999999`)).status, 404);
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints/details/x`)).status, 400);
  const { body: config } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints/config`);
  t.match(config, { mode: 'exactly_once', interval: 1000, timeout: 600000, min_pause: 0, max_concurrent: 1, externalization: { enabled: true, delete_on_cancellation: false } });
  t.equal(config.tolerable_failed_checkpoints, 2147483647, 'unlimited by default (tsflink), written as Flink writes unlimited');
  const metrics = (await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=lastCheckpointSize,lastCheckpointDuration,numberOfCompletedCheckpoints,numberOfFailedCheckpoints,numRestarts`)).body;
  t.same(metrics.map((m: { id: string }) => m.id), ['lastCheckpointSize', 'lastCheckpointDuration', 'numberOfCompletedCheckpoints', 'numberOfFailedCheckpoints', 'numRestarts']);
  t.ok(metrics.every((m: { value: unknown }) => typeof m.value === 'string' && /^\d+$/.test(m.value as string)), 'values are strings of numbers');

  // A checkpoint now, from the CLI (Flink 1.19+'s `flink checkpoint`) and over REST.
  const manual = await flinkCli(cluster, jm.restUrl, ['checkpoint', jobId]);
  t.equal(manual.code, 0, manual.stderr);
  t.match(manual.stdout, new RegExp(`^Triggering checkpoint for job ${jobId}\\.\\nWaiting for response\\.\\.\\.\\nCheckpoint \\d+ for job ${jobId} completed\\.\\nYou can resume your program from this checkpoint with the run command\\.\\n$`));
  const full = await flinkCli(cluster, jm.restUrl, ['checkpoint', '-full', jobId]);
  t.match(full.stdout, `Checkpoint(FULL) `);
  const incremental = await fetch(`${jm.restUrl}/jobs/${jobId}/checkpoints`, { method: 'POST', body: JSON.stringify({ checkpointType: 'INCREMENTAL' }) });
  t.equal(incremental.status, 400);
  const posted = await fetch(`${jm.restUrl}/jobs/${jobId}/checkpoints`, { method: 'POST', body: '{}' });
  t.equal(posted.status, 202);
  const { 'request-id': trigger } = (await posted.json()) as { 'request-id': string };
  const done = await waitFor('the checkpoint', async () => {
    const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints/${trigger}`);
    return body.status.id === 'COMPLETED' && body;
  });
  t.match(done.operation, { checkpointId: Number });

  await fetch(`${jm.restUrl}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  await waitFor('CANCELED', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status === 'CANCELED');
  const jobDir = join(cluster.checkpointDir, jobId);
  t.ok(readdirSync(jobDir).some((d) => d.startsWith('chk-') && existsSync(join(jobDir, d, '_metadata'))), 'RETAIN_ON_CANCELLATION keeps the checkpoints of a cancelled job');
});

t.test('checkpoint files: num-retained kept; a damaged newest checkpoint falls back to the previous; none intact fails the job clearly', async (t) => {
  const WINDOWS = 30;
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('retained');
  const jm = await cluster.startJobManager(['-D', 'execution.checkpointing.num-retained=2', '-D', 'restart-strategy.type=fixed-delay', '-D', 'restart-strategy.fixed-delay.delay=200 ms', '-D', 'restart-strategy.fixed-delay.attempts=10']);
  const slot1 = ['-D', 'taskmanager.numberOfTaskSlots=1'];
  const tm1 = await cluster.startTaskManager(jm.rpcPort, slot1);
  const tm2 = await cluster.startTaskManager(jm.rpcPort, slot1);
  await waitFor('2 TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);
  const jobId = await submitJob(jm.restUrl, join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts'), [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing',
  ], 2);
  const generator = runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 3000, maxWindows: WINDOWS });
  t.teardown(() => generator.catch(() => undefined));
  const jobDir = join(cluster.checkpointDir, jobId);
  const retained = () => readdirSync(jobDir).filter((d) => d.startsWith('chk-') && existsSync(join(jobDir, d, '_metadata'))).map((d) => Number(d.slice(4))).sort((a, b) => a - b);

  await waitFor('4 completed checkpoints', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= 4, { timeoutMs: 60_000 });
  await waitFor('exactly the 2 newest checkpoints on disk', async () => {
    const completed = (await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).body.latest.completed.id;
    const ids = retained();
    return ids.length === 2 && ids[1] === completed && ids[0] === completed - 1;
  });

  // Kill a TaskManager, then damage the newest checkpoint before a replacement arrives.
  tm1.process.kill('SIGKILL');
  await waitFor('RESTARTING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.state === 'RESTARTING', { timeoutMs: 30_000 });
  const [previous, newest] = retained();
  const metadata = join(jobDir, `chk-${newest}`, '_metadata');
  const bytes = readFileSync(metadata);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  writeFileSync(metadata, bytes);
  await cluster.startTaskManager(jm.rpcPort, slot1);
  await waitFor('restored from the previous checkpoint', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).body.latest.restored?.id === previous, { timeoutMs: 60_000 });
  await waitFor('RUNNING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body['status-counts'].RUNNING === 6, { timeoutMs: 60_000 });
  const log = () => cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('\n');
  t.match(log(), new RegExp(`Cannot restore from checkpoint ${newest}, trying an older one: .*damaged`));

  const records = parseWindows(await readTopicUntil(topics.output, (values) => windowsComplete(parseWindows(values), 3)));
  t.ok(records.every((r) => r.count === 1000), 'counts after the fallback are still exactly 1000 (windows 0, 1 and 2 all there)');

  // Now damage every retained checkpoint: the job cannot restore and fails, saying why.
  await waitFor('a checkpoint of the new attempt', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= 5 && retained().some((id) => id > newest!), { timeoutMs: 60_000 });
  tm2.process.kill('SIGKILL');
  await waitFor('RESTARTING', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}`)).body.state === 'RESTARTING', { timeoutMs: 30_000 });
  for (const id of retained()) writeFileSync(join(jobDir, `chk-${id}`, '_metadata'), 'not a checkpoint');
  await cluster.startTaskManager(jm.rpcPort, slot1);
  await waitFor('FAILED', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status === 'FAILED', { timeoutMs: 60_000 });
  t.match((await getJson(`${jm.restUrl}/jobs/${jobId}/exceptions`)).body['root-exception'], /None of the retained checkpoints can be restored \(checkpoint \d+: .* is not a tsflink checkpoint metadata file/);
  await waitFor('the checkpoints of the ended job deleted (NO_EXTERNALIZED_CHECKPOINTS, the default)', () => !existsSync(jobDir));
});

t.test('a checkpoint that times out is marked failed and the job keeps running', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('expiring', 1);
  const jm = await cluster.startJobManager(['-D', 'execution.checkpointing.timeout=1 ms']);
  await cluster.startTaskManager(jm.rpcPort);
  const jobId = await submitJob(jm.restUrl, join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'StatefulCounter.ts'), [
    '--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output,
  ]);
  await waitFor('2 failed checkpoints', async () => (await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).body.counts.failed >= 2, { timeoutMs: 60_000 });
  const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`);
  t.equal(body.counts.completed, 0);
  t.match(body.latest.failed, { className: 'failed', status: 'FAILED', failure_message: /Checkpoint expired before completing \(timeout 1 ms\)/, failure_timestamp: Number });
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING');
  await produce(topics.input, ['k:1']);
  t.match(await readTopicUntil(topics.output, (values) => values.length >= 1), [/"count":1/], 'and it still processes records');
  t.equal(readdirSync(join(cluster.checkpointDir, jobId)).filter((d) => d.startsWith('chk-') && existsSync(join(cluster.checkpointDir, jobId, d, '_metadata'))).length, 0, 'failed checkpoints leave no metadata behind');
});
