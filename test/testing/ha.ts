import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { CLICK_EVENT_COUNT_JOB } from './clickEventCountUnderAttack.js';
import { completedCheckpoints, createTopics, PAGES, readCommittedUntil, submitJob, waitForRunning } from './jobs.js';
import { testRun } from './testRun.js';
import type { ClusterProcess, TestingCluster } from './TestingCluster.js';
import { getJson, waitFor } from './waitFor.js';

/** Click events of one 15 s window: 1000 per page. */
export const EVENTS_PER_WINDOW = PAGES.length * 1000;

/**
 * How the JobManager at `restUrl` answers `GET /overview`: 'leader' (it leads and answered itself), 'standby' (it
 * forwarded the call to the leader), 'no leader' (503: an election is on), or undefined when nothing answers.
 */
export async function restRole(restUrl: string): Promise<'leader' | 'standby' | 'no leader' | undefined> {
  try {
    const response = await fetch(`${restUrl}/overview`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    if (response.status === 503) return 'no leader';
    return response.status === 200 ? (response.headers.get('x-tsflink-jobmanager') as 'leader' | 'standby') : undefined;
  } catch {
    return undefined;
  }
}

/** Flink's HA keys for a cluster on `quorum`, its storage directory inside the cluster's directory. */
export function haOptions(cluster: TestingCluster, quorum: string, clusterId: string, sessionTimeoutMs = 4000): Record<string, string> {
  return {
    'high-availability.type': 'zookeeper',
    'high-availability.zookeeper.quorum': quorum,
    'high-availability.storageDir': `file://${cluster.dir}/ha`,
    'high-availability.cluster-id': clusterId,
    'high-availability.zookeeper.client.session-timeout': String(sessionTimeoutMs),
  };
}

/** The keys as `-D` arguments of one process. */
export function dynamicProperties(options: Record<string, string>): string[] {
  return Object.entries(options).flatMap(([key, value]) => ['-D', `${key}=${value}`]);
}

/** The keys in the cluster's config.yaml: every process and the flink CLI read them. */
export function configureCluster(cluster: TestingCluster, options: Record<string, string>): void {
  appendFileSync(join(cluster.confDir, 'config.yaml'), `${Object.entries(options).map(([key, value]) => `${key}: ${value}`).join('\n')}\n`);
}

/** The JobManager among `jobManagers` whose REST answers as the leader's. */
export async function leadingJobManager<T extends { restUrl: string; process: { child: { exitCode: number | null } } }>(jobManagers: readonly T[], timeoutMs = 90_000): Promise<T> {
  return waitFor(
    'a leading JobManager',
    async () => {
      for (const jm of jobManagers) if (jm.process.child.exitCode === null && (await restRole(jm.restUrl)) === 'leader') return jm;
      return undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Waits until every closed window of `windows` written ones is committed in `topic` (read_committed); resolves with the records. */
export async function committedWindows(topic: string, windows: number, bootstrapServers?: string): Promise<string[]> {
  return readCommittedUntil(topic, (values) => values.length >= (windows - 1) * PAGES.length, { idleMs: 3000, ...(bootstrapServers ? { bootstrapServers } : {}) });
}

type JobManager = Awaited<ReturnType<TestingCluster['startJobManager']>>;

/**
 * Where the HA tests start from, on a `cluster` configured for HA: two JobManagers (the first leads, the second stands
 * by), two one-slot TaskManagers, ClickEventCount -p 2 exactly-once on topics of its own (`prefix`), three windows of
 * input written, and `checkpoints` checkpoints completed under the first leader.
 */
export async function haClusterRunningClickEventCount(
  cluster: TestingCluster,
  prefix: string,
  checkpoints: number,
): Promise<{ first: JobManager; second: JobManager; taskManagers: ClusterProcess[]; topics: { input: string; output: string }; bootstrap: string; jobId: string }> {
  const topics = await createTopics(prefix);
  const first = await cluster.startJobManager();
  await waitFor('the first JobManager leads', async () => (await restRole(first.restUrl)) === 'leader');
  const second = await cluster.startJobManager();
  const taskManagers: ClusterProcess[] = [];
  for (let i = 0; i < 2; i++) taskManagers.push((await cluster.startTaskManager(first.rpcPort, ['-D', 'taskmanager.numberOfTaskSlots=1'])).process);
  await waitFor('both TaskManagers registered', async () => (await getJson(`${first.restUrl}/overview`)).body.taskmanagers === 2);
  const bootstrap = testRun().kafka.bootstrapServers;
  const args = ['--bootstrap.servers', bootstrap, '--input-topic', topics.input, '--output-topic', topics.output, '--event-time', '--checkpointing', '--delivery-guarantee', 'exactly-once'];
  const jobId = await submitJob(first.restUrl, CLICK_EVENT_COUNT_JOB, args, 2);
  await waitForRunning(first.restUrl, jobId, 6);
  const written = await runGenerator({ bootstrapServers: bootstrap, topic: topics.input, rate: 0, maxWindows: 3 });
  if (written !== 3 * EVENTS_PER_WINDOW) throw new Error(`The generator wrote ${written} events, not ${3 * EVENTS_PER_WINDOW}.`);
  await waitFor('checkpoints under the first leader', async () => (await completedCheckpoints(first.restUrl, jobId)) >= checkpoints, { timeoutMs: 60_000 });
  return { first, second, taskManagers, topics, bootstrap, jobId };
}
