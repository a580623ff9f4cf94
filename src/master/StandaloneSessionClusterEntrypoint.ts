import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from '@grpc/grpc-js';
import type { Configuration } from '../common/config/Configuration.js';
import { parseTempDirectories } from '../common/config/ConfigurationUtils.js';
import { HeartbeatManagerOptions, JobManagerOptions, ResourceManagerOptions, RestOptions, WebOptions } from '../common/config/options.js';
import { randomHex } from '../common/ids.js';
import type { Logger } from '../common/Logger.js';
import { bindToFirstFreePort, parsePortRange } from '../common/net/PortRange.js';
import { SystemClock } from '../common/time/Clock.js';
import { SystemScheduledExecutor } from '../common/time/ScheduledExecutor.js';
import { internalTlsSettings } from '../common/security/InternalTlsSettings.js';
import { checkHighAvailabilitySupported } from '../highavailability/HighAvailabilityMode.js';
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
 */
export class StandaloneSessionClusterEntrypoint {
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

  constructor(
    configuration: Configuration,
    private readonly log: Logger,
    /** Where the cluster certificate is kept unless configured otherwise. */
    configDirectory: string,
    /** The JobManager's log file, served by the REST API with the rest of its directory. */
    logFile?: string,
  ) {
    checkHighAvailabilitySupported(configuration);
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
    this.rest = new RestServerEndpoint(router, log.child('RestServerEndpoint'), new StaticFileServer(WEB_DASHBOARD_DIR), restEndpointOptions(configuration));
  }

  async start(): Promise<BoundPorts> {
    const config = this.configuration;
    const rpcHost = config.get(JobManagerOptions.BIND_HOST);
    this.log.info(`Internal connections use ${this.security.settings.description}.`);
    const rpcPort = await bindServer(this.rpcServer, rpcHost, config.get(JobManagerOptions.PORT), this.security.serverCredentials());
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
    return { rpcPort, restPort, prometheusPort };
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
    this.dispatcher.close();
    this.resourceManager.close();
    this.metrics.close();
    await this.prometheus.close();
    await Promise.all([this.rest.close(), shutdownServer(this.rpcServer)]);
    if (this.webTmpDir) rmSync(this.webTmpDir, { recursive: true, force: true });
  }
}
