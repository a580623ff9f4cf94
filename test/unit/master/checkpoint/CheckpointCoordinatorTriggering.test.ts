import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CHECKPOINT_TICK_MS, JobMasterTestHarness, flush } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';

const INTERVAL = 1000;

/** Two TaskManagers with one slot each, ClickEventCount's shape at parallelism 2 checkpointing every second. */
async function deployedJob(t: Test, configuration: Record<string, string> = {}) {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape({ checkpointInterval: INTERVAL }), 2), { configuration });
  await h.deployed();
  return { h, job, coordinator: job.checkpointCoordinator };
}

t.test('no checkpoint is triggered until every task is RUNNING', async (t) => {
  const { h, coordinator } = await deployedJob(t);
  h.executor.advanceTime(5 * INTERVAL);
  await flush();
  t.equal(coordinator.stats.counts.total, 0, 'not while deploying');

  const [last, ...others] = h.executions();
  await h.report('RUNNING', others);
  h.executor.advanceTime(5 * INTERVAL);
  await flush();
  t.equal(coordinator.stats.counts.total, 0, 'not while one task is still INITIALIZING');
  t.same(h.triggers(), []);

  await h.report('RUNNING', [last!]);
  const triggers = await h.triggerCheckpoint(1);
  t.equal(triggers.length, 2, 'the first tick after all run triggers checkpoint 1');
});

t.test('a checkpoint is triggered only at the source tasks, with its directory created', async (t) => {
  const { h, job, coordinator } = await deployedJob(t);
  await h.report('RUNNING');
  const triggers = await h.triggerCheckpoint(1);
  const triggeredAt = h.clock.now();
  await flush();
  const [source1, source2] = h.executionsOf(0);
  t.same(
    h.gateways.get('tm-1')!.triggered.map((tr) => tr.attemptId),
    [source1!.attemptId],
  );
  t.same(
    h.gateways.get('tm-2')!.triggered.map((tr) => tr.attemptId),
    [source2!.attemptId],
  );
  const directory = join(h.checkpointDirectory, job.jobId, 'chk-1');
  for (const trigger of triggers) t.match(trigger, { checkpointId: 1, timestamp: triggeredAt, targetLocation: directory, terminate: false, drain: false });
  t.ok(existsSync(directory), 'the subtasks can write their state files into it');
  t.match(coordinator.stats.get(1), { status: 'IN_PROGRESS', type: 'CHECKPOINT', triggerTimestamp: triggeredAt });
  t.equal(coordinator.pendingCheckpoint!.checkpointId, 1);
  t.equal(h.sink.matching(`Triggering checkpoint 1 (type=CHECKPOINT) @ ${triggeredAt} for job ${job.jobId}.`).length, 1);
});

t.test('one checkpoint at a time: none is triggered while one is pending', async (t) => {
  const { h, coordinator } = await deployedJob(t);
  await h.report('RUNNING');
  await h.triggerCheckpoint(1);
  h.executor.advanceTime(10 * INTERVAL);
  await flush();
  t.equal(coordinator.stats.counts.total, 1);
  t.equal(h.triggers().length, 2);
  await h.completeCheckpoint(1);
  await h.triggerCheckpoint(2, CHECKPOINT_TICK_MS);
  t.pass('the next one comes at the next tick, its interval long over');
});

t.test('checkpoints are triggered every interval', async (t) => {
  const { h, coordinator } = await deployedJob(t);
  await h.report('RUNNING');
  await h.triggerCheckpoint(1);
  const first = h.clock.now();
  await h.completeCheckpoint(1);

  h.executor.advanceTime(INTERVAL - CHECKPOINT_TICK_MS);
  await flush();
  t.equal(coordinator.stats.counts.total, 1, 'not before the interval since the last trigger is over');
  await h.triggerCheckpoint(2, CHECKPOINT_TICK_MS);
  t.equal(coordinator.stats.get(2)!.triggerTimestamp - first, INTERVAL);
  await h.completeCheckpoint(2);
  await h.triggerCheckpoint(3, INTERVAL);
  t.equal(coordinator.stats.get(3)!.triggerTimestamp - first, 2 * INTERVAL);
});

t.test('the min pause counts from the end of the last checkpoint', async (t) => {
  const { h, coordinator } = await deployedJob(t, { 'execution.checkpointing.min-pause': '3 s' });
  await h.report('RUNNING');
  await h.triggerCheckpoint(1);
  h.executor.advanceTime(500);
  await h.completeCheckpoint(1);
  const ended = h.clock.now();

  h.executor.advanceTime(3000 - CHECKPOINT_TICK_MS);
  await flush();
  t.equal(coordinator.stats.counts.total, 1, 'the interval is over, the pause is not');
  await h.triggerCheckpoint(2, CHECKPOINT_TICK_MS);
  t.equal(coordinator.stats.get(2)!.triggerTimestamp - ended, 3000);
});

t.test('a savepoint is taken at the next tick, whatever the interval, into its target directory', async (t) => {
  const { h, job, coordinator } = await deployedJob(t);
  await h.report('RUNNING');
  await h.triggerCheckpoint(1);
  await h.completeCheckpoint(1);

  const target = join(h.directory, 'savepoints');
  const savepoint = job.triggerSavepoint(target, false);
  const triggers = await h.triggerCheckpoint(2, CHECKPOINT_TICK_MS);
  t.equal(coordinator.stats.get(2)!.type, 'SAVEPOINT', 'right after a checkpoint, long before the interval is over');
  const directory = triggers[0]!.targetLocation;
  t.match(directory, new RegExp(`^${target}/savepoint-${job.jobId.slice(0, 6)}-[0-9a-f]{12}$`));
  t.same(
    triggers.map((tr) => [tr.targetLocation, tr.terminate, tr.drain]),
    [
      [directory, false, false],
      [directory, false, false],
    ],
  );
  await h.completeCheckpoint(2);
  t.equal(await savepoint, `file:${directory}`);
  t.ok(existsSync(join(directory, '_metadata')));
  t.equal(h.sink.matching(/Completed savepoint 2 for job/).length, 1);
});

t.test('a savepoint requested while not every task runs is rejected', async (t) => {
  const { h, job } = await deployedJob(t);
  const savepoint = job.triggerSavepoint(join(h.directory, 'savepoints'), false);
  h.executor.advanceTime(CHECKPOINT_TICK_MS);
  await t.rejects(savepoint, /Not all required tasks are currently running \(job RUNNING\)/);
  t.same(h.triggers(), []);
});
