// Where the new leader cannot take the job's subtasks over, it does what Flink does. Two JobManagers, two TaskManagers,
// ClickEventCount -p 2 exactly-once on a real ZooKeeper and Kafka: the leader and a TaskManager are killed at once, so
// the subtasks of that TaskManager are gone when the standby takes over. The surviving TaskManager still reports its
// own; the new leader cannot reconcile the job, cancels them and restarts it from the latest checkpoint on the survivor
// and a replacement TaskManager. Every window is exactly 1000, once, for a read_committed reader.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { committedWindows, configureCluster, EVENTS_PER_WINDOW, haClusterRunningClickEventCount, haOptions, restRole } from '../testing/ha.js';
import { expectExactWindows, parseWindows, waitForRunning } from '../testing/jobs.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

t.test('the leader and a TaskManager die at once: the new leader cannot reconcile and restarts the job from its latest checkpoint', async (t) => {
  const zooKeeper = await TestingZooKeeperEnsemble.start(1);
  t.teardown(() => zooKeeper.close());
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  configureCluster(cluster, haOptions(cluster, zooKeeper.quorum, '/ha-reconciliation'));
  const { first, second, taskManagers, topics, bootstrap, jobId } = await haClusterRunningClickEventCount(cluster, 'ha-reconciliation', 3);

  first.process.kill('SIGKILL');
  taskManagers[0]!.kill('SIGKILL');
  await cluster.startTaskManager(second.rpcPort);
  await waitFor('the standby leads', async () => (await restRole(second.restUrl)) === 'leader', { timeoutMs: 60_000 });
  await waitForRunning(second.restUrl, jobId, 6);
  const exceptions = (await getJson(`${second.restUrl}/jobs/${jobId}/exceptions`)).body as { exceptionHistory: { entries: Array<{ exceptionName: string; stacktrace: string }> } };
  const reconciliation = exceptions.exceptionHistory.entries.find((e) => e.exceptionName === 'JobReconciliationError');
  t.match(reconciliation?.stacktrace, /Could not reconcile job Click Event Count .* Restarting it from its latest checkpoint\./, 'the exception history says why');

  t.equal(await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: 6, startIndex: 3 * EVENTS_PER_WINDOW }), 3 * EVENTS_PER_WINDOW);
  expectExactWindows(t, parseWindows(await committedWindows(topics.output, 6)), 6);
  const logs = cluster.logFiles().filter((f) => f.includes('standalonesession')).map((f) => cluster.readLog(f)).join('');
  t.match(logs, `Could not reconcile job Click Event Count (${jobId})`);
  t.match(logs, new RegExp(`Restoring job ${jobId} from Checkpoint \\d+`), 'restored from its latest checkpoint');
  t.notMatch(logs, /Reconciled job/);
});
