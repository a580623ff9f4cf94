import { ClusterOptions, WebOptions } from '../../../common/config/options.js';
import { environmentInfo } from '../../../common/process/EnvironmentInfo.js';
import { threadDump } from '../../../common/process/ThreadDump.js';
import { FLINK_COMPATIBILITY_VERSION, TSFLINK_REVISION } from '../../../common/version.js';
import { isGloballyTerminal } from '../../executiongraph/JobStatus.js';
import type { Router } from '../Router.js';
import type { JobManagerServices } from './JobManagerServices.js';

/** GET /config, /overview, /jobmanager/config, /jobmanager/environment, /jobmanager/thread-dump and /datasets. */
export function registerClusterHandlers(router: Router, services: JobManagerServices): void {
  const { configuration, resourceManager, dispatcher } = services;

  router.add('GET', '/config', () => {
    const now = new Date();
    return {
      status: 200,
      body: {
        'refresh-interval': configuration.get(WebOptions.REFRESH_INTERVAL),
        'timezone-name': timeZoneName(now),
        'timezone-offset': -now.getTimezoneOffset() * 60_000,
        'flink-version': FLINK_COMPATIBILITY_VERSION,
        'flink-revision': TSFLINK_REVISION,
        features: {
          'web-submit': configuration.get(WebOptions.SUBMIT_ENABLE),
          'web-cancel': configuration.get(WebOptions.CANCEL_ENABLE),
          'web-rescale': configuration.get(WebOptions.RESCALE_ENABLE),
          'web-history': false,
        },
      },
    };
  });

  router.add('GET', '/overview', () => {
    const jobs = dispatcher.listJobs();
    const count = (status: string) => jobs.filter((j) => j.status === status).length;
    return {
      status: 200,
      body: {
        taskmanagers: resourceManager.getTaskManagers().length,
        'slots-total': resourceManager.slotManager.getNumberRegisteredSlots(),
        'slots-available': resourceManager.slotManager.getNumberFreeSlots(),
        'slots-free-and-blocked': 0,
        'taskmanagers-blocked': 0,
        'jobs-running': jobs.filter((j) => !isGloballyTerminal(j.status)).length,
        'jobs-finished': count('FINISHED'),
        'jobs-cancelled': count('CANCELED'),
        'jobs-failed': count('FAILED'),
        'flink-version': FLINK_COMPATIBILITY_VERSION,
        'flink-commit': TSFLINK_REVISION,
      },
    };
  });

  router.add('GET', '/jobmanager/config', () => ({ status: 200, body: configuration.toDisplayEntries() }));
  router.add('GET', '/jobmanager/environment', () => ({ status: 200, body: environmentInfo() }));
  router.add('GET', '/jobmanager/thread-dump', () => ({
    status: 200,
    body: threadDump(dispatcher.programThreads(), configuration.get(ClusterOptions.THREAD_DUMP_STACKTRACE_MAX_DEPTH)),
  }));

  // Flink's DataSet API (and with it /datasets, the cluster partitions a batch job kept) does not exist in tsflink.
  router.add('GET', '/datasets', () => ({ status: 200, body: { dataSets: [] } }));
}

function timeZoneName(date: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'long' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}
