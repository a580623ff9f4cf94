// High availability through a real ZooKeeper: two JobManagers (one leads, one stands by), two TaskManagers following the
// leader, ClickEventCount -p 2 exactly-once. kill -9 of the leader: the standby is elected, recovers the job graph and
// the job's checkpoints from ZooKeeper and the storage directory, and takes over the subtasks the TaskManagers kept
// running (reconciliation): no subtask restarts, no record is read twice, and checkpoints go on with the next ids;
// every window is exactly 1000, once, for a read_committed reader. The flink CLI finds the leader.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from '../testing/clickEventCountUnderAttack.js';
import { committedWindows, configureCluster, EVENTS_PER_WINDOW, haOptions, restRole } from '../testing/ha.js';
import { completedCheckpoints, createTopics, expectExactWindows, flinkCli, parseWindows, submitJob, waitForRunning } from '../testing/jobs.js';
import { testRun } from '../testing/testRun.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

/** Every subtask's attempt number, and what the source subtasks emitted, as REST shows them. */
async function subtasksOf(restUrl: string, jobId: string): Promise<{ attempts: number[]; sourceRecords: number }> {
  const job = (await getJson(`${restUrl}/jobs/${jobId}`)).body as { vertices: Array<{ id: string; name: string; metrics: Record<string, number> }> };
  const attempts: number[] = [];
  for (const vertex of job.vertices) {
    const details = (await getJson(`${restUrl}/jobs/${jobId}/vertices/${vertex.id}`)).body as { subtasks: Array<{ attempt: number }> };
    attempts.push(...details.subtasks.map((s) => s.attempt));
  }
  return { attempts, sourceRecords: job.vertices.find((v) => v.name.includes('Source'))!.metrics['write-records']! };
}

t.test('kill -9 of the leading JobManager: the standby takes over the job and its running subtasks, nothing restarts or is read twice', async (t) => {
  const zooKeeper = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => zooKeeper.close());
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  configureCluster(cluster, haOptions(cluster, zooKeeper.quorum, '/ha-failover'));
  const topics = await createTopics('ha-failover');

  const first = await cluster.startJobManager();
  await waitFor('the first JobManager leads', async () => (await restRole(first.restUrl)) === 'leader');
  const second = await cluster.startJobManager();
  // A standby answers with the leader's data, as Flink's REST does from any JobManager.
  await waitFor('the standby forwards to the leader', async () => (await restRole(second.restUrl)) === 'standby');
  const viaStandby = await getJson(`${second.restUrl}/overview`);
  t.equal(viaStandby.status, 200);
  t.same(viaStandby.body, (await getJson(`${first.restUrl}/overview`)).body, 'the same overview from the standby as from the leader');

  for (let i = 0; i < 2; i++) await cluster.startTaskManager(first.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  await waitFor('both TaskManagers registered with the leader', async () => (await getJson(`${first.restUrl}/overview`)).body.taskmanagers === 2);
  const bootstrap = testRun().kafka.bootstrapServers;
  const args = ['--bootstrap.servers', bootstrap, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const jobId = await submitJob(first.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(first.restUrl, jobId, 6);

  t.equal(await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: 3 }), 3 * EVENTS_PER_WINDOW);
  await waitFor('checkpoints under the first leader', async () => (await completedCheckpoints(first.restUrl, jobId)) >= 3, { timeoutMs: 60_000 });
  const lastUnderFirst = (await getJson(`${first.restUrl}/jobs/${jobId}/checkpoints`)).body.latest.completed.id as number;

  t.equal((await getJson(`${second.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING', 'the standby serves the job too');
  first.process.kill('SIGKILL');
  // No leader until the dead one's session expires: an election is on.
  const during = await fetch(`${second.restUrl}/overview`);
  t.equal(during.status, 503);
  t.same(await during.json(), { errors: ['Service temporarily unavailable due to an ongoing leader election. Please refresh.'] });
  await waitFor('the standby leads', async () => (await restRole(second.restUrl)) === 'leader', { timeoutMs: 60_000 });
  await waitForRunning(second.restUrl, jobId, 6);
  t.equal((await getJson(`${second.restUrl}/overview`)).body.taskmanagers, 2, 'the TaskManagers registered with the new leader');
  t.same((await subtasksOf(second.restUrl, jobId)).attempts, [0, 0, 0, 0, 0, 0], 'the subtasks run on: every one is still its first attempt');
  // The CLI finds the leader in ZooKeeper; -m (here the dead JobManager's address) is not used with HA, as in Flink.
  const list = await flinkCli(cluster, first.restUrl, ['list', '-r']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, `: ${jobId} : Click Event Count (RUNNING)`);

  t.equal(await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: 6, startIndex: 3 * EVENTS_PER_WINDOW }), 3 * EVENTS_PER_WINDOW);
  expectExactWindows(t, parseWindows(await committedWindows(topics.output, 6)), 6);
  // The first attempts read the whole input: had the job restarted from a checkpoint, the sources' counts would restart.
  await waitFor('the sources to have emitted every record once', async () => (await subtasksOf(second.restUrl, jobId)).sourceRecords >= 6 * EVENTS_PER_WINDOW, { timeoutMs: 30_000 });
  t.equal((await subtasksOf(second.restUrl, jobId)).sourceRecords, 6 * EVENTS_PER_WINDOW, 'the first attempts of the sources read every record, once');

  const latest = await waitFor('a checkpoint under the new leader', async () => (await getJson(`${second.restUrl}/jobs/${jobId}/checkpoints`)).body.latest?.completed?.id as number | undefined);
  t.ok(latest > lastUnderFirst, `checkpoint ids go on (${lastUnderFirst} → ${latest})`);
  const logs = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('');
  t.equal(logs.split(`Recovered JobGraph(jobId: ${jobId}).`).length - 1, 1, 'Recovered JobGraph once');
  t.match(logs, /Found [1-9]\d* checkpoints in ZooKeeper\./);
  t.match(logs, `Reconciled job Click Event Count (${jobId}): all 6 subtasks run on, none restarted.`);
  t.notMatch(logs, /Restoring job|switched from RUNNING to RESTARTING/, 'nothing restored, nothing restarted');
});
