// A network partition: a TaskManager host is cut off (its link down) while it runs half of ClickEventCount -p 2
// exactly-once. The JobManager loses its heartbeat and recovers the job on the remaining hosts; the link is healed.
// Whatever the cut-off tasks did, a read_committed reader sees every window exactly once.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from '../testing/clickEventCountUnderAttack.js';
import { completedCheckpoints, expectExactWindows, parseWindows, readCommittedUntil, submitJob, waitForRunning, windowsComplete } from '../testing/jobs.js';
import { haClusterOnHosts } from '../testing/netns/hostServices.js';
import { committedWindows, EVENTS_PER_WINDOW, restRole } from '../testing/ha.js';
import { getJson, waitFor } from '../testing/waitFor.js';

t.test('a TaskManager host cut off: the job recovers on the others; healed: nothing is seen twice', async (t) => {
  const { network, kafka, cluster } = await haClusterOnHosts(t, ['jm', 'tm1', 'tm2', 'tm3']);
  const jm = await cluster.startJobManager([], { network, host: 'jm' });
  await waitFor('the JobManager leads', async () => (await restRole(jm.restUrl)) === 'leader');
  const hosts = ['tm1', 'tm2', 'tm3'];
  for (const host of hosts) await cluster.startTaskManager(jm, ['-D', 'taskmanager.numberOfTaskSlots=1'], { network, host });
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
  expectExactWindows(t, parseWindows(await committedWindows('output', 5, kafka.bootstrapServers)), 5);
  await waitFor('the healed TaskManager registers again', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 3, { timeoutMs: 90_000 });
  // What the cut-off subtasks may still hold open is fenced by the new attempts' transactions: nothing more appears.
  const again = await readCommittedUntil('output', (values) => windowsComplete(parseWindows(values), 4), { bootstrapServers: kafka.bootstrapServers, idleMs: 3000 });
  expectExactWindows(t, parseWindows(again), 5);
});
