// The JobManager's and TaskManagers' diagnostics as Flink's dashboard reads them, against a real cluster running
// ClickEventCount: environment, the job's JobManager configuration, thread dumps of both processes (over RPC for the
// TaskManager), and flame graphs sampled by V8's profiler in the subtasks' threads.
import t from 'tap';
import { join } from 'node:path';
import { TestingCluster } from '../testing/TestingCluster.js';
import { createTopics, generateWhileTestRuns, submitJob, waitForRunning } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

interface FlameNode {
  name: string;
  value: number;
  children: FlameNode[];
}

function names(node: FlameNode): string[] {
  return [node.name, ...node.children.flatMap(names)];
}

t.test('environment, configuration, thread dumps and flame graphs of a running ClickEventCount', async (t) => {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics('rest-diagnostics');
  // Short samplings, refreshed at once: the second request after a sampling starts the next one.
  const jm = await cluster.startJobManager(['-D', 'rest.flamegraph.enabled=true', '-D', 'rest.flamegraph.num-samples=20', '-D', 'rest.flamegraph.delay-between-samples=50 ms']);
  const tm = await cluster.startTaskManager(jm.rpcPort);
  const url = jm.restUrl;
  const jobId = await submitJob(url, join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts'), [
    '--bootstrap.servers',
    testRun().kafka.bootstrapServers,
    '--input-topic',
    topics.input,
    '--output-topic',
    topics.output,
  ]);
  generateWhileTestRuns(t, topics.input, 2000);
  await waitForRunning(url, jobId, 3);

  const environment = (await getJson(`${url}/jobmanager/environment`)).body;
  t.match(environment, { jvm: { version: `Node.js ${process.version} (V8 ${process.versions.v8})`, arch: process.arch, options: Array }, classpath: [/dist$/, /node_modules$/] });
  t.notOk('environment' in environment, 'no environment variables (they may hold secrets)');
  t.same((await getJson(`${url}/jobs/${jobId}/jobmanager/environment`)).body, environment);
  const jobConfig = (await getJson(`${url}/jobs/${jobId}/jobmanager/config`)).body as Array<{ key: string; value: string }>;
  t.ok(jobConfig.some((e) => e.key === 'rest.flamegraph.enabled' && e.value === 'true'), "the job's JobManager configuration");
  t.equal((await getJson(`${url}/jobs/${'0'.repeat(32)}/jobmanager/config`)).status, 404);
  t.same((await getJson(`${url}/datasets`)).body, { dataSets: [] });

  const jmDump = (await getJson(`${url}/jobmanager/thread-dump`)).body;
  t.equal(jmDump.threadInfos[0].threadName, 'main');
  t.match(jmDump.threadInfos[0].stringifiedThreadInfo, /^"main" Id=0 RUNNABLE\n\tat .*\n[\s\S]*\t- event loop: \d+ active resources/);

  const tmDump = (await getJson(`${url}/taskmanagers/${tm.resourceId}/thread-dump`)).body as { threadInfos: Array<{ threadName: string; stringifiedThreadInfo: string }> };
  t.equal(tmDump.threadInfos[0]!.threadName, 'main');
  const taskThreads = tmDump.threadInfos.map((i) => i.threadName).filter((n) => n !== 'main');
  t.same(
    taskThreads.filter((n) => !n.startsWith('Task thread ')).sort(),
    ['ClickEvent Counter (1/1)#0', 'ClickEvent Source (1/1)#0', 'ClickEventStatistics Sink (1/1)#0'],
    'every subtask in its thread',
  );
  t.match(tmDump.threadInfos.find((i) => i.threadName === 'ClickEvent Source (1/1)#0')!.stringifiedThreadInfo, /^"ClickEvent Source \(1\/1\)#0" Id=\d+ RUNNABLE\n\t- subtask [0-9a-f]{32} RUNNING\n\t- job [0-9a-f]{32}, vertex [0-9a-f]{32}\n/);
  t.equal((await getJson(`${url}/taskmanagers/nope/thread-dump`)).status, 404);

  // What the dashboard's TaskManager page computes with: a data port, and a bound for the Metaspace bar.
  t.ok((await getJson(`${url}/taskmanagers`)).body.taskmanagers[0].dataPort > 0, 'the data port');
  const metaspace = await waitFor('the TaskManager metrics', async () => (await getJson(`${url}/taskmanagers/${tm.resourceId}/metrics?get=Status.JVM.Memory.Metaspace.Max`)).body[0]);
  t.same(metaspace, { id: 'Status.JVM.Memory.Metaspace.Max', value: String(128 * 1024 * 1024) });

  const vertices = (await getJson(`${url}/jobs/${jobId}`)).body.vertices as Array<{ id: string; name: string }>;
  const counter = vertices.find((v) => v.name === 'ClickEvent Counter')!.id;
  const flameGraph = (query = '') => getJson(`${url}/jobs/${jobId}/vertices/${counter}/flamegraph${query}`);
  t.same((await flameGraph()).body, { endTimestamp: -3 }, 'waiting for the first sampling');
  const graph = await waitFor('a flame graph with on-CPU samples', async () => {
    const { body } = await flameGraph('?type=on_cpu');
    return body.endTimestamp > 0 && body.data.value > 0 ? body : undefined;
  });
  t.equal(graph.data.name, 'root');
  t.ok(graph.data.children.every((c: FlameNode) => c.name !== '(idle)'), 'on-CPU: no idle time');
  t.ok(names(graph.data).some((n) => /\(StreamTask\.js:\d+\)$/.test(n)), 'the subtask thread at work: StreamTask frames');
  const offCpu = (await flameGraph('?type=off_cpu&subtaskindex=0')).body;
  t.ok(offCpu.data.children.every((c: FlameNode) => c.name === '(idle)'), 'off-CPU: the idle time only');
  t.equal((await flameGraph('?type=sideways')).status, 400);
  t.equal((await flameGraph('?subtaskindex=1')).status, 400, 'no subtask 1 at parallelism 1');

  await fetch(`${url}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' });
  await waitFor('CANCELED', async () => (await getJson(`${url}/jobs/${jobId}`)).body.state === 'CANCELED');
  t.same((await flameGraph()).body, { endTimestamp: -1 }, 'a vertex that ended');
});
