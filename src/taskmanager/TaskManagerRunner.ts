import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import type { Configuration } from '../common/config/Configuration.js';
import { parseTempDirectories } from '../common/config/ConfigurationUtils.js';
import { ClusterOptions, HighAvailabilityOptions, TaskManagerOptions } from '../common/config/options.js';
import { randomHex } from '../common/ids.js';
import type { Logger } from '../common/Logger.js';
import { LogFileLocation } from '../common/process/LogFileLocation.js';
import { SystemScheduledExecutor } from '../common/time/ScheduledExecutor.js';
import { PrometheusReporter, type ReportedMetrics } from '../metrics/PrometheusReporter.js';
import { internalTlsSettings } from '../common/security/InternalTlsSettings.js';
import { createHighAvailabilityServices, type HighAvailabilityServices } from '../highavailability/HighAvailabilityServices.js';
import { highAvailabilityMode } from '../highavailability/HighAvailabilityMode.js';
import { RpcSecurity } from '../rpc/RpcSecurity.js';
import { bindServer, shutdownServer } from '../rpc/RpcService.js';
import { GrpcShuffleTransport } from './network/rpc/GrpcShuffleTransport.js';
import { ShuffleEnvironment } from './network/ShuffleEnvironment.js';
import { RpcJobMasterGateways } from './rpc/RpcJobMasterGateways.js';
import { RpcResourceManagerGateway } from './rpc/RpcResourceManagerGateway.js';
import { addTaskExecutorService } from './rpc/TaskExecutorGrpcService.js';
import { PiscinaTaskThreadPool } from './task/TaskThreadPool.js';
import { TaskExecutor } from './TaskExecutor.js';

/**
 * Owns a TaskManager process's parts (Flink's TaskManagerRunner): its RPC server (task deployment, log files), its data
 * server on `taskmanager.data.port` (the shuffle), the ShuffleEnvironment, the TaskExecutor, and a working directory
 * removed on shutdown.
 */
export class TaskManagerRunner {
  /** Mutual TLS of every connection this process serves or opens (docs/security.md). */
  private readonly security: RpcSecurity;
  private readonly rpcServer: Server;
  private readonly dataServer: Server;
  private taskExecutor: TaskExecutor | undefined;
  private shuffle: ShuffleEnvironment | undefined;
  private readonly workingDirectory: string;
  private readonly prometheus = new PrometheusReporter(() => this.reportedMetrics());
  private ha: HighAvailabilityServices | undefined;

  constructor(
    private readonly configuration: Configuration,
    private readonly log: Logger,
    /** The process's log file: the TaskExecutor serves its directory. */
    private readonly logFile: string,
    /** Where the cluster certificate is kept unless configured otherwise. */
    configDirectory: string,
  ) {
    highAvailabilityMode(configuration);
    this.security = new RpcSecurity(internalTlsSettings(configuration, configDirectory));
    this.rpcServer = this.security.createServer();
    this.dataServer = this.security.createServer();
    const base = parseTempDirectories(configuration)[0]!;
    mkdirSync(base, { recursive: true });
    this.workingDirectory = mkdtempSync(join(base, 'tsflink-taskexecutor-'));
  }

  async start(): Promise<{ resourceId: string; rpcPort: number; dataPort: number; prometheusPort?: number }> {
    const config = this.configuration;
    const bindHost = config.get(TaskManagerOptions.BIND_HOST);
    const host = config.get(TaskManagerOptions.HOST);
    this.log.info(`Internal connections use ${this.security.settings.description}.`);
    const dataPort = await bindServer(this.dataServer, bindHost, config.get(TaskManagerOptions.DATA_PORT), this.security.serverCredentials());
    const dataAddress = `${host}:${dataPort}`;
    const shuffleLog = this.log.child('ShuffleEnvironment');
    this.shuffle = new ShuffleEnvironment(
      dataAddress,
      (listener) => {
        const transport = new GrpcShuffleTransport(listener, shuffleLog, this.security);
        transport.addService(this.dataServer);
        return transport;
      },
      shuffleLog,
    );
    this.log.info(`Started the TaskManager data server at ${bindHost}:${dataPort}.`);
    const rpcPort = await bindServer(this.rpcServer, bindHost, config.get(TaskManagerOptions.RPC_PORT), this.security.serverCredentials());
    // Flink's standalone TaskManager id: the RPC address plus a short random suffix, unique per process.
    const resourceId = config.get(TaskManagerOptions.RESOURCE_ID) ?? `${host}:${rpcPort}-${randomHex(3)}`;
    const numberOfSlots = config.get(TaskManagerOptions.NUM_TASK_SLOTS);
    this.ha = await createHighAvailabilityServices(config, this.log.child('HighAvailabilityServices'));
    this.taskExecutor = new TaskExecutor(
      {
        resourceId,
        rpcAddress: `${host}:${rpcPort}`,
        workingDirectory: this.workingDirectory,
        dataPort,
        numberOfSlots,
        jobManagerLossGracePeriodMs: this.ha.mode === 'NONE' ? 0 : config.get(HighAvailabilityOptions.RECONCILIATION_GRACE_PERIOD),
        registration: {
          initialTimeoutMs: config.get(ClusterOptions.INITIAL_REGISTRATION_TIMEOUT),
          maxTimeoutMs: config.get(ClusterOptions.MAX_REGISTRATION_TIMEOUT),
          refusedDelayMs: config.get(ClusterOptions.REFUSED_REGISTRATION_DELAY),
        },
      },
      {
        shuffle: this.shuffle,
        threads: new PiscinaTaskThreadPool(numberOfSlots),
        jobMasters: new RpcJobMasterGateways(resourceId, this.security),
        connectResourceManager: (address) => new RpcResourceManagerGateway(address, this.security),
        resourceManagerRetrieval: this.ha.createLeaderRetrieval('resource_manager'),
        executor: SystemScheduledExecutor,
        logFiles: new LogFileLocation(this.logFile),
      },
      this.log.child('TaskExecutor', { resourceId }),
    );
    addTaskExecutorService(this.rpcServer, this.taskExecutor);
    this.log.info(`Started the TaskManager RPC server at ${bindHost}:${rpcPort}.`, { resourceId });
    this.taskExecutor.start();
    const prometheusPort = await this.prometheus.start(config);
    if (prometheusPort !== undefined) this.log.info(`Started the Prometheus reporter on port ${prometheusPort}.`);
    return { resourceId, rpcPort, dataPort, prometheusPort };
  }

  /** Prometheus's view: `flink_taskmanager_*` for the process, `flink_taskmanager_job_task_[operator_]*` per subtask. */
  private reportedMetrics(): ReportedMetrics[] {
    const executor = this.taskExecutor;
    if (!executor) return [];
    const host = this.configuration.get(TaskManagerOptions.HOST);
    const tm = { host, tm_id: executor.resourceId };
    const dumps = executor.metricDumps();
    const reported: ReportedMetrics[] = [{ scope: ['taskmanager'], labels: tm, entries: dumps.process }];
    const tasks = new Map(executor.runningTasks().map((task) => [task.attemptId, task.descriptor]));
    for (const dump of dumps.tasks) {
      const d = tasks.get(dump.attemptId);
      if (!d) continue;
      reported.push({
        scope: ['taskmanager', 'job', 'task'],
        labels: {
          ...tm,
          job_id: d.jobId,
          job_name: d.jobName,
          task_id: d.vertexId,
          task_name: d.vertexName,
          task_attempt_id: d.attemptId,
          task_attempt_num: String(d.attemptNumber),
          subtask_index: String(d.subtaskIndex),
        },
        entries: dump.entries,
      });
    }
    return reported;
  }

  async close(): Promise<void> {
    await this.prometheus.close();
    await this.taskExecutor?.close();
    await this.ha?.close();
    this.shuffle?.close();
    await Promise.all([shutdownServer(this.rpcServer), shutdownServer(this.dataServer)]);
    rmSync(this.workingDirectory, { recursive: true, force: true });
  }
}
