import { join } from 'node:path';
import type { Configuration } from '../common/config/Configuration.js';
import { ClientOptions, HighAvailabilityOptions, JobManagerOptions } from '../common/config/options.js';
import { FlinkException, IllegalConfigurationError } from '../common/errors.js';
import { checkpointLocationPath } from '../common/fileUris.js';
import { Logger, LogSink } from '../common/Logger.js';
import { FileSystemStateStorage } from './FileSystemStateStorage.js';
import { highAvailabilityMode, type HighAvailabilityMode } from './HighAvailabilityMode.js';
import { FileSystemJobResultStore, InMemoryJobResultStore, type JobResultStore } from './JobResultStore.js';
import type { LeaderInformation } from './LeaderInformation.js';
import { ZooKeeperPaths } from './LeaderInformation.js';
import type { LeaderContender } from './leaderelection/LeaderContender.js';
import { ZooKeeperLeaderElectionDriver } from './leaderelection/ZooKeeperLeaderElectionDriver.js';
import { ZooKeeperLeaderRetrievalDriver } from './leaderretrieval/ZooKeeperLeaderRetrievalDriver.js';
import { ZooKeeperClient, type ZooKeeperSession } from './zookeeper/ZooKeeperClient.js';
import { type LeaderFence, NO_FENCE, ZooKeeperStateHandleStore } from './zookeeper/ZooKeeperStateHandleStore.js';

/** The components whose leader is published (Flink's names under `leader/`). */
export type LeaderComponent = 'dispatcher' | 'resource_manager' | 'rest_server';

/** The JobManager's side of leader election (Flink's LeaderElection): contend, publish, fence. */
export interface LeaderElectionService {
  start(contender: LeaderContender): Promise<void>;
  /** Publishes where `component` of the leadership `leaderSessionId` is reached; false when that leadership is over. */
  publish(component: LeaderComponent, leaderSessionId: string, address: string): Promise<boolean>;
  hasLeadership(leaderSessionId: string): boolean;
  /** What guards the HA stores' writes made under `leaderSessionId`. */
  fence(leaderSessionId: string): LeaderFence;
  close(): Promise<void>;
}

/** Follows the leader of one component (Flink's LeaderRetrievalService). */
export interface LeaderRetrievalService {
  start(listener: (leader: LeaderInformation | undefined) => void): Promise<void>;
  close(): void;
}

/**
 * Flink's HighAvailabilityServices: leader election and retrieval, and where a leader keeps what outlives it. Without
 * HA (`high-availability.type: none`) the one JobManager leads at once and forever, its address is the configured one,
 * and nothing outlives it.
 */
export interface HighAvailabilityServices {
  readonly mode: HighAvailabilityMode;
  createLeaderElection(): LeaderElectionService;
  createLeaderRetrieval(component: LeaderComponent): LeaderRetrievalService;
  /** A store of states under `<cluster>/<path>` with its files in the storage directory; undefined without HA. */
  createStateHandleStore(path: string, filePrefix: string, fence: LeaderFence): ZooKeeperStateHandleStore | undefined;
  readonly jobResultStore: JobResultStore;
  /** The ZooKeeper session and paths, for stores that keep only a node (the checkpoint id counter); undefined without HA. */
  readonly zooKeeper: { client: ZooKeeperSession; paths: ZooKeeperPaths } | undefined;
  close(): Promise<void>;
}

/** Flink's leader session id of a cluster without HA. */
export const DEFAULT_LEADER_ID = '00000000-0000-0000-0000-000000000000';

/** A leader that never changes (Flink's StandaloneLeaderRetrievalService): told to the listener at once. */
export function fixedLeaderRetrieval(address: string, sessionId = DEFAULT_LEADER_ID): LeaderRetrievalService {
  return { start: async (listener) => listener({ sessionId, address }), close: () => undefined };
}

export async function createHighAvailabilityServices(config: Configuration, log: Logger): Promise<HighAvailabilityServices> {
  if (highAvailabilityMode(config) === 'NONE') return new StandaloneHaServices(config);
  const client = new ZooKeeperClient({
    quorum: config.get(HighAvailabilityOptions.ZOOKEEPER_QUORUM)!,
    sessionTimeoutMs: config.get(HighAvailabilityOptions.ZOOKEEPER_SESSION_TIMEOUT),
    connectionTimeoutMs: config.get(HighAvailabilityOptions.ZOOKEEPER_CONNECTION_TIMEOUT),
    logger: log.child('ZooKeeperClient'),
  });
  const services = new ZooKeeperHaServices(config, client, log);
  try {
    await client.start();
  } catch (error) {
    await client.close();
    throw error;
  }
  log.info(`High availability through ZooKeeper at ${config.get(HighAvailabilityOptions.ZOOKEEPER_QUORUM)}, under ${services.paths.cluster}; metadata in ${services.storageDirectory}.`);
  return services;
}

class StandaloneHaServices implements HighAvailabilityServices {
  readonly mode = 'NONE' as const;
  readonly jobResultStore = new InMemoryJobResultStore();
  readonly zooKeeper = undefined;

  constructor(private readonly config: Configuration) {}

  createLeaderElection(): LeaderElectionService {
    let contender: LeaderContender | undefined;
    let closed = false;
    return {
      start: async (c) => {
        contender = c;
        c.grantLeadership(DEFAULT_LEADER_ID);
      },
      publish: async () => !closed,
      hasLeadership: (id) => !closed && id === DEFAULT_LEADER_ID,
      fence: () => NO_FENCE,
      close: async () => {
        if (closed) return;
        closed = true;
        contender?.revokeLeadership();
      },
    };
  }

  /** The configured JobManager: `jobmanager.rpc.address:jobmanager.rpc.port`, at once. */
  createLeaderRetrieval(): LeaderRetrievalService {
    return fixedLeaderRetrieval(`${this.config.get(JobManagerOptions.ADDRESS)}:${this.config.get(JobManagerOptions.PORT)}`);
  }

  createStateHandleStore(): undefined {
    return undefined;
  }

  async close(): Promise<void> {}
}

class ZooKeeperHaServices implements HighAvailabilityServices {
  readonly mode = 'ZOOKEEPER' as const;
  readonly paths: ZooKeeperPaths;
  readonly storageDirectory: string;
  readonly jobResultStore: JobResultStore;
  private readonly storage: FileSystemStateStorage;
  private readonly tolerateSuspendedConnections: boolean;

  constructor(
    config: Configuration,
    private readonly client: ZooKeeperClient,
    private readonly log: Logger,
  ) {
    this.paths = new ZooKeeperPaths(config.get(HighAvailabilityOptions.ZOOKEEPER_ROOT), config.get(HighAvailabilityOptions.CLUSTER_ID));
    const storageDir = config.get(HighAvailabilityOptions.STORAGE_DIR)!;
    let base: string;
    try {
      base = checkpointLocationPath(storageDir, 'high-availability.storageDir');
    } catch (error) {
      throw new IllegalConfigurationError((error as Error).message, { cause: error });
    }
    // Flink's layout: <storageDir>/<cluster-id>/…, the job result store in <storageDir>/job-result-store/<cluster-id>.
    const clusterId = this.paths.cluster.slice(this.paths.cluster.lastIndexOf('/') + 1) || 'default';
    this.storageDirectory = join(base, clusterId);
    this.storage = new FileSystemStateStorage(this.storageDirectory);
    this.jobResultStore = new FileSystemJobResultStore(join(base, 'job-result-store', clusterId));
    this.tolerateSuspendedConnections = config.get(HighAvailabilityOptions.ZOOKEEPER_TOLERATE_SUSPENDED_CONNECTIONS);
  }

  get zooKeeper(): { client: ZooKeeperSession; paths: ZooKeeperPaths } {
    return { client: this.client, paths: this.paths };
  }

  createLeaderElection(): LeaderElectionService {
    const driver = new ZooKeeperLeaderElectionDriver({
      client: this.client,
      paths: this.paths,
      logger: this.log.child('ZooKeeperLeaderElectionDriver'),
      tolerateSuspendedConnections: this.tolerateSuspendedConnections,
    });
    return {
      start: (contender) => driver.start(contender),
      publish: (component, id, address) => driver.publishLeaderInformation(component, id, address),
      hasLeadership: (id) => driver.hasLeadership(id),
      fence: (id) => driver.fence(id),
      close: () => driver.close(),
    };
  }

  createLeaderRetrieval(component: LeaderComponent): LeaderRetrievalService {
    const driver = new ZooKeeperLeaderRetrievalDriver({
      client: this.client,
      path: this.paths.connectionInfo(component),
      logger: this.log.child('ZooKeeperLeaderRetrievalDriver'),
    });
    return { start: (listener) => driver.start(listener), close: () => driver.close() };
  }

  createStateHandleStore(path: string, filePrefix: string, fence: LeaderFence): ZooKeeperStateHandleStore {
    return new ZooKeeperStateHandleStore(this.client, `${this.paths.cluster}/${path}`, this.storage, fence, filePrefix, this.log.child('ZooKeeperStateHandleStore'));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The REST address (a URL) of the leading JobManager, as ZooKeeper names it: what the CLI and other clients dial with
 * HA. Waits up to `client.timeout` for a leader.
 */
export async function retrieveLeaderRestAddress(config: Configuration): Promise<string> {
  const quiet = new Logger(new LogSink(undefined, false, 'ERROR'), 'LeaderRetrieval');
  const timeoutMs = config.get(ClientOptions.TIMEOUT);
  const ha = await createHighAvailabilityServices(config, quiet).catch((error: unknown) => {
    throw new FlinkException(`Could not reach ZooKeeper to find the leading JobManager: ${(error as Error).message}`, { cause: error });
  });
  const retrieval = ha.createLeaderRetrieval('rest_server');
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new FlinkException(`No JobManager leads the cluster (none found in ZooKeeper within ${timeoutMs} ms).`)), timeoutMs);
      retrieval
        .start((leader) => {
          if (!leader) return;
          clearTimeout(timer);
          resolve(leader.address);
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error);
        });
    });
  } finally {
    retrieval.close();
    await ha.close();
  }
}
