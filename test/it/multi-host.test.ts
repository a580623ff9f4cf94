// The playground's topology over several hosts (network namespaces): Kafka on one, the JobManager on another, two
// TaskManagers on two more. Each process binds and advertises its host's address; the keyBy crosses TaskManager hosts;
// the exactly-once output is read with Kafka's console consumer (read_committed): every window exactly 1000.
import t from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from '../testing/clickEventCountUnderAttack.js';
import { expectExactWindows, PAGES, parseWindows, readCommitted, submitJob, waitForRunning } from '../testing/jobs.js';
import { startKafkaOnHost } from '../testing/netns/hostServices.js';
import { TestingNetwork } from '../testing/netns/TestingNetwork.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { getJson, waitFor } from '../testing/waitFor.js';

t.test('ClickEventCount -p 2 exactly-once with Kafka, the JobManager and two TaskManagers on four hosts', async (t) => {
  const network = await TestingNetwork.create(['kafka', 'jm', 'tm1', 'tm2']);
  t.teardown(() => network.close());
  const kafka = startKafkaOnHost(network, 'kafka');
  t.teardown(() => kafka.stop());
  kafka.tool(['create-topics', 'input:2', 'output:2']);

  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager([], { network, host: 'jm' });
  t.equal(jm.address, network.host('jm').address);
  for (const host of ['tm1', 'tm2']) await cluster.startTaskManager(jm, ['-D', 'taskmanager.numberOfTaskSlots=1'], { network, host });
  const { body: overview } = await waitFor('two TaskManagers', async () => {
    const response = await getJson(`${jm.restUrl}/taskmanagers`);
    return response.body.taskmanagers.length === 2 ? response : undefined;
  });
  const paths = overview.taskmanagers.map((tm: { path: string }) => tm.path).sort();
  t.match(paths[0], network.host('tm1').address, 'each TaskManager advertises its host’s address');
  t.match(paths[1], network.host('tm2').address);

  const args = ['--bootstrap.servers', kafka.bootstrapServers, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(jm.restUrl, jobId, 6);

  const windows = 4;
  t.equal(await runGenerator({ bootstrapServers: kafka.bootstrapServers, topic: 'input', rate: 0, maxWindows: windows }), windows * PAGES.length * 1000);
  const output = await waitFor(
    'every closed window committed',
    async () => {
      const values = await readCommitted('output', { bootstrapServers: kafka.bootstrapServers, idleMs: 3000 });
      return values.length >= (windows - 1) * PAGES.length ? values : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
  expectExactWindows(t, parseWindows(output), windows);
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING');
});
