import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from '@grpc/grpc-js';
import type { Configuration } from '../common/config/Configuration.js';
import { parseTempDirectories } from '../common/config/ConfigurationUtils.js';
import { HeartbeatManagerOptions, HighAvailabilityOptions, JobManagerOptions, ResourceManagerOptions, RestOptions, WebOptions } from '../common/config/options.js';
import { IllegalConfigurationError } from '../common/errors.js';
import { randomHex } from '../common/ids.js';
import type { Logger } from '../common/Logger.js';
import { bindToFirstFreePort, parsePortRange } from '../common/net/PortRange.js';
import { SystemClock } from '../common/time/Clock.js';
import { SystemScheduledExecutor } from '../common/time/ScheduledExecutor.js';
import { internalTlsSettings } from '../common/security/InternalTlsSettings.js';
import { createHighAvailabilityServices, type HighAvailabilityServices, type LeaderElectionService, type LeaderRetrievalService } from '../highavailability/HighAvailabilityServices.js';
import { highAvailabilityMode } from '../highavailability/HighAvailabilityMode.js';
import type { LeaderContender } from '../highavailability/leaderelection/LeaderContender.js';
import { checkpointRecoveryFactory } from './checkpoint/CheckpointRecoveryFactory.js';
import { type DispatcherHaServices } from './dispatcher/Dispatcher.js';
import { StandaloneJobGraphStore, ZooKeeperJobGraphStore } from './dispatcher/JobGraphStore.js';
import { RpcSecurity } from '../rpc/RpcSecurity.js';
import { bindServer, shutdownServer } from '../rpc/RpcService.js';
import { checkCheckpointDirectoryOptions } from './checkpoint/CheckpointCoordinatorConfiguration.js';
import { Dispatcher } from './dispatcher/Dispatcher.js';
import { JarStore } from './dispatcher/JarStore.js';
import { addJobMasterService } from './jobmaster/rpc/JobMasterGrpcService.js';
import { registerJarHandlers } from './rest/handlers/jarHandlers.js';
import { registerJobSubmitHandler } from './rest/handlers/jobSubmitHandler.js';
import { ResourceManager } from './resourcemanager/ResourceManager.js';
import { addResourceManagerService } from './resourcemanager/rpc/ResourceManagerGrpcService.js';
import { grpcTaskExecutorConnector } from './resourcemanager/rpc/RpcTaskExecutorGateway.js';
import { registerCheckpointHandlers } from './rest/handlers/checkpointHandlers.js';
import { registerClusterHandlers } from './rest/handlers/clusterHandlers.js';
import { registerJobHandlers } from './rest/handlers/jobHandlers.js';
import { registerLogHandlers } from './rest/handlers/logHandlers.js';
import { registerMetricHandlers } from './rest/handlers/metricHandlers.js';
import { registerVertexHandlers } from './rest/handlers/vertexHandlers.js';
import { JobManagerMetricGroup, jobMetrics } from './metrics/JobManagerMetrics.js';
import type { MetricEntry } from '../metrics/MetricGroup.js';
import { PrometheusReporter, type ReportedMetrics } from '../metrics/PrometheusReporter.js';
import { registerPlaygroundHandlers } from './rest/handlers/playgroundHandlers.js';
import { registerTaskManagerHandlers } from './rest/handlers/taskManagerHandlers.js';
import { AsyncOperations } from './rest/AsyncOperations.js';
import type { JobManagerServices } from './rest/handlers/JobManagerServices.js';
import { restEndpointOptions, RestServerEndpoint } from './rest/RestServerEndpoint.js';
import { StaticFileServer } from './rest/StaticFileServer.js';
import { flameGraphConfig, VertexFlameGraphStatsTracker } from './rest/VertexFlameGraphStatsTracker.js';
import { Router } from './rest/Router.js';

/** The web dashboard's bundle, built by `npm run build` next to the compiled JobManager (dist/web-dashboard). */
const WEB_DASHBOARD_DIR = fileURLToPath(new URL('../web-dashboard/', import.meta.url));

export interface BoundPorts {
  rpcPort: number;
  restPort: number;
  /** The Prometheus reporter's port, when it is on. */
  prometheusPort?: number;
}

/**
 * The JobManager of a session cluster: the RPC server TaskManagers register with, the ResourceManager, the Dispatcher
 * and the REST endpoint. Owns their start and orderly shutdown.
 *
 * It contends for leadership (HighAvailabilityServices): without HA it leads at once; with ZooKeeper it is a standby
 * until elected. While it leads, its ResourceManager takes TaskManagers with the leader session id as fencing token
 * and its Dispatcher runs the jobs (recovered from the HA stores first); when leadership ends, both stop at once and
 * the jobs stay in the stores for the next leader. A standby's REST answers 503, as Flink's does during an election.
 */
export class StandaloneSessionClusterEntrypoint implements LeaderContender {
  readonly resourceManager: ResourceManager;
  readonly dispatcher: Dispatcher;
  /** host:port TaskExecutors use to reach this JobManager; known once the RPC server is bound. */
  private jobMasterAddress = '';
  private restAddress = '';
  private webTmpDir: string | undefined;
  /** Mutual TLS of every internal connection (docs/security.md). */
  private readonly security: RpcSecurity;
  private readonly rpcServer: Server;
  private readonly rest: RestServerEndpoint;
  private readonly configuration: Configuration;
  readonly metrics: JobManagerMetricGroup;
  private readonly prometheus = new PrometheusReporter(() => this.reportedMetrics());
  private ha: HighAvailabilityServices | undefined;
  private election: LeaderElectionService | undefined;
  /** The leader session id while this JobManager leads. */
  private leaderSessionId: string | undefined;
  /** The leading JobManager's REST address, as leader retrieval tells it (a standby forwards API calls there). */
  private leaderRestUrl: string | undefined;
  private restLeaderRetrieval: LeaderRetrievalService | undefined;

  constructor(
    configuration: Configuration,
    private readonly log: Logger,
    /** Where the cluster certificate is kept unless configured otherwise. */
    configDirectory: string,
    /** The JobManager's log file, served by the REST API with the rest of its directory. */
    logFile?: string,
    /** Called when the JobManager cannot go on (Flink's FatalErrorHandler): by default the process exits. */
    private readonly onFatalError: (error: unknown) => void = (error) => {
      log.error('Fatal error occurred in the cluster entrypoint.', {}, error);
      process.exit(1);
    },
  ) {
    highAvailabilityMode(configuration);
    this.security = new RpcSecurity(internalTlsSettings(configuration, configDirectory));
    this.rpcServer = this.security.createServer();
    const heartbeatIntervalMs = configuration.get(HeartbeatManagerOptions.HEARTBEAT_INTERVAL);
    const heartbeatTimeoutMs = configuration.get(HeartbeatManagerOptions.HEARTBEAT_TIMEOUT);
    const clock = SystemClock;
    const executor = SystemScheduledExecutor;
    this.resourceManager = new ResourceManager(
      {
        resourceId: `jobmanager-${hostname()}-${randomHex(3)}`,
        heartbeatIntervalMs,
        heartbeatTimeoutMs,
        maxNumberOfSlots: configuration.get(ResourceManagerOptions.MAX_SLOT_NUM),
        // It leads once this JobManager is granted leadership.
        resourceManagerId: null,
      },
      { clock, scheduler: executor, taskExecutors: grpcTaskExecutorConnector(this.security) },
      log.child('ResourceManager'),
    );
    addResourceManagerService(this.rpcServer, this.resourceManager, () => this.resourceManager.resourceManagerId, log.child('ResourceManagerService'));
    // A checkpoint or savepoint directory that cannot be used stops the start (docs/security.md).
    checkCheckpointDirectoryOptions(configuration);
    const tmpDir = parseTempDirectories(configuration)[0]!;
    // Flink's layout: <web.tmpdir>/flink-web-<random>/flink-web-upload, removed on shutdown; or web.upload.dir, kept.
    const configuredUploadDir = configuration.get(WebOptions.UPLOAD_DIR);
    if (!configuredUploadDir) {
      const base = configuration.get(WebOptions.TMP_DIR) ?? tmpDir;
      mkdirSync(base, { recursive: true });
      this.webTmpDir = mkdtempSync(join(base, 'flink-web-'));
    }
    const uploadDir = join(configuredUploadDir ?? this.webTmpDir!, 'flink-web-upload');
    this.dispatcher = new Dispatcher(
      {
        configuration,
        slotProvider: this.resourceManager,
        clock,
        executor,
        jobMasterAddress: () => this.jobMasterAddress,
        defaultCheckpointDirectory: join(tmpDir, 'tsflink-checkpoints'),
      },
      this.resourceManager,
      join(uploadDir, 'programs'),
      log.child('Dispatcher'),
    );
    addJobMasterService(this.rpcServer, (jobId) => this.dispatcher.getJob(jobId));
    this.metrics = new JobManagerMetricGroup(this.resourceManager, this.dispatcher);
    this.configuration = configuration;
    const router = new Router();
    const services: JobManagerServices = {
      configuration,
      resourceManager: this.resourceManager,
      dispatcher: this.dispatcher,
      operations: new AsyncOperations(),
      metrics: this.metrics,
      logFile,
      ...(configuration.get(RestOptions.FLAMEGRAPH_ENABLED)
        ? { flameGraphs: new VertexFlameGraphStatsTracker(flameGraphConfig(configuration), clock, log.child('VertexFlameGraphStatsTracker')) }
        : {}),
    };
    registerClusterHandlers(router, services);
    registerTaskManagerHandlers(router, services);
    registerJobHandlers(router, services);
    registerCheckpointHandlers(router, services);
    registerVertexHandlers(router, services);
    registerMetricHandlers(router, services);
    registerLogHandlers(router, services);
    registerPlaygroundHandlers(router, services);
    // As in Flink, `web.submit.enable: false` leaves the upload and run endpoints out (404).
    if (configuration.get(WebOptions.SUBMIT_ENABLE)) registerJarHandlers(router, services, new JarStore(uploadDir), () => this.restAddress);
    // The CLI's POST /jobs stays on whatever web.submit.enable says (as Flink's JobSubmitHandler).
    registerJobSubmitHandler(router, services, new JarStore(join(uploadDir, 'submissions')));
    this.rest = new RestServerEndpoint(
      router,
      log.child('RestServerEndpoint'),
      new StaticFileServer(dashboardDirectory(configuration)),
      restEndpointOptions(configuration),
      {
        isLeader: () => this.dispatcher.isLeader,
        // What leader retrieval last said, unless it is this JobManager itself (then it is about to lead or just stopped).
        leaderRestUrl: () => (this.leaderRestUrl !== this.restAddress ? this.leaderRestUrl : undefined),
        leaderAddress: () => this.leaderRestUrl,
      },
    );
  }

  async start(): Promise<BoundPorts> {
    const config = this.configuration;
    const rpcHost = config.get(JobManagerOptions.BIND_HOST);
    this.log.info(`Internal connections use ${this.security.settings.description}.`);
    // As in Flink, a JobManager with HA binds high-availability.jobmanager.port (random by default: ZooKeeper tells
    // where it is), so that several JobManagers can run on one host; without HA, jobmanager.rpc.port.
    const rpcPorts =
      highAvailabilityMode(config) === 'ZOOKEEPER'
        ? parsePortRange(config.get(HighAvailabilityOptions.JOB_MANAGER_PORT_RANGE), HighAvailabilityOptions.JOB_MANAGER_PORT_RANGE.key)
        : [config.get(JobManagerOptions.PORT)];
    const rpcPort = await bindToFirstFreePort(rpcPorts, 'the JobManager RPC server', (port) => bindServer(this.rpcServer, rpcHost, port, this.security.serverCredentials()));
    this.log.info(`Started the JobManager RPC server at ${rpcHost}:${rpcPort}.`);
    const restHost = config.get(RestOptions.BIND_ADDRESS);
    const restPortKey = config.contains(RestOptions.BIND_PORT) ? RestOptions.BIND_PORT.key : RestOptions.PORT.key;
    const restPorts = parsePortRange(config.get(RestOptions.BIND_PORT) ?? String(config.get(RestOptions.PORT)), restPortKey);
    const restPort = await bindToFirstFreePort(restPorts, 'the REST endpoint', (port) => this.rest.start(restHost, port));
    this.log.info(`Rest endpoint listening at ${restHost}:${restPort}`);
    this.jobMasterAddress = `${config.get(JobManagerOptions.ADDRESS)}:${rpcPort}`;
    this.restAddress = `${this.rest.scheme}://${config.get(RestOptions.ADDRESS) ?? config.get(JobManagerOptions.ADDRESS)}:${restPort}`;
    // What clients and the dashboard should use: the ports actually bound (0 picks a free one).
    config.set(JobManagerOptions.PORT, rpcPort);
    config.set(RestOptions.PORT, restPort);
    const prometheusPort = await this.prometheus.start(config);
    if (prometheusPort !== undefined) this.log.info(`Started the Prometheus reporter on port ${prometheusPort}.`);
    this.ha = await createHighAvailabilityServices(config, this.log.child('HighAvailabilityServices'));
    this.election = this.ha.createLeaderElection();
    await this.election.start(this);
    if (this.ha.mode === 'ZOOKEEPER') {
      this.restLeaderRetrieval = this.ha.createLeaderRetrieval('rest_server');
      await this.restLeaderRetrieval.start((leader) => (this.leaderRestUrl = leader?.address));
    }
    return { rpcPort, restPort, prometheusPort };
  }

  // --- LeaderContender ------------------------------------------------------------------------------------------------

  grantLeadership(leaderSessionId: string): void {
    const ha = this.ha!;
    const election = this.election!;
    this.leaderSessionId = leaderSessionId;
    this.log.info(`${this.restAddress} was granted leadership with leaderSessionID=${leaderSessionId}`);
    const fence = election.fence(leaderSessionId);
    const jobGraphs = ha.createStateHandleStore('jobgraphs', 'submittedJobGraph', fence);
    const stores: DispatcherHaServices = {
      jobGraphStore: jobGraphs ? new ZooKeeperJobGraphStore(jobGraphs) : new StandaloneJobGraphStore(),
      jobResultStore: ha.jobResultStore,
      checkpointRecovery: checkpointRecoveryFactory(ha, fence),
    };
    const leading = this.lead(leaderSessionId, election, stores);
    // Without HA the fencing token is a random one per process, as before; with HA it is the leader session id.
    // TaskManagers are registered once the jobs are recovered: they may report subtasks for the jobs to take over.
    this.resourceManager.grantLeadership(ha.mode === 'NONE' ? randomHex(16) : leaderSessionId, leading);
    void leading.catch((error: unknown) => {
      // A leader that cannot publish itself or recover its jobs must not go on leading (Flink ends the process).
      if (this.leaderSessionId === leaderSessionId) this.onFatalError(error);
      else this.log.info(`Leadership ${leaderSessionId} ended while it was being taken up: ${(error as Error).message}`);
    });
  }

  revokeLeadership(): void {
    if (this.leaderSessionId === undefined) return;
    this.log.info(`${this.restAddress} lost leadership`, { leaderSessionId: this.leaderSessionId });
    this.leaderSessionId = undefined;
    this.dispatcher.suspend('The JobManager lost its leadership.');
    this.resourceManager.revokeLeadership();
  }

  private async lead(leaderSessionId: string, election: LeaderElectionService, stores: DispatcherHaServices): Promise<void> {
    for (const [component, address] of [
      ['resource_manager', this.jobMasterAddress],
      ['dispatcher', this.jobMasterAddress],
      ['rest_server', this.restAddress],
    ] as const) {
      if (!(await election.publish(component, leaderSessionId, address))) return;
    }
    if (this.leaderSessionId !== leaderSessionId) return;
    await this.dispatcher.startLeadership(stores);
  }

  /** Prometheus's view: `flink_jobmanager_*` for the process and `flink_jobmanager_job_*` per job. */
  private reportedMetrics(): ReportedMetrics[] {
    const host = hostname();
    const reported: ReportedMetrics[] = [{ scope: ['jobmanager'], labels: { host }, entries: this.metrics.dump('', []) }];
    for (const details of this.dispatcher.listJobs()) {
      const job = this.dispatcher.getJob(details.jobId);
      if (!job) continue;
      const entries = [...jobMetrics(job)].map(([name, value]): MetricEntry => ['', '', name, value]);
      reported.push({ scope: ['jobmanager', 'job'], labels: { host, job_id: job.jobId, job_name: job.name }, entries });
    }
    return reported;
  }

  async close(): Promise<void> {
    this.log.info('Shutting down the JobManager.');
    // With HA, the jobs go on under the next leader: suspended, not cancelled.
    if (this.ha?.mode === 'ZOOKEEPER') this.dispatcher.suspend('The JobManager is shutting down.');
    else this.dispatcher.close();
    this.leaderSessionId = undefined;
    this.restLeaderRetrieval?.close();
    await this.election?.close();
    await this.ha?.close();
    this.resourceManager.close();
    this.metrics.close();
    await this.prometheus.close();
    await Promise.all([this.rest.close(), shutdownServer(this.rpcServer)]);
    if (this.webTmpDir) rmSync(this.webTmpDir, { recursive: true, force: true });
  }
}

/** tsflink's dashboard, or the one web.dashboard.dir names (which must hold an index.html). */
function dashboardDirectory(configuration: Configuration): string {
  const configured = configuration.get(WebOptions.DASHBOARD_DIR);
  if (configured === undefined) return WEB_DASHBOARD_DIR;
  if (!existsSync(join(configured, 'index.html'))) {
    throw new IllegalConfigurationError(`${WebOptions.DASHBOARD_DIR.key} '${configured}' holds no index.html: it must be a directory of web dashboard files.`);
  }
  return configured;
}
