import type { Server } from '@grpc/grpc-js';
import type { Configuration } from '../common/config/Configuration.js';
import { ClusterOptions, CoreOptions, JobManagerOptions, TaskManagerOptions } from '../common/config/options.js';
import { randomHex } from '../common/ids.js';
import type { Logger } from '../common/Logger.js';
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

  constructor(
    private readonly configuration: Configuration,
    private readonly log: Logger,
  ) {
    const base = configuration.get(CoreOptions.TMP_DIRS)?.split(/[,:]/)[0] || tmpdir();
    mkdirSync(base, { recursive: true });
    this.workingDirectory = mkdtempSync(join(base, 'tsflink-taskexecutor-'));
  }

  async start(): Promise<{ resourceId: string; rpcPort: number }> {
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
    addTaskExecutorService(this.rpcServer, this.taskExecutor);
    this.log.info(`Started the TaskManager RPC server at ${bindHost}:${rpcPort}.`, { resourceId });
    this.taskExecutor.start();
    return { resourceId, rpcPort };
  }

  async close(): Promise<void> {
    await this.taskExecutor?.close();
    this.shuffle?.close();
    await shutdownServer(this.rpcServer);
    rmSync(this.workingDirectory, { recursive: true, force: true });
  }
}
