// A network partition: a TaskManager host is cut off (its link down) while it runs half of ClickEventCount -p 2
// exactly-once. The JobManager loses its heartbeat and recovers the job on the remaining hosts; the link is healed.
// Whatever the cut-off tasks did, a read_committed reader sees every window exactly once.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from '../testing/clickEventCountUnderAttack.js';
import { completedCheckpoints, expectExactWindows, PAGES, parseWindows, readCommitted, submitJob, waitForRunning } from '../testing/jobs.js';
import { startKafkaOnHost, startZooKeeperOnHost } from '../testing/netns/hostServices.js';
import { TestingNetwork } from '../testing/netns/TestingNetwork.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const EVENTS_PER_WINDOW = PAGES.length * 1000;

t.test('a TaskManager host cut off: the job recovers on the others; healed: nothing is seen twice', async (t) => {
  const network = await TestingNetwork.create(['infra', 'jm', 'tm1', 'tm2', 'tm3']);
  t.teardown(() => network.close());
  const zooKeeper = startZooKeeperOnHost(network, 'infra');
  t.teardown(() => zooKeeper.stop());
  const kafka = startKafkaOnHost(network, 'infra');
  t.teardown(() => kafka.stop());
  kafka.tool(['create-topics', 'input:2', 'output:2']);

  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const ha = [
    '-D', 'high-availability.type=zookeeper',
    '-D', `high-availability.zookeeper.quorum=${zooKeeper.quorum}`,
    '-D', `high-availability.storageDir=file://${cluster.dir}/ha`,
    '-D', 'high-availability.zookeeper.client.session-timeout=4000',
  ];
  const jm = await cluster.startJobManager(ha, { network, host: 'jm' });
  await waitFor('the JobManager leads', async () => (await fetch(`${jm.restUrl}/overview`)).status === 200);
  const hosts = ['tm1', 'tm2', 'tm3'];
  for (const host of hosts) await cluster.startTaskManager(jm, [...ha, '-D', 'taskmanager.numberOfTaskSlots=1'], { network, host });
  await waitFor('three TaskManagers', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 3);

  const args = ['--bootstrap.servers', kafka.bootstrapServers, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(jm.restUrl, jobId, 6);
  t.equal(await runGenerator({ bootstrapServers: kafka.bootstrapServers, topic: 'input', rate: 0, maxWindows: 3 }), 3 * EVENTS_PER_WINDOW);
  await waitFor('checkpoints', async () => (await completedCheckpoints(jm.restUrl, jobId)) >= 2, { timeoutMs: 60_000 });

  // Cut off a host that runs a subtask.
  const { body: job } = await getJson(`${jm.restUrl}/jobs/${jobId}`);
  const vertex = job.vertices[job.vertices.length - 1];
  const { body: subtasks } = await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${vertex.id}`);
  const busy = hosts.find((h) => subtasks.subtasks.some((s: { host: string; 'taskmanager-id': string }) => s['taskmanager-id'].startsWith(network.host(h).address)))!;
  t.ok(busy, 'a TaskManager host runs a sink subtask');
  network.cut(busy);
  await waitFor('the job running again on the other hosts', async () => {
    const { body } = await getJson(`${jm.restUrl}/jobs/${jobId}/vertices/${vertex.id}`);
    return body.subtasks.every((s: { status: string; 'taskmanager-id': string }) => s.status === 'RUNNING' && !s['taskmanager-id'].startsWith(network.host(busy).address));
  }, { timeoutMs: 90_000, intervalMs: 500 });
  await waitForRunning(jm.restUrl, jobId, 6);

  t.equal(await runGenerator({ bootstrapServers: kafka.bootstrapServers, topic: 'input', rate: 0, maxWindows: 5, startIndex: 3 * EVENTS_PER_WINDOW }), 2 * EVENTS_PER_WINDOW);
  network.heal(busy);
  const output = await waitFor(
    'every closed window committed',
    async () => {
      const values = await readCommitted('output', { bootstrapServers: kafka.bootstrapServers, idleMs: 3000 });
      return values.length >= 4 * PAGES.length ? values : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  expectExactWindows(t, parseWindows(output), 5);
  await waitFor('the healed TaskManager registers again', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 3, { timeoutMs: 90_000 });
  // What the cut-off subtasks may still hold open is fenced by the new attempts' transactions: nothing more appears.
  const again = await readCommitted('output', { bootstrapServers: kafka.bootstrapServers, idleMs: 3000 });
  expectExactWindows(t, parseWindows(again), 5);
});
