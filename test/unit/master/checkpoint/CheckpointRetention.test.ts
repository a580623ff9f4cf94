import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { JobMasterTestHarness, settleFileOperations, until } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';

const INTERVAL = 1000;

async function checkpointingJob(t: Test, configuration: Record<string, string> = {}) {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape({ checkpointInterval: INTERVAL }), 2), { configuration });
  await h.runAll();
  return { h, job };
}

/** Completes checkpoints `from`..`to`, one per interval. */
async function completeCheckpoints(h: JobMasterTestHarness, from: number, to: number): Promise<void> {
  for (let id = from; id <= to; id++) {
    await h.triggerCheckpoint(id, id === 1 ? 50 : INTERVAL);
    await h.completeCheckpoint(id);
  }
}

function sameDirectories(h: JobMasterTestHarness, expected: string[]): () => boolean {
  return () => JSON.stringify(h.checkpointDirectories()) === JSON.stringify(expected);
}

t.test('only the execution.checkpointing.num-retained newest checkpoints are kept', async (t) => {
  const { h, job } = await checkpointingJob(t, { 'execution.checkpointing.num-retained': '2' });
  await completeCheckpoints(h, 1, 2);
  t.same(h.checkpointDirectories(), ['chk-1', 'chk-2']);
  await completeCheckpoints(h, 3, 4);
  await until('chk-1 and chk-2 to be removed', sameDirectories(h, ['chk-3', 'chk-4']));
  const stats = job.checkpointCoordinator.stats;
  await until('the subsumed checkpoints to be reported discarded', () => stats.get(2)!.discarded);
  t.same(
    [1, 2, 3, 4].map((id) => stats.get(id)!.discarded),
    [true, true, false, false],
    'the subsumed ones are marked discarded',
  );
});

t.test('by default only the newest checkpoint is kept', async (t) => {
  const { h } = await checkpointingJob(t);
  await completeCheckpoints(h, 1, 3);
  await until('only chk-3 to be left', sameDirectories(h, ['chk-3']));
  t.pass();
});

t.test('a savepoint is neither retained as a checkpoint nor subsumed, and outlives the job', async (t) => {
  const { h, job } = await checkpointingJob(t);
  await completeCheckpoints(h, 1, 1);
  const savepoint = job.triggerSavepoint(join(h.directory, 'savepoints'), false);
  await h.triggerCheckpoint(2);
  await h.completeCheckpoint(2);
  const location = (await savepoint).slice('file:'.length);
  await settleFileOperations();
  t.same(h.checkpointDirectories(), ['chk-1'], 'the savepoint did not subsume checkpoint 1');

  await h.triggerCheckpoint(3, INTERVAL);
  await h.completeCheckpoint(3);
  await until('chk-1 to be subsumed by chk-3', sameDirectories(h, ['chk-3']));
  t.ok(existsSync(join(location, '_metadata')), 'checkpoint 3 did not subsume the savepoint');

  job.cancel();
  await h.reportCanceled();
  await until("the job's checkpoint directory to be removed", () => !existsSync(h.jobDirectory));
  t.ok(existsSync(join(location, '_metadata')), 'the savepoint belongs to the user');
});

t.test('when the job ends its checkpoints are removed (NO_EXTERNALIZED_CHECKPOINTS, the default)', async (t) => {
  for (const ending of ['cancelled', 'finished'] as const) {
    await t.test(ending, async (t) => {
      const { h, job } = await checkpointingJob(t);
      await completeCheckpoints(h, 1, 2);
      if (ending === 'cancelled') {
        job.cancel();
        await h.reportCanceled();
      } else {
        await h.report('FINISHED');
      }
      t.equal(job.status, ending === 'cancelled' ? 'CANCELED' : 'FINISHED');
      await until("the job's checkpoint directory to be removed", () => !existsSync(h.jobDirectory));
      t.ok(existsSync(h.checkpointDirectory), 'only the job’s directory, not the base directory');
    });
  }
});

t.test('RETAIN_ON_CANCELLATION keeps the retained checkpoints of a cancelled job; an unfinished one is removed', async (t) => {
  const { h, job } = await checkpointingJob(t, { 'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION' });
  await completeCheckpoints(h, 1, 2);
  await h.triggerCheckpoint(3, INTERVAL);
  job.cancel();
  await h.reportCanceled();
  await until('the retention to be logged', () => h.sink.matching(`Retaining 1 checkpoint(s) of job ${job.jobId} in ${h.jobDirectory} (RETAIN_ON_CANCELLATION).`).length === 1);
  await until('the pending chk-3 to be removed', sameDirectories(h, ['chk-2']));
  await settleFileOperations();
  t.ok(existsSync(join(h.checkpointPath(2), '_metadata')), 'chk-2 can be restored with flink run -s');
  t.equal(job.checkpointCoordinator.stats.get(3)!.status, 'FAILED');
});

t.test('DELETE_ON_CANCELLATION keeps the checkpoints only when the job FAILED', async (t) => {
  const retention = { 'execution.checkpointing.externalized-checkpoint-retention': 'delete_on_cancellation', 'restart-strategy.type': 'none' };
  await t.test('cancelled: removed', async (t) => {
    const { h, job } = await checkpointingJob(t, retention);
    await completeCheckpoints(h, 1, 1);
    job.cancel();
    await h.reportCanceled();
    await until("the job's checkpoint directory to be removed", () => !existsSync(h.jobDirectory));
    t.equal(job.status, 'CANCELED');
  });
  await t.test('failed: kept', async (t) => {
    const { h, job } = await checkpointingJob(t, retention);
    await completeCheckpoints(h, 1, 1);
    await h.fail(h.executionsOf(0)[0]!);
    await h.reportCanceled();
    t.equal(job.status, 'FAILED');
    await until('the retention to be logged', () => h.sink.matching('(DELETE_ON_CANCELLATION)').length === 1);
    await settleFileOperations();
    t.same(h.checkpointDirectories(), ['chk-1']);
    t.ok(existsSync(join(h.checkpointPath(1), '_metadata')));
  });
});

t.test("when the job ends, a failed checkpoint's leftovers go too, files of others stay", async (t) => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  for (const foreign of [false, true]) {
    await t.test(foreign ? 'a file no checkpoint names keeps the directory' : "the coordinator's own chk-N leftovers are removed", async (t) => {
      const { h, job } = await checkpointingJob(t);
      await completeCheckpoints(h, 1, 1);
      // A subtask wrote into chk-7 after that checkpoint had failed and been removed.
      mkdirSync(join(h.jobDirectory, 'chk-7', 'late'), { recursive: true });
      writeFileSync(join(h.jobDirectory, 'chk-7', 'late', 'state'), 'x');
      if (foreign) writeFileSync(join(h.jobDirectory, 'notes.txt'), 'the user put this here');
      job.cancel();
      await h.reportCanceled();
      await until('chk-1 and chk-7 to be removed', () => !existsSync(join(h.jobDirectory, 'chk-1')) && !existsSync(join(h.jobDirectory, 'chk-7')));
      if (foreign) {
        await until('the kept directory to be logged', () => h.sink.matching('it holds files no checkpoint names').length === 1);
        t.ok(existsSync(join(h.jobDirectory, 'notes.txt')), "a file that is not the coordinator's is never deleted");
      } else {
        await until("the job's checkpoint directory to be removed", () => !existsSync(h.jobDirectory));
      }
    });
  }
});
