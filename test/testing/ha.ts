import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAGES, readCommitted } from './jobs.js';
import type { TestingCluster } from './TestingCluster.js';
import { waitFor } from './waitFor.js';

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
  return waitFor(
    'every closed window committed',
    async () => {
      const values = await readCommitted(topic, { idleMs: 3000, ...(bootstrapServers ? { bootstrapServers } : {}) });
      return values.length >= (windows - 1) * PAGES.length ? values : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
}
