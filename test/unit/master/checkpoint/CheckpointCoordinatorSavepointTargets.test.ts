import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import t, { type Test } from 'tap';
import { CheckpointCoordinator, LOCATION_INITIALIZATION_TIMEOUT_MS } from '../../../../src/master/checkpoint/CheckpointCoordinator.js';
import type { CheckpointCoordinatorConfiguration } from '../../../../src/master/checkpoint/CheckpointCoordinatorConfiguration.js';
import { CheckpointFailureManager } from '../../../../src/master/checkpoint/CheckpointFailureManager.js';
import { StandaloneCheckpointIDCounter } from '../../../../src/master/checkpoint/CheckpointIDCounter.js';
import { CheckpointStatsTracker } from '../../../../src/master/checkpoint/CheckpointStatsTracker.js';
import { LOCAL_CHECKPOINT_STORAGE, type CheckpointStorage } from '../../../../src/master/checkpoint/CheckpointStorage.js';
import { StandaloneCompletedCheckpointStore } from '../../../../src/master/checkpoint/CompletedCheckpointStore.js';
import type { ExecutionGraph } from '../../../../src/master/executiongraph/ExecutionGraph.js';
import { encodeState } from '../../../../src/state/StateHandles.js';
import type { CheckpointTrigger } from '../../../../src/taskmanager/TaskExecutorGateway.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';
import { ManuallyTriggeredScheduledExecutor } from '../../../testing/time/ManuallyTriggeredScheduledExecutor.js';

const JOB_ID = '0f'.repeat(16);
const INTERVAL = 1000;
/** The coordinator's tick for a 1 s interval. */
const TICK = 50;

async function until(description: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${description}.`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * A CheckpointCoordinator of a running one-subtask job (the graph and its TaskManager faked: the test acknowledges), with
 * no tolerable checkpoint failure: a failure that counted would fail the job.
 */
function runningJob(t: Test, storage: CheckpointStorage = LOCAL_CHECKPOINT_STORAGE) {
  const dir = mkdtempSync(join(tmpdir(), 'coordinator-targets-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const executor = new ManuallyTriggeredScheduledExecutor();
  const triggered: CheckpointTrigger[] = [];
  const gateway = {
    triggerCheckpoint: async (trigger: CheckpointTrigger) => void triggered.push(trigger),
    notifyCheckpointComplete: async () => undefined,
    notifyCheckpointAborted: async () => undefined,
  };
  const execution = {
    attemptId: 'attempt-0',
    subtaskIndex: 0,
    state: 'RUNNING',
    displayName: 'Source (1/1)',
    vertex: { jobVertex: { id: 'vertex-0', inputs: [], parallelism: 1, maxParallelism: 128 } },
    location: { gateway, resourceId: 'tm-1', address: '10.0.0.1:6122' },
  };
  const graph = { status: 'RUNNING', allExecutions: () => [execution] } as unknown as ExecutionGraph;
  const config: CheckpointCoordinatorConfiguration = {
    interval: INTERVAL,
    timeout: 600_000,
    minPause: 0,
    numRetained: 1,
    tolerableFailures: 0,
    jobDirectory: join(dir, 'checkpoints', JOB_ID),
    retention: 'NO_EXTERNALIZED_CHECKPOINTS',
  };
  const { log, sink } = testingLogger('JobManager');
  const jobFailures: string[] = [];
  const coordinator = new CheckpointCoordinator(
    config,
    JOB_ID,
    {
      graph,
      clock: executor.clock,
      scheduler: executor,
      idCounter: new StandaloneCheckpointIDCounter(),
      store: new StandaloneCompletedCheckpointStore(1, log),
      failureManager: new CheckpointFailureManager(0, (reason) => jobFailures.push(reason)),
      stats: new CheckpointStatsTracker(executor.clock),
      storage,
    },
    log,
  );
  t.teardown(() => coordinator.stop('test over'));
  coordinator.start();

  /** Moves to the next tick and waits until checkpoint `id` reached the source. */
  const triggerNext = async (id: number, advanceMs = TICK) => {
    executor.advanceTime(advanceMs);
    await until(`checkpoint ${id} to be triggered`, () => triggered.some((tr) => tr.checkpointId === id));
    return triggered.find((tr) => tr.checkpointId === id)!;
  };
  const complete = async (id: number) => {
    coordinator.receiveAcknowledgeMessage({
      attemptId: execution.attemptId,
      checkpointId: id,
      subtaskState: encodeState({ operators: {} }),
      metrics: { stateSize: 1, syncDurationMs: 0, asyncDurationMs: 0, alignmentDurationMs: 0, startDelayMs: 0 },
    });
    await until(`checkpoint ${id} to complete`, () => coordinator.stats.get(id)?.status === 'COMPLETED');
  };
  /** After a refused or failed savepoint: the next periodic checkpoint is triggered and completes. */
  const keepsCheckpointing = async (t: Test, id: number) => {
    const trigger = await triggerNext(id, INTERVAL);
    t.equal(trigger.targetLocation, join(config.jobDirectory, `chk-${id}`), `checkpoint ${id} is triggered`);
    await complete(id);
    t.same(jobFailures, [], 'no failure counted towards the tolerable checkpoint failures');
  };
  return { dir, executor, coordinator, triggered, sink, triggerNext, complete, keepsCheckpointing };
}

t.test('targets that are no absolute local path are refused at once, and checkpointing goes on', async (t) => {
  const { coordinator, triggered, triggerNext, complete, keepsCheckpointing } = runningJob(t);
  await triggerNext(1, INTERVAL);
  await complete(1);
  const refused: Array<[string, RegExp]> = [
    ['hdfs://x/y', /^Could not find a file system implementation for scheme 'hdfs'/],
    ['s3://b/k', /^Could not find a file system implementation for scheme 's3'/],
    ['savepoints', /'savepoints' is a relative path/],
    ['/proc/self', /'\/proc\/self' is on a pseudo-file system/],
    ['/dev/shm', /pseudo-file system/],
  ];
  for (const [target, message] of refused) {
    await t.rejects(coordinator.triggerSavepoint({ targetDirectory: target, terminate: false, drain: false }), { name: /CheckpointPathError|UnsupportedFileSystemSchemeError/, message }, target);
  }
  t.equal(coordinator.pendingCheckpoint, undefined);
  t.equal(triggered.length, 1, 'nothing was triggered for them');
  t.equal(coordinator.stats.counts.total, 1);
  await keepsCheckpointing(t, 2);
});

t.test('a target whose links lead into /proc, or that cannot be created, fails the savepoint; checkpointing goes on', async (t) => {
  const { dir, executor, coordinator, triggered, sink, keepsCheckpointing } = runningJob(t);
  symlinkSync('/proc/self', join(dir, 'to-proc'));
  writeFileSync(join(dir, 'a-file'), 'x');
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'to-proc'), /^Could not create the savepoint directory .*: The savepoint target directory '.*to-proc' is on a pseudo-file system \(it resolves to \/proc\/\d+\)/],
    [join(dir, 'to-proc', 'deeper'), /pseudo-file system/],
    [`file://${join(dir, 'a-file', 'savepoints')}`, /^Could not create the savepoint directory .*a part of it is not a directory/],
  ];
  let id = 0;
  for (const [target, message] of cases) {
    id++;
    const savepoint = coordinator.triggerSavepoint({ targetDirectory: target, terminate: false, drain: false });
    const result = t.rejects(savepoint, { message }, target);
    executor.advanceTime(TICK);
    await result;
    t.match(coordinator.stats.get(id), { type: 'SAVEPOINT', status: 'FAILED' });
    t.notOk(triggered.some((tr) => tr.checkpointId === id), 'the tasks were never asked');
    t.equal(coordinator.pendingCheckpoint, undefined);
  }
  t.same(readdirSync('/proc/self').filter((n) => n.startsWith('savepoint-')), [], 'nothing was created in /proc');
  t.ok(sink.matching(/Failed to trigger or complete checkpoint 1 for job/).length === 1);
  await keepsCheckpointing(t, 4);
});

t.test('a savepoint whose directory the file system does not create in time fails; the next checkpoint is taken', async (t) => {
  let finishLate: (() => void) | undefined;
  const disposed: string[] = [];
  const storage: CheckpointStorage = {
    initializeLocation: (directory) =>
      basename(directory).startsWith('savepoint-')
        ? new Promise<void>((resolve) => (finishLate = () => void LOCAL_CHECKPOINT_STORAGE.initializeLocation(directory).then(resolve)))
        : LOCAL_CHECKPOINT_STORAGE.initializeLocation(directory),
    disposeOnFailure: async (directory) => {
      disposed.push(directory);
      await LOCAL_CHECKPOINT_STORAGE.disposeOnFailure(directory);
    },
    disposeJobDirectory: (directory) => LOCAL_CHECKPOINT_STORAGE.disposeJobDirectory(directory),
  };
  const { dir, executor, coordinator, triggered, keepsCheckpointing } = runningJob(t, storage);
  const target = join(dir, 'savepoints');
  mkdirSync(target);
  const savepoint = coordinator.triggerSavepoint({ targetDirectory: target, terminate: false, drain: false });
  const result = t.rejects(savepoint, { message: new RegExp(`^Could not create the savepoint directory .*: the file system did not answer within ${LOCATION_INITIALIZATION_TIMEOUT_MS} ms`) });
  executor.advanceTime(TICK);
  await until('the savepoint to be pending', () => coordinator.pendingCheckpoint?.checkpointId === 1);
  await until('its directory to be asked for', () => finishLate !== undefined);
  executor.advanceTime(LOCATION_INITIALIZATION_TIMEOUT_MS - 1);
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.equal(coordinator.pendingCheckpoint?.checkpointId, 1, 'still waiting just before the guard');
  executor.advanceTime(1);
  await result;
  t.equal(coordinator.pendingCheckpoint, undefined);
  t.match(coordinator.stats.get(1), { type: 'SAVEPOINT', status: 'FAILED' });
  t.same(triggered, [], 'the tasks were never asked');

  finishLate!();
  await until('the late directory to be removed', () => disposed.length === 1);
  t.match(disposed[0], new RegExp(`^${target}/savepoint-0f0f0f-[0-9a-f]{12}$`));
  await until('the late directory to be gone', () => readdirSync(target).length === 0);
  t.notOk(existsSync(disposed[0]!));
  await keepsCheckpointing(t, 2);
});
