import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { resolveSavepoint, writeMetadata } from '../../../../src/master/checkpoint/CheckpointMetadata.js';
import { JobMasterTestHarness, until } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';
import type { StartJobOptions } from '../../../testing/runtime/JobMasterTestHarness.js';

const INTERVAL = 1000;
const CONFIGURATION = {
  'restart-strategy.type': 'fixed-delay',
  'restart-strategy.fixed-delay.attempts': '5',
  'restart-strategy.fixed-delay.delay': '1 s',
  'execution.checkpointing.num-retained': '2',
};

async function checkpointingJob(t: Test, options: Omit<StartJobOptions, 'configuration'> = {}) {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const jobGraph = await jobGraphOf(clickEventCountShape({ checkpointInterval: INTERVAL }), 2);
  return { h, jobGraph, start: () => h.startJob(jobGraph, { ...options, configuration: CONFIGURATION }) };
}

/** Checkpoints 1 and 2 complete, then a task fails and the job restarts: resolves once the new attempts are deployed. */
async function twoCheckpointsThenFailover(h: JobMasterTestHarness, beforeRestart: () => void = () => undefined): Promise<void> {
  await h.runAll();
  await h.triggerCheckpoint(1);
  await h.completeCheckpoint(1);
  await h.triggerCheckpoint(2, INTERVAL);
  await h.completeCheckpoint(2);
  beforeRestart();
  await h.fail(h.executionsOf(1)[0]!);
  await h.reportCanceled();
  h.executor.advanceTime(1000);
}

function damage(metadataFile: string): void {
  const bytes = readFileSync(metadataFile);
  bytes[12] = bytes[12]! ^ 0xff;
  writeFileSync(metadataFile, bytes);
}

function sourceRestore(sourceOperator: string, checkpointId: number, directory: string, positions: string[]) {
  return {
    checkpointId,
    checkpointDirectory: directory,
    operators: { [sourceOperator]: { keyed: [], splits: positions.map((position, i) => ({ splitId: `input-${i}`, position })), sinkWriters: [] } },
  };
}

t.test('after a failure the job restores from the newest completed checkpoint', async (t) => {
  const { h, jobGraph, start } = await checkpointingJob(t);
  const job = start();
  await twoCheckpointsThenFailover(h);
  await h.deployed();
  const sourceOperator = jobGraph.vertices[0]!.operators[0]!.operatorId;
  for (const source of h.executionsOf(0)) {
    t.same(h.descriptorOf(source).taskRestore, sourceRestore(sourceOperator, 2, h.checkpointPath(2), ['chk-2', 'chk-2']), `${source.displayName} restores the splits of checkpoint 2`);
  }
  for (const execution of [...h.executionsOf(1), ...h.executionsOf(2)]) {
    t.equal(h.descriptorOf(execution).taskRestore, undefined, `${execution.displayName} had no state to restore`);
  }
  t.same(job.checkpointCoordinator.stats.restored, { id: 2, restore_timestamp: h.clock.now(), is_savepoint: false, external_path: `file:${h.checkpointPath(2)}` });
  t.equal(job.checkpointCoordinator.stats.counts.restored, 1);
  t.equal(h.sink.matching(`Restoring job ${job.jobId} from Checkpoint 2 @`).length, 1);

  await h.runAll();
  const [trigger] = await h.triggerCheckpoint(3);
  t.equal(trigger!.checkpointId, 3, 'checkpoint ids go on after the restored one');
});

t.test('a damaged newest checkpoint is skipped: the job restores from the one before', async (t) => {
  const { h, jobGraph, start } = await checkpointingJob(t);
  const job = start();
  await twoCheckpointsThenFailover(h, () => damage(join(h.checkpointPath(2), '_metadata')));
  await h.deployed();
  const sourceOperator = jobGraph.vertices[0]!.operators[0]!.operatorId;
  t.same(h.descriptorOf(h.executionsOf(0)[1]!).taskRestore, sourceRestore(sourceOperator, 1, h.checkpointPath(1), ['chk-1', 'chk-1']));
  t.equal(job.checkpointCoordinator.stats.restored!.id, 1);
  t.match(h.sink.matching('Cannot restore from checkpoint'), [/WARN .*Cannot restore from checkpoint 2, trying an older one: .*chk-2\/_metadata is damaged \(checksum mismatch\)/]);

  await h.runAll();
  await h.triggerCheckpoint(3);
  t.pass('the next checkpoint is 3: ids never go back to the restored checkpoint');
});

t.test('when no retained checkpoint can be restored the job FAILS instead of starting from nothing', async (t) => {
  const { h, start } = await checkpointingJob(t);
  const job = start();
  await twoCheckpointsThenFailover(h, () => {
    damage(join(h.checkpointPath(2), '_metadata'));
    rmSync(join(h.checkpointPath(1), '_metadata'));
  });
  await until('the job to fail', () => job.status === 'FAILED');
  t.match(job.exceptions.at(-1), {
    exceptionName: 'FlinkRuntimeException',
    stacktrace: /None of the retained checkpoints can be restored \(checkpoint 2: .*damaged.*; checkpoint 1: Cannot read checkpoint metadata/,
  });
  t.notOk(
    h.submitted().some((d) => d.attemptNumber > 0),
    'no new attempt was deployed',
  );
  t.equal(h.resourceManager.getNumberFreeSlots(), 2);
  t.equal(h.sink.matching(/ERROR .*Cannot restore job test job/).length, 1);
});

t.test('the savepoint the job was submitted with is restored, also after failures before its first checkpoint', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const jobGraph = await jobGraphOf(clickEventCountShape({ checkpointInterval: INTERVAL }), 2);
  const sourceOperator = jobGraph.vertices[0]!.operators[0]!.operatorId;
  // Taken with parallelism 1: its one source subtask owned both splits.
  const savepointDirectory = join(h.directory, 'savepoints', 'savepoint-0a1b2c-0123456789ab');
  mkdirSync(savepointDirectory, { recursive: true });
  await writeMetadata(savepointDirectory, {
    jobId: '0a1b2c'.padEnd(32, '0'),
    checkpointId: 41,
    timestamp: 1,
    isSavepoint: true,
    operators: { [sourceOperator]: { parallelism: 1, maxParallelism: 128, subtasks: { 0: { splits: [{ splitId: 'input-0', position: 'sp' }, { splitId: 'input-1', position: 'sp' }] } } } },
  });
  const job = h.startJob(jobGraph, { configuration: CONFIGURATION, restore: await resolveSavepoint(`file:${savepointDirectory}`) });
  await h.deployed();
  const fromSavepoint = sourceRestore(sourceOperator, 41, savepointDirectory, ['sp', 'sp']);
  for (const source of h.executionsOf(0)) t.same(h.descriptorOf(source).taskRestore, fromSavepoint, `${source.displayName} gets every split`);
  t.match(job.checkpointCoordinator.stats.restored, { id: 41, is_savepoint: true, external_path: `file:${savepointDirectory}` });

  await h.runAll();
  await h.fail(h.executionsOf(2)[1]!);
  await h.reportCanceled();
  h.executor.advanceTime(1000);
  await h.deployed();
  t.same(h.descriptorOf(h.executionsOf(0)[0]!).taskRestore, fromSavepoint, 'no checkpoint yet: the savepoint again');

  await h.runAll();
  const [trigger] = await h.triggerCheckpoint(42);
  t.equal(trigger!.checkpointId, 42, "checkpoint ids go on after the savepoint's");
  await h.completeCheckpoint(42);
  await h.fail(h.executionsOf(2)[1]!);
  await h.reportCanceled();
  h.executor.advanceTime(1000);
  await h.deployed();
  t.same(
    h.descriptorOf(h.executionsOf(0)[0]!).taskRestore,
    sourceRestore(sourceOperator, 42, h.checkpointPath(42), ['chk-42', 'chk-42']),
    'once there is a checkpoint, the checkpoint',
  );
});
