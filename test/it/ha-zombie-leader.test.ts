// A zombie leader: the leading JobManager is stopped (SIGSTOP) past its ZooKeeper session timeout, the standby takes
// over, then the old leader resumes (SIGCONT). It must step down without any effect: the TaskManagers stay with the new
// leader, the job is not restarted by it, no checkpoint of its own completes, and the output stays exactly once.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { committedWindows, configureCluster, EVENTS_PER_WINDOW, haClusterRunningClickEventCount, haOptions, restRole } from '../testing/ha.js';
import { completedCheckpoints, expectExactWindows, parseWindows, waitForRunning } from '../testing/jobs.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

t.test('SIGSTOP the leader past the session timeout, a standby takes over, SIGCONT: the old leader steps down without effect', async (t) => {
  const zooKeeper = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => zooKeeper.close());
  const cluster = new TestingCluster();
  t.teardown(async () => {
    for (const p of cluster.processes) p.kill('SIGCONT');
    await cluster.close();
  });
  configureCluster(cluster, haOptions(cluster, zooKeeper.quorum, '/ha-zombie'));
  const { first: old, second: next, topics, bootstrap, jobId } = await haClusterRunningClickEventCount(cluster, 'ha-zombie', 2);

  old.process.kill('SIGSTOP');
  await waitFor('the standby leads', async () => (await restRole(next.restUrl)) === 'leader', { timeoutMs: 60_000 });
  await waitForRunning(next.restUrl, jobId, 6);
  await waitFor('a checkpoint under the new leader', async () => (await completedCheckpoints(next.restUrl, jobId)) >= 1, { timeoutMs: 60_000 });
  const before = (await getJson(`${next.restUrl}/jobs/${jobId}`)).body;

  old.process.kill('SIGCONT');
  const oldLog = () => cluster.logFiles().filter((f) => f.includes('standalonesession-0')).map((f) => cluster.readLog(f)).join('');
  await waitFor('the old leader steps down', () => /lost leadership/.test(oldLog()), { timeoutMs: 30_000 });
  t.match(oldLog(), /No contact with ZooKeeper for the session timeout|The ZooKeeper session has expired/, 'it knew its session was gone');
  await waitFor('the old leader answers as a standby (forwarding to the new one)', async () => (await restRole(old.restUrl)) === 'standby', { timeoutMs: 30_000 });

  // The new leader's job went on undisturbed: same TaskManagers, no restart, checkpoints continuing.
  const checkpointsAfter = await completedCheckpoints(next.restUrl, jobId);
  await waitFor('checkpoints go on under the new leader', async () => (await completedCheckpoints(next.restUrl, jobId)) > checkpointsAfter, { timeoutMs: 30_000 });
  t.equal((await getJson(`${next.restUrl}/overview`)).body.taskmanagers, 2, 'the TaskManagers stayed with the new leader');
  const job = (await getJson(`${next.restUrl}/jobs/${jobId}`)).body;
  t.equal(job.state, 'RUNNING');
  t.same(job.vertices.map((v: { tasks: Record<string, number> }) => v.tasks.RUNNING), before.vertices.map((v: { tasks: Record<string, number> }) => v.tasks.RUNNING));
  t.same((await getJson(`${next.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '0' }], 'the new leader never restarted the job');

  t.equal(await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: 6, startIndex: 3 * EVENTS_PER_WINDOW }), 3 * EVENTS_PER_WINDOW);
  expectExactWindows(t, parseWindows(await committedWindows(topics.output, 6)), 6);
  t.notMatch(oldLog().split('lost leadership')[1] ?? '', /Completed checkpoint/, 'the old leader completed no checkpoint after it resumed');
});
