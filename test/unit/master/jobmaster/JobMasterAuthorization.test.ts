import t, { type Test } from 'tap';
import { SenderNotAuthorizedError } from '../../../../src/master/jobmaster/JobMasterGateway.js';
import { encodeState } from '../../../../src/state/StateHandles.js';
import { JobMasterTestHarness } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';

const METRICS = { stateSize: 1, syncDurationMs: 1, asyncDurationMs: 1, alignmentDurationMs: 0, startDelayMs: 0 };

/** A job of two subtasks per vertex running on tm-1 and tm-2 (one slot each), every subtask RUNNING. */
async function runningJob(t: Test, options: { checkpointInterval?: number } = {}) {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(options), 2));
  await h.runAll();
  const onTm1 = h.executions().find((e) => e.resourceId === 'tm-1')!;
  const tm2 = h.resourceManager.getTaskManager('tm-2')!;
  return { h, job, onTm1, tm2Sender: { resourceId: 'tm-2', registrationId: tm2.registrationId } };
}

t.test('a forged FAILED for an attempt from another TaskManager is refused with SenderNotAuthorizedError, logged once, not acted upon', async (t) => {
  const { h, job, onTm1, tm2Sender } = await runningJob(t);
  const forged = { attemptId: onTm1.attemptId, state: 'FAILED' as const, failure: { name: 'Forged', message: 'forged', stack: 'forged' } };
  for (let i = 0; i < 3; i++) await t.rejects(job.updateTaskExecutionState(forged, tm2Sender), SenderNotAuthorizedError);
  t.equal(job.status, 'RUNNING', 'the job does not restart');
  t.equal(onTm1.state, 'RUNNING');
  t.equal(h.sink.matching(/Refused the state FAILED of .* deployed to TaskManager tm-1, not to the sender/).length, 1, 'logged once');
});

t.test('a report with the right resource id but not its current registration id is refused', async (t) => {
  const { h, job, onTm1 } = await runningJob(t);
  const current = h.resourceManager.getTaskManager('tm-1')!.registrationId;
  for (const registrationId of ['', 'f'.repeat(32), current.toUpperCase()]) {
    await t.rejects(
      job.updateTaskExecutionState({ attemptId: onTm1.attemptId, state: 'FAILED' }, { resourceId: 'tm-1', registrationId }),
      { name: 'SenderNotAuthorizedError', message: /not the current registration of TaskManager tm-1/ },
    );
  }
  t.equal(job.status, 'RUNNING');
  t.equal(await job.updateTaskExecutionState({ attemptId: onTm1.attemptId, state: 'RUNNING' }, h.senderOf(onTm1)), true, 'the owner’s report is accepted');
});

t.test('a report of an unknown attempt is not accepted (false), as before; the owner’s FAILED fails the attempt', async (t) => {
  const { h, job, onTm1 } = await runningJob(t);
  t.equal(await job.updateTaskExecutionState({ attemptId: 'e'.repeat(32), state: 'FAILED' }, h.senderOf(onTm1)), false);
  await h.fail(onTm1);
  t.equal(onTm1.state, 'FAILED', 'the legitimate path still works');
  t.not(job.status, 'RUNNING', 'and the job fails over');
});

t.test('checkpoint acknowledgements and declines are accepted only from the TaskManager running the attempt', async (t) => {
  const { h, job, onTm1, tm2Sender } = await runningJob(t, { checkpointInterval: 1000 });
  await h.triggerCheckpoint(1, 1000);
  const ack = { attemptId: onTm1.attemptId, checkpointId: 1, subtaskState: encodeState(h.subtaskStateFor(onTm1, 1)), metrics: METRICS };
  await t.rejects(job.acknowledgeCheckpoint(ack, tm2Sender), SenderNotAuthorizedError);
  await t.rejects(job.declineCheckpoint({ attemptId: onTm1.attemptId, checkpointId: 1, reason: 'forged' }, tm2Sender), SenderNotAuthorizedError);
  t.equal(h.checkpointStats(1)?.status, 'IN_PROGRESS', 'the forged decline did not fail the checkpoint');
  await h.completeCheckpoint(1);
  t.equal(h.checkpointStats(1)?.status, 'COMPLETED', 'acknowledgements of the owners complete it');
});

t.test('a TaskManager that left (or registered anew) cannot report for attempts of its old registration', async (t) => {
  const { h, job, onTm1 } = await runningJob(t);
  const old = h.senderOf(onTm1);
  h.executor.advanceTime(50_000); // both TaskManagers time out: the job fails over
  await t.rejects(job.updateTaskExecutionState({ attemptId: onTm1.attemptId, state: 'FINISHED' }, old), SenderNotAuthorizedError);
});
