import { join } from 'node:path';
import type { Test } from 'tap';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from './TestingCluster.js';
import { createTopics, expectExactWindows, PAGES, parseWindows, readTopicUntil, submitJob, waitForRunning } from './jobs.js';
import { REPO_ROOT, testRun } from './testRun.js';
import { getJson, waitFor } from './waitFor.js';

export const CLICK_EVENT_COUNT_JOB = join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts');

/** A cluster running the playground job, for tests that attack it and then check the job did not notice. */
export interface RunningClickEventCount {
  cluster: TestingCluster;
  jm: Awaited<ReturnType<TestingCluster['startJobManager']>>;
  taskManagers: Array<Awaited<ReturnType<TestingCluster['startTaskManager']>>>;
  topics: { input: string; output: string };
  jobId: string;
}

/**
 * A JobManager, two TaskManagers (one slot each) and ClickEventCount at parallelism 2 with checkpoints, all RUNNING
 * (the keyBy crosses TaskManagers, so the data plane is in use). Closed when the test ends.
 */
export async function startClickEventCount(
  t: Test,
  { prefix, jobManagerArgs = [], taskManagerArgs = [] }: { prefix: string; jobManagerArgs?: string[]; taskManagerArgs?: string[] },
): Promise<RunningClickEventCount> {
  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const topics = await createTopics(prefix);
  const jm = await cluster.startJobManager(jobManagerArgs);
  const taskManagers = [];
  for (let i = 0; i < 2; i++) taskManagers.push(await cluster.startTaskManager(jm.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1', ...taskManagerArgs]));
  await waitFor('TaskManagers registered', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 2);
  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing'];
  const jobId = await submitJob(jm.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(jm.restUrl, jobId, 6);
  return { cluster, jm, taskManagers, topics, jobId };
}

/**
 * Writes `windows` windows of click events and asserts that every closed window is in the output exactly once per page
 * with count 1000, that the job is still RUNNING on the same TaskManagers, and that it never restarted.
 */
export async function expectUnaffected(t: Test, running: RunningClickEventCount, windows = 6): Promise<void> {
  const { jm, jobId, topics, cluster } = running;
  const written = await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: topics.input, rate: 0, maxWindows: windows });
  t.equal(written, windows * PAGES.length * 1000);
  const output = await readTopicUntil(topics.output, (values) => values.length >= (windows - 1) * PAGES.length, 120_000);
  expectExactWindows(t, parseWindows(output), windows);
  t.equal((await getJson(`${jm.restUrl}/jobs/${jobId}/status`)).body.status, 'RUNNING');
  const restarts = (await getJson(`${jm.restUrl}/jobs/${jobId}/metrics?get=numRestarts`)).body;
  t.same(restarts, [{ id: 'numRestarts', value: '0' }], 'the job never restarted');
  t.equal((await getJson(`${jm.restUrl}/overview`)).body.taskmanagers, running.taskManagers.length, 'no TaskManager was lost');
  t.ok(cluster.processes.every((p) => p.child.exitCode === null), 'every cluster process is alive');
}
