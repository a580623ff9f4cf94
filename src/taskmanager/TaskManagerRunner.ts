import type { Server } from '@grpc/grpc-js';
import type { Configuration } from '../common/config/Configuration.js';
import { ClusterOptions, CoreOptions, JobManagerOptions, TaskManagerOptions } from '../common/config/options.js';
import { PrometheusReporter, type ReportedMetrics } from '../metrics/PrometheusReporter.js';
import { randomHex } from '../common/ids.js';
import type { Logger } from '../common/Logger.js';
import { LogFileLocation } from '../common/process/LogFileLocation.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindServer, createServer, shutdownServer } from '../rpc/RpcService.js';
import { ShuffleEnvironment } from './network/ShuffleEnvironment.js';
import { addTaskExecutorService } from './rpc/TaskExecutorGrpcService.js';
import { TaskExecutor } from './TaskExecutor.js';

/**
 * Owns a TaskManager process's parts (Flink's TaskManagerRunner): its RPC server (task deployment and the data
 * exchange), the ShuffleEnvironment, the TaskExecutor, and a working directory removed on shutdown.
 */
export class TaskManagerRunner {
  private readonly rpcServer: Server = createServer();
  private taskExecutor: TaskExecutor | undefined;
  private shuffle: ShuffleEnvironment | undefined;
  private readonly workingDirectory: string;
  private readonly prometheus = new PrometheusReporter(() => this.reportedMetrics());

  constructor(
    private readonly configuration: Configuration,
    private readonly log: Logger,
    /** The process's log file: the TaskExecutor serves its directory. */
    private readonly logFile: string,
  ) {
    const base = configuration.get(CoreOptions.TMP_DIRS)?.split(/[,:]/)[0] || tmpdir();
    mkdirSync(base, { recursive: true });
    this.workingDirectory = mkdtempSync(join(base, 'tsflink-taskexecutor-'));
  }

  async start(): Promise<{ resourceId: string; rpcPort: number; prometheusPort?: number }> {
    const config = this.configuration;
    const bindHost = config.get(TaskManagerOptions.BIND_HOST);
    const rpcPort = await bindServer(this.rpcServer, bindHost, config.get(TaskManagerOptions.RPC_PORT));
    const host = config.get(TaskManagerOptions.HOST);
    // Flink's standalone TaskManager id: the RPC address plus a short random suffix, unique per process.
    const resourceId = config.get(TaskManagerOptions.RESOURCE_ID) ?? `${host}:${rpcPort}-${randomHex(3)}`;
    const jobManager = `${config.get(JobManagerOptions.ADDRESS)}:${config.get(JobManagerOptions.PORT)}`;
    const rpcAddress = `${host}:${rpcPort}`;
    this.shuffle = new ShuffleEnvironment(rpcAddress, this.log.child('ShuffleEnvironment'));
    this.shuffle.addService(this.rpcServer);
    this.taskExecutor = new TaskExecutor(
      {
        resourceId,
        rpcAddress,
        workingDirectory: this.workingDirectory,
        dataPort: config.get(TaskManagerOptions.DATA_PORT),
        numberOfSlots: config.get(TaskManagerOptions.NUM_TASK_SLOTS),
        resourceManagerAddress: jobManager,
        registration: {
          initialTimeoutMs: config.get(ClusterOptions.INITIAL_REGISTRATION_TIMEOUT),
          maxTimeoutMs: config.get(ClusterOptions.MAX_REGISTRATION_TIMEOUT),
          refusedDelayMs: config.get(ClusterOptions.REFUSED_REGISTRATION_DELAY),
        },
      },
      this.shuffle,
      this.log.child('TaskExecutor', { resourceId }),
    );
    addTaskExecutorService(this.rpcServer, this.taskExecutor, new LogFileLocation(this.logFile));
    this.log.info(`Started the TaskManager RPC server at ${bindHost}:${rpcPort}.`, { resourceId });
    this.taskExecutor.start();
    const prometheusPort = await this.prometheus.start(config);
    if (prometheusPort !== undefined) this.log.info(`Started the Prometheus reporter on port ${prometheusPort}.`);
    return { resourceId, rpcPort, prometheusPort };
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
    this.shuffle?.close();
    await shutdownServer(this.rpcServer);
    rmSync(this.workingDirectory, { recursive: true, force: true });
  }
}
