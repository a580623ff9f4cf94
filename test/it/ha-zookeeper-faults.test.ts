// ZooKeeper faults under an HA cluster (three ZooKeeper servers, two JobManagers, two TaskManagers, ClickEventCount
// exactly-once): the death of one ZooKeeper server changes nothing — no leader change, no restart; a restart of the
// whole ensemble suspends leadership and a leader is elected again, with never two leaders at once, the job recovered
// and every window exactly once.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from '../testing/clickEventCountUnderAttack.js';
import { committedWindows, configureCluster, EVENTS_PER_WINDOW, haOptions, leadingJobManager, restRole } from '../testing/ha.js';
import { completedCheckpoints, createTopics, expectExactWindows, parseWindows, submitJob, waitForRunning } from '../testing/jobs.js';
import { testRun } from '../testing/testRun.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';
import { TestingZooKeeperEnsemble } from '../testing/zookeeper/TestingZooKeeperEnsemble.js';

t.test('one ZooKeeper server dies: nothing happens; the whole ensemble restarts: one leader again, the job goes on', async (t) => {
  const zooKeeper = await TestingZooKeeperEnsemble.start(3);
  t.teardown(() => zooKeeper.close());
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  configureCluster(cluster, haOptions(cluster, zooKeeper.quorum, '/zookeeper-faults', 6000));
  const topics = await createTopics('ha-zookeeper-faults');
  const jobManagers = [await cluster.startJobManager()];
  await waitFor('a leader', async () => (await restRole(jobManagers[0]!.restUrl)) === 'leader');
  jobManagers.push(await cluster.startJobManager());
  for (let i = 0; i < 2; i++) await cluster.startTaskManager(jobManagers[0]!.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1']);
  const leader = jobManagers[0]!;
  await waitFor('TaskManagers registered', async () => (await getJson(`${leader.restUrl}/overview`)).body.taskmanagers === 2);

  // Never two leaders: both REST endpoints are sampled for the whole test.
  let bothLeading = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const roles = await Promise.all(jobManagers.map((jm) => restRole(jm.restUrl)));
      if (roles.every((r) => r === 'leader')) bothLeading++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  t.teardown(async () => {
    sampling = false;
    await sampler;
  });

  const bootstrap = testRun().kafka.bootstrapServers;
  const args = ['--bootstrap.servers', bootstrap, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const jobId = await submitJob(leader.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(leader.restUrl, jobId, 6);
  t.equal(await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: 2 }), 2 * EVENTS_PER_WINDOW);
  await waitFor('checkpoints', async () => (await completedCheckpoints(leader.restUrl, jobId)) >= 2, { timeoutMs: 60_000 });

  // One server of three dies (the ensemble's own leader, the hardest case): clients move, nothing else happens.
  const modes = await zooKeeper.modes();
  const zkLeader = zooKeeper.members[modes.indexOf('leader')]!.id;
  zooKeeper.killMember(zkLeader);
  await zooKeeper.awaitServing();
  const before = await completedCheckpoints(leader.restUrl, jobId);
  await waitFor('checkpoints go on', async () => (await completedCheckpoints(leader.restUrl, jobId)) >= before + 3, { timeoutMs: 60_000 });
  t.equal(await restRole(leader.restUrl), 'leader', 'the same JobManager leads');
  t.same((await getJson(`${leader.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body, [{ id: 'numRestarts', value: '0' }], 'the job never restarted');
  t.equal((await getJson(`${leader.restUrl}/overview`)).body.taskmanagers, 2);
  await zooKeeper.startMember(zkLeader);

  // The whole ensemble restarts: leadership is suspended, then one JobManager leads again and runs the job.
  await Promise.all(zooKeeper.members.map((m) => zooKeeper.stopMember(m.id)));
  await waitFor('no JobManager leads', async () => (await Promise.all(jobManagers.map((jm) => restRole(jm.restUrl)))).every((r) => r === 'no leader'), { timeoutMs: 30_000 });
  await Promise.all(zooKeeper.members.map((m) => zooKeeper.startMember(m.id)));
  await zooKeeper.awaitServing();
  const next = await leadingJobManager(jobManagers);
  await waitForRunning(next.restUrl, jobId, 6);

  t.equal(await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: 4, startIndex: 2 * EVENTS_PER_WINDOW }), 2 * EVENTS_PER_WINDOW);
  expectExactWindows(t, parseWindows(await committedWindows(topics.output, 4)), 4);
  t.equal(bothLeading, 0, 'never two leaders at once');
});
