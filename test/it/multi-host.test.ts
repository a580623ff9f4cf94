// The playground's topology over five hosts (network namespaces): ZooKeeper and Kafka on one, two JobManagers (a leader
// and a standby) on two more, two TaskManagers on the last two. Each process binds and advertises its host's address;
// the keyBy crosses TaskManager hosts; the leader is killed and the standby on the other host takes over. The
// exactly-once output is read with Kafka's console consumer (read_committed): every window exactly 1000.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from '../testing/clickEventCountUnderAttack.js';
import { completedCheckpoints, expectExactWindows, parseWindows, submitJob, waitForRunning } from '../testing/jobs.js';
import { haClusterOnHosts } from '../testing/netns/hostServices.js';
import { committedWindows, EVENTS_PER_WINDOW, restRole } from '../testing/ha.js';
import { getJson, waitFor } from '../testing/waitFor.js';

t.test('ClickEventCount -p 2 exactly-once on five hosts with two JobManagers; the leader dies, the other host takes over', async (t) => {
  const { network, kafka, cluster } = await haClusterOnHosts(t, ['jm1', 'jm2', 'tm1', 'tm2']);
  const jm1 = await cluster.startJobManager([], { network, host: 'jm1' });
  await waitFor('the JobManager on jm1 leads', async () => (await restRole(jm1.restUrl)) === 'leader');
  const jm2 = await cluster.startJobManager([], { network, host: 'jm2' });
  t.equal(await restRole(jm2.restUrl), 'standby', 'the JobManager on jm2 stands by (and forwards to the leader)');
  for (const host of ['tm1', 'tm2']) await cluster.startTaskManager(jm1, ['-D', 'taskmanager.numberOfTaskSlots=1'], { network, host });
  const { body: overview } = await waitFor('two TaskManagers', async () => {
    const response = await getJson(`${jm1.restUrl}/taskmanagers`);
    return response.body.taskmanagers.length === 2 ? response : undefined;
  });
  const paths = overview.taskmanagers.map((tm: { path: string }) => tm.path).sort();
  t.match(paths[0], network.host('tm1').address, 'each TaskManager advertises its host’s address');
  t.match(paths[1], network.host('tm2').address);

  const args = ['--bootstrap.servers', kafka.bootstrapServers, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const jobId = await submitJob(jm1.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(jm1.restUrl, jobId, 6);
  t.equal(await runGenerator({ bootstrapServers: kafka.bootstrapServers, topic: 'input', rate: 0, maxWindows: 3 }), 3 * EVENTS_PER_WINDOW);
  await waitFor('checkpoints under jm1', async () => (await completedCheckpoints(jm1.restUrl, jobId)) >= 2, { timeoutMs: 60_000 });

  jm1.process.kill('SIGKILL');
  await waitFor('jm2 leads', async () => (await restRole(jm2.restUrl)) === 'leader', { timeoutMs: 60_000 });
  await waitForRunning(jm2.restUrl, jobId, 6);
  t.equal(await runGenerator({ bootstrapServers: kafka.bootstrapServers, topic: 'input', rate: 0, maxWindows: 6, startIndex: 3 * EVENTS_PER_WINDOW }), 3 * EVENTS_PER_WINDOW);
  expectExactWindows(t, parseWindows(await committedWindows('output', 6, kafka.bootstrapServers)), 6);
  t.equal((await getJson(`${jm2.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING');
});
