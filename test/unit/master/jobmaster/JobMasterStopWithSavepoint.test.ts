import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { readCheckpoint } from '../../../../src/master/checkpoint/CheckpointMetadata.js';
import { JobMasterTestHarness, flush, until } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';

/** Whether a promise settled yet, and how. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: Error } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: Error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

async function runningJob(t: Test) {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape({ checkpointInterval: 60_000 }), 2), {
    configuration: { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.delay': '1 s' },
  });
  await h.runAll();
  return { h, job, target: join(h.directory, 'savepoints') };
}

t.test('stop with savepoint: a terminating savepoint at the sources, resolved only once the job is FINISHED', async (t) => {
  const { h, job, target } = await runningJob(t);
  const stop = track(job.stopWithSavepoint(target, true));
  const triggers = await h.triggerCheckpoint(1);
  t.same(
    triggers.map((tr) => tr.attemptId).sort(),
    h.sourceExecutions()
      .map((e) => e.attemptId)
      .sort(),
  );
  t.match(triggers, [
    { terminate: true, drain: true },
    { terminate: true, drain: true },
  ]);
  t.equal(h.checkpointStats(1)!.type, 'SYNC_SAVEPOINT');

  await h.completeCheckpoint(1);
  const location = h.checkpointStats(1)!.externalPath!;
  t.match(location, new RegExp(`^file:${target}/savepoint-${job.jobId.slice(0, 6)}-[0-9a-f]{12}$`));
  t.equal((await readCheckpoint(location.slice('file:'.length))).isSavepoint, true);
  await flush();
  t.notOk(stop.settled, 'the savepoint is taken, but the job still runs');

  await h.report('FINISHED', h.executionsOf(0));
  await h.report('FINISHED', h.executionsOf(1));
  t.notOk(stop.settled);
  await h.report('FINISHED', h.executionsOf(2));
  await until('stop-with-savepoint to resolve', () => stop.settled);
  t.equal(job.status, 'FINISHED');
  t.equal(stop.value, location);
  t.ok(existsSync(join(location.slice('file:'.length), '_metadata')), 'the savepoint outlives the job');
});

t.test('stop with savepoint rejects if the job fails over after the savepoint, before it finished', async (t) => {
  const { h, job, target } = await runningJob(t);
  const stop = track(job.stopWithSavepoint(target, false));
  const triggers = await h.triggerCheckpoint(1);
  t.match(triggers[0], { terminate: true, drain: false });
  await h.completeCheckpoint(1);
  await h.report('FINISHED', h.executionsOf(0));
  await h.fail(h.executionsOf(2)[0]!, 'sink broke while stopping');
  await until('stop-with-savepoint to settle', () => stop.settled);
  t.equal(job.status, 'RESTARTING');
  t.match(stop.error, { message: /The savepoint file:.*savepoint-.* was taken, but the job failed while stopping \(RESTARTING\)/ });
});

t.test('stop with savepoint rejects if the job fails over before the savepoint completed', async (t) => {
  const { h, job, target } = await runningJob(t);
  const stop = track(job.stopWithSavepoint(target, false));
  await h.triggerCheckpoint(1);
  await h.acknowledge(1, h.executionsOf(0));
  await h.fail(h.executionsOf(1)[1]!);
  await until('stop-with-savepoint to settle', () => stop.settled);
  t.match(stop.error, { message: 'The job is failing over.' });
  t.equal(h.checkpointStats(1)!.status, 'FAILED');
  await until('the aborted savepoint to be removed', () => !existsSync(triggersDirectory(h)));
});

function triggersDirectory(h: JobMasterTestHarness): string {
  return h.triggers()[0]!.targetLocation;
}
