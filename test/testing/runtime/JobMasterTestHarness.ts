import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Configuration } from '../../../src/common/config/Configuration.js';
import { CheckpointingOptions } from '../../../src/common/config/options.js';
import { randomHex } from '../../../src/common/ids.js';
import { StandaloneCheckpointIDCounter } from '../../../src/master/checkpoint/CheckpointIDCounter.js';
import type { CheckpointStores } from '../../../src/master/checkpoint/CheckpointRecoveryFactory.js';
import { StandaloneCompletedCheckpointStore } from '../../../src/master/checkpoint/CompletedCheckpointStore.js';
import type { JobGraphDescription } from '../../../src/graph/JobGraph.js';
import type { RestoreSource } from '../../../src/master/checkpoint/CheckpointCoordinator.js';
import type { CheckpointStats } from '../../../src/master/checkpoint/CheckpointStatsTracker.js';
import type { Execution } from '../../../src/master/executiongraph/ExecutionGraph.js';
import type { ExecutionState } from '../../../src/master/executiongraph/ExecutionState.js';
import { JobMaster } from '../../../src/master/jobmaster/JobMaster.js';
import type { TaskExecutorIdentity } from '../../../src/master/jobmaster/JobMasterGateway.js';
import { describeRemoval, ResourceManager } from '../../../src/master/resourcemanager/ResourceManager.js';
import type { SlotStatus } from '../../../src/master/resourcemanager/types.js';
import { encodeState, type SubtaskState } from '../../../src/state/StateHandles.js';
import type { CheckpointTrigger, TaskDeploymentDescriptor } from '../../../src/taskmanager/TaskExecutorGateway.js';
import { ManuallyTriggeredScheduledExecutor } from '../time/ManuallyTriggeredScheduledExecutor.js';
import { testingLogger } from './TestingLogger.js';
import { TestingTaskExecutorGateway, type TestingTaskExecutorGatewayBuilder } from './TestingTaskExecutorGateway.js';

export const JOB_MASTER_ADDRESS = '127.0.0.1:6123';
export const HEARTBEAT_INTERVAL_MS = 10_000;
export const HEARTBEAT_TIMEOUT_MS = 50_000;
/** The CheckpointCoordinator's tick for a 1 s interval: a due checkpoint starts within this much manual time. */
export const CHECKPOINT_TICK_MS = 50;

/** Turns of the event loop: promise callbacks and short file operations settle, no wall-clock time is waited for. */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * Turns the event loop until `condition` holds: file operations (checkpoint metadata, removals) take from a few to a
 * thousand turns on a busy machine. Nothing sleeps; `timeoutMs` only bounds a test that is failing anyway.
 */
export async function until(description: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${description}.`);
    await flush(1);
  }
}

/**
 * Lets file operations already started finish (several round trips through the file system's thread pool), before a
 * test asserts that something did *not* happen to a file.
 */
export async function settleFileOperations(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await stat(tmpdir());
    await flush(2);
  }
}

export interface StartJobOptions {
  configuration?: Configuration | Record<string, string>;
  restore?: RestoreSource;
  jobId?: string;
  /** Default: in memory, as without HA. */
  checkpointStores?: CheckpointStores;
  /** A job a new leader recovered: it reconciles with the subtasks TaskManagers report for this long first. */
  reconcileWithinMs?: number;
}

/**
 * A JobMaster with the parts around it real or faked as in Flink's JobMaster tests: a real ResourceManager whose
 * TaskManagers are TestingTaskExecutorGateways (registered by the test, they offer their slots), one manual clock and
 * scheduled executor for everything, a fresh checkpoint directory per test (removed in teardown), and the
 * ResourceManager's TaskManager events routed to the job as the Dispatcher routes them. The test plays the
 * TaskExecutors: it reports subtask states and acknowledges checkpoints through the JobMaster's gateway methods.
 */
export class JobMasterTestHarness {
  readonly executor = new ManuallyTriggeredScheduledExecutor();
  readonly clock = this.executor.clock;
  readonly log;
  readonly sink;
  readonly resourceManager: ResourceManager;
  /** The newest gateway of every TaskManager that registered, by resource id (kept after it left). */
  readonly gateways = new Map<string, TestingTaskExecutorGateway>();
  /** Gateways the ResourceManager released. */
  readonly released: TestingTaskExecutorGateway[] = [];
  private readonly connecting = new Map<string, { resourceId: string; builder: TestingTaskExecutorGatewayBuilder }>();
  private job: JobMaster | undefined;
  private numTaskManagers = 0;

  private constructor(readonly directory: string) {
    const { log, sink } = testingLogger('JobManager');
    this.log = log;
    this.sink = sink;
    this.resourceManager = new ResourceManager(
      { resourceId: 'jobmanager', heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS },
      {
        clock: this.clock,
        scheduler: this.executor,
        taskExecutors: {
          connect: (address) => {
            const { resourceId, builder } = this.connecting.get(address)!;
            const gateway = builder.build();
            this.gateways.set(resourceId, gateway);
            return gateway;
          },
          release: (gateway) => void this.released.push(gateway as TestingTaskExecutorGateway),
        },
      },
      log.child('ResourceManager'),
    );
  }

  static create(t: Test): JobMasterTestHarness {
    const harness = new JobMasterTestHarness(mkdtempSync(join(tmpdir(), 'jobmaster-test-')));
    t.teardown(async () => {
      harness.job?.close();
      harness.resourceManager.removeAllListeners();
      harness.resourceManager.close();
      // Let file operations the job started (metadata, removals) end before the directory goes.
      await settleFileOperations();
      rmSync(harness.directory, { recursive: true, force: true, maxRetries: 3 });
    });
    return harness;
  }

  /** `execution.checkpointing.dir` unset: the job's checkpoints go to `<this>/<jobId>`. */
  get checkpointDirectory(): string {
    return join(this.directory, 'checkpoints');
  }

  get jobDirectory(): string {
    return join(this.checkpointDirectory, this.jobMaster.jobId);
  }

  get jobMaster(): JobMaster {
    if (!this.job) throw new Error('No job was started.');
    return this.job;
  }

  /**
   * Registers a TaskManager `resourceId` at `10.0.0.<n>:6122` (data port 6121) with `numberOfSlots` slots, free unless
   * `slots` reports them otherwise; resolves with the gateway the ResourceManager reaches it through.
   */
  async registerTaskManager(
    resourceId: string,
    numberOfSlots: number,
    builder: TestingTaskExecutorGatewayBuilder = TestingTaskExecutorGateway.builder(),
    slots: SlotStatus[] = Array.from({ length: numberOfSlots }, (_, slotIndex) => ({ slotIndex, allocationId: '', jobId: '' })),
  ): Promise<TestingTaskExecutorGateway> {
    const n = ++this.numTaskManagers;
    const address = `10.0.0.${n}:6122`;
    this.connecting.set(address, { resourceId, builder });
    const response = await this.resourceManager.registerTaskExecutor(
      {
        resourceId,
        address,
        hostname: `taskmanager-${n}`,
        dataPort: 6121,
        numberOfSlots,
        hardware: { cpuCores: 2, physicalMemory: 1 << 30, freeMemory: 1 << 29, managedMemory: 0 },
        pid: 1000 + n,
      },
      slots,
    );
    if (response.kind !== 'success') throw new Error(`Registration of ${resourceId} rejected: ${response.reason}`);
    return this.gateways.get(resourceId)!;
  }

  /**
   * Opens a heartbeat session for a registered TaskManager; call the result to send a heartbeat, with the slots as the
   * ResourceManager sees them or as given (what the TaskManager reports).
   */
  heartbeats(resourceId: string): (slots?: SlotStatus[]) => void {
    const { registrationId } = this.resourceManager.getTaskManager(resourceId)!;
    const session = this.resourceManager.openHeartbeatSession(resourceId, registrationId, { onHeartbeatAnswer: () => undefined, onClose: () => undefined });
    return (slots = this.resourceManager.slotManager.slotsOf(resourceId)) => session.send({ slots, metricDumps: undefined });
  }

  /** Starts a JobMaster for `jobGraph`; TaskManagers that register or leave from now on are routed to it. */
  startJob(jobGraph: JobGraphDescription, options: StartJobOptions = {}): JobMaster {
    const configuration =
      options.configuration instanceof Configuration ? options.configuration : new Configuration(Object.entries(options.configuration ?? {}));
    const job = new JobMaster(
      {
        jobId: options.jobId ?? randomHex(16),
        jobGraph,
        jobModule: Buffer.from('export default {}'),
        programArgs: ['--test'],
        defaultParallelism: 1,
        restore: options.restore,
      },
      {
        configuration,
        slotProvider: this.resourceManager,
        clock: this.clock,
        executor: this.executor,
        jobMasterAddress: () => JOB_MASTER_ADDRESS,
        defaultCheckpointDirectory: this.checkpointDirectory,
      },
      this.log,
      options.checkpointStores ?? {
        idCounter: new StandaloneCheckpointIDCounter(),
        store: new StandaloneCompletedCheckpointStore(Math.max(1, configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS)), this.log),
      },
    );
    this.resourceManager.on('taskManagerRegistered', (taskManager) => job.onTaskManagerRegistered(taskManager));
    this.resourceManager.on('slotsReleased', () => job.onResourcesAvailable());
    this.resourceManager.on('taskManagerRemoved', (resourceId, _registrationId, reason) => job.onTaskManagerLost(resourceId, describeRemoval(resourceId, reason)));
    this.job = job;
    job.start(options.reconcileWithinMs);
    return job;
  }

  // --- what the job looks like ----------------------------------------------------------------------------------------

  /** The current attempts, vertex by vertex. */
  executions(): Execution[] {
    return this.jobMaster.graph.allExecutions();
  }

  /** The current attempts of the vertex at `index` (0: the source of the shapes in jobGraphs.ts). */
  executionsOf(vertexIndex: number): Execution[] {
    return this.jobMaster.graph.vertices[vertexIndex]!.executions;
  }

  /** The current attempts of the vertices without inputs: those a checkpoint is triggered at. */
  sourceExecutions(): Execution[] {
    return this.jobMaster.graph.vertices.filter((v) => v.jobVertex.inputs.length === 0).flatMap((v) => v.executions);
  }

  states(): ExecutionState[] {
    return this.executions().map((e) => e.state);
  }

  /** Every descriptor submitted to any TaskManager, earlier attempts included. */
  submitted(): TaskDeploymentDescriptor[] {
    return [...this.gateways.values()].flatMap((g) => g.submitted);
  }

  /** The submitted descriptors of the current attempts. */
  currentDescriptors(): TaskDeploymentDescriptor[] {
    return this.submitted().filter((d) => this.jobMaster.graph.execution(d.attemptId) !== undefined);
  }

  descriptorOf(execution: Execution): TaskDeploymentDescriptor {
    const descriptor = this.submitted().find((d) => d.attemptId === execution.attemptId);
    if (!descriptor) throw new Error(`${execution.displayName} was not deployed.`);
    return descriptor;
  }

  /** Every checkpoint trigger any TaskManager received. */
  triggers(): CheckpointTrigger[] {
    return [...this.gateways.values()].flatMap((g) => g.triggered);
  }

  checkpointStats(checkpointId: number): CheckpointStats | undefined {
    return this.jobMaster.checkpointCoordinator.stats.get(checkpointId);
  }

  /** The `chk-*` directories in the job's checkpoint directory, by id. */
  checkpointDirectories(): string[] {
    if (!existsSync(this.jobDirectory)) return [];
    return readdirSync(this.jobDirectory)
      .filter((name) => name.startsWith('chk-'))
      .sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  }

  checkpointPath(checkpointId: number): string {
    return join(this.jobDirectory, `chk-${checkpointId}`);
  }

  // --- playing the TaskExecutors -------------------------------------------------------------------------------------

  /**
   * The TaskExecutor that runs `execution` as the sender of its messages: its resource id and current registration id
   * (a sender the JobMaster accepts). An execution not deployed anywhere gets an identity no TaskManager has.
   */
  senderOf(execution: Execution): TaskExecutorIdentity {
    const resourceId = execution.location?.resourceId ?? 'not-deployed';
    return { resourceId, registrationId: this.resourceManager.getTaskManager(resourceId)?.registrationId ?? '' };
  }

  /** Waits until every current attempt was submitted to its TaskExecutor. */
  async deployed(): Promise<void> {
    await until('every subtask to be deployed', () => {
      const submitted = new Set(this.submitted().map((d) => d.attemptId));
      return this.executions().every((e) => e.state === 'DEPLOYING' && submitted.has(e.attemptId));
    });
  }

  /** Reports `state` for `executions` (default: every current attempt), as their TaskExecutors would. */
  async report(state: ExecutionState, executions: readonly Execution[] = this.executions()): Promise<boolean[]> {
    const accepted: boolean[] = [];
    for (const execution of [...executions]) {
      accepted.push(await this.jobMaster.updateTaskExecutionState({ attemptId: execution.attemptId, state }, this.senderOf(execution)));
    }
    await flush();
    return accepted;
  }

  /** Waits for the deployment, then reports every subtask INITIALIZING and RUNNING. */
  async runAll(): Promise<void> {
    await this.deployed();
    await this.report('INITIALIZING');
    await this.report('RUNNING');
  }

  /** Reports a subtask FAILED with a user error. */
  async fail(execution: Execution, message = 'Artificial failure'): Promise<void> {
    await this.jobMaster.updateTaskExecutionState(
      {
        attemptId: execution.attemptId,
        state: 'FAILED',
        failure: { name: 'RuntimeException', message, stack: `java.lang.RuntimeException: ${message}` },
      },
      this.senderOf(execution),
    );
    await flush();
  }

  /** Reports CANCELED for every attempt being cancelled, as TaskExecutors do once a cancelled task ended. */
  async reportCanceled(): Promise<void> {
    await this.report(
      'CANCELED',
      this.executions().filter((e) => e.state === 'CANCELING'),
    );
  }

  /** The state a subtask acknowledges for a checkpoint: sources their split positions (`chk-<id>`), others nothing. */
  subtaskStateFor(execution: Execution, checkpointId: number): SubtaskState {
    const vertex = execution.vertex.jobVertex;
    if (vertex.inputs.length > 0) return { operators: {} };
    return { operators: { [vertex.operators[0]!.operatorId]: { splits: [{ splitId: `input-${execution.subtaskIndex}`, position: `chk-${checkpointId}` }] } } };
  }

  /** Acknowledges checkpoint `checkpointId` for `executions` (default: every current attempt), 100 bytes each. */
  async acknowledge(checkpointId: number, executions: readonly Execution[] = this.executions()): Promise<void> {
    for (const execution of executions) {
      await this.jobMaster.acknowledgeCheckpoint(
        {
          attemptId: execution.attemptId,
          checkpointId,
          subtaskState: encodeState(this.subtaskStateFor(execution, checkpointId)),
          metrics: { stateSize: 100, syncDurationMs: 1, asyncDurationMs: 2, alignmentDurationMs: 0, startDelayMs: 0 },
        },
        this.senderOf(execution),
      );
    }
  }

  /** Waits until checkpoint `checkpointId` was triggered at every source. */
  async triggered(checkpointId: number): Promise<CheckpointTrigger[]> {
    const sources = this.sourceExecutions().length;
    await until(`checkpoint ${checkpointId} to be triggered at the sources`, () => this.triggers().filter((t) => t.checkpointId === checkpointId).length >= sources);
    return this.triggers().filter((t) => t.checkpointId === checkpointId);
  }

  /** Every subtask acknowledges; waits until the checkpoint is COMPLETED and the store took it. */
  async completeCheckpoint(checkpointId: number): Promise<void> {
    await this.acknowledge(checkpointId);
    await until(`checkpoint ${checkpointId} to complete`, () => this.checkpointStats(checkpointId)?.status === 'COMPLETED');
    await flush(10);
  }

  /** Moves time to the next checkpoint tick and waits for checkpoint `checkpointId` to be triggered at the sources. */
  async triggerCheckpoint(checkpointId: number, advanceMs = CHECKPOINT_TICK_MS): Promise<CheckpointTrigger[]> {
    this.executor.advanceTime(advanceMs);
    return this.triggered(checkpointId);
  }
}
