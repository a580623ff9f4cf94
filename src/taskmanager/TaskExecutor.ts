import { cpus, freemem, hostname, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from '../common/Logger.js';
import type { HeartbeatRequest, RegisterTaskExecutorRequest, RegistrationSuccess } from '../generated/tsflink/resourcemanager/v1/resourcemanager.js';
import { ResourceManagerConnection, type RegistrationTimeouts } from './rpc/ResourceManagerConnection.js';
import { TaskSlotTable } from './slot/TaskSlotTable.js';

export interface TaskExecutorConfig {
  resourceId: string;
  /** host:port of this TaskExecutor's RPC server. */
  rpcAddress: string;
  dataPort: number;
  numberOfSlots: number;
  resourceManagerAddress: string;
  registration: RegistrationTimeouts;
}

/**
 * The worker of the cluster (Flink's TaskExecutor): offers its slots to the ResourceManager and stays registered.
 * When the JobManager is lost, the slots it handed out are freed and the TaskExecutor registers again.
 */
export class TaskExecutor {
  readonly slotTable: TaskSlotTable;
  private readonly connection: ResourceManagerConnection;
  private resourceManagerId: string | undefined;

  constructor(
    private readonly config: TaskExecutorConfig,
    private readonly log: Logger,
  ) {
    this.slotTable = new TaskSlotTable(config.numberOfSlots);
    this.connection = new ResourceManagerConnection(
      config.resourceManagerAddress,
      config.registration,
      {
        registrationRequest: () => this.registrationRequest(),
        heartbeatPayload: () => this.heartbeatPayload(),
        onRegistered: (success) => this.onRegistered(success),
        onConnectionLost: (reason) => this.onResourceManagerLost(reason),
      },
      log.child('ResourceManagerConnection'),
    );
  }

  get resourceId(): string {
    return this.config.resourceId;
  }

  /** The id of the ResourceManager this TaskExecutor is registered with, if any. */
  get registeredResourceManagerId(): string | undefined {
    return this.resourceManagerId;
  }

  start(): void {
    this.log.info(`Connecting to ResourceManager at ${this.config.resourceManagerAddress}.`, {
      resourceId: this.config.resourceId,
      slots: this.config.numberOfSlots,
    });
    this.connection.start();
  }

  async close(): Promise<void> {
    await this.connection.close('The TaskExecutor is shutting down.');
  }

  private registrationRequest(): RegisterTaskExecutorRequest {
    return {
      resourceId: this.config.resourceId,
      address: this.config.rpcAddress,
      hostname: hostname(),
      dataPort: this.config.dataPort,
      numberOfSlots: this.slotTable.numberOfSlots,
      hardware: { cpuCores: cpus().length, physicalMemory: totalmem(), freeMemory: freemem(), managedMemory: 0 },
      slotReport: { slots: this.slotTable.createSlotReport() },
      pid: process.pid,
    };
  }

  private heartbeatPayload(): Pick<HeartbeatRequest, 'slotReport' | 'metrics'> {
    const memory = process.memoryUsage();
    return {
      slotReport: { slots: this.slotTable.createSlotReport() },
      metrics: {
        heapUsed: memory.heapUsed,
        heapCommitted: memory.heapTotal,
        heapMax: getHeapStatistics().heap_size_limit,
        rss: memory.rss,
        external: memory.external,
        arrayBuffers: memory.arrayBuffers,
      },
    };
  }

  private onRegistered(success: RegistrationSuccess): void {
    this.resourceManagerId = success.resourceManagerId;
  }

  private onResourceManagerLost(reason: string): void {
    this.resourceManagerId = undefined;
    const freed = this.slotTable.freeAllSlots();
    if (freed > 0) this.log.info(`Freed ${freed} slot(s) after losing the ResourceManager: ${reason}`);
  }
}
