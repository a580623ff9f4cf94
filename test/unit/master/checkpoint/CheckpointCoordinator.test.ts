import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { readCheckpoint } from '../../../../src/master/checkpoint/CheckpointMetadata.js';
import { encodeState } from '../../../../src/state/StateHandles.js';
import { JobMasterTestHarness, settleFileOperations } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';

async function runningJob(t: Test) {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const jobGraph = await jobGraphOf(clickEventCountShape({ checkpointInterval: 1000 }), 2);
  const job = h.startJob(jobGraph);
  await h.runAll();
  await h.triggerCheckpoint(1);
  return { h, job, jobGraph, coordinator: job.checkpointCoordinator };
}

const METRICS = { stateSize: 100, syncDurationMs: 1, asyncDurationMs: 2, alignmentDurationMs: 0, startDelayMs: 0 };

t.test('the acknowledgements of every task complete the checkpoint', async (t) => {
  const { h, job, jobGraph, coordinator } = await runningJob(t);
  const [last, ...others] = h.executions().reverse();
  await h.acknowledge(1, others);
  t.ok(coordinator.pendingCheckpoint!.isAwaiting(last!.attemptId));
  await settleFileOperations();
  t.equal(coordinator.stats.get(1)!.status, 'IN_PROGRESS', 'not before the last task acknowledged');
  t.notOk(existsSync(join(h.checkpointPath(1), '_metadata')));

  h.executor.advanceTime(30);
  await h.completeCheckpoint(1);
  t.equal(coordinator.pendingCheckpoint, undefined);

  const metadata = await readCheckpoint(h.checkpointPath(1));
  const sourceOperator = jobGraph.vertices[0]!.operators[0]!.operatorId;
  t.match(metadata, { jobId: job.jobId, checkpointId: 1, isSavepoint: false });
  t.same(metadata.operators, {
    [sourceOperator]: {
      parallelism: 2,
      maxParallelism: 128,
      subtasks: { 0: { splits: [{ splitId: 'input-0', position: 'chk-1' }] }, 1: { splits: [{ splitId: 'input-1', position: 'chk-1' }] } },
    },
  });

  for (const resourceId of ['tm-1', 'tm-2']) {
    const onIt = h.executions().filter((e) => e.resourceId === resourceId);
    t.same(
      h.gateways.get(resourceId)!.completedNotifications.map((n) => ({ checkpointId: n.checkpointId, attemptIds: [...n.attemptIds].sort() })),
      [{ checkpointId: 1, attemptIds: onIt.map((e) => e.attemptId).sort() }],
      `one notification to ${resourceId}, for each of its tasks`,
    );
    t.same(h.gateways.get(resourceId)!.abortedNotifications, []);
  }

  const stats = coordinator.stats.get(1)!;
  t.match(stats, { status: 'COMPLETED', externalPath: `file:${h.checkpointPath(1)}`, discarded: false });
  t.match(coordinator.stats.counts, { total: 1, completed: 1, failed: 0, in_progress: 0 });
  t.match(coordinator.stats.metrics(), { lastCheckpointSize: 600, lastCheckpointDuration: 30, lastCheckpointExternalPath: `file:${h.checkpointPath(1)}` });
  t.match(h.sink.matching(/Completed checkpoint 1 for job/), [new RegExp(`Completed checkpoint 1 for job ${job.jobId} \\(600 bytes, checkpointDuration=30 ms`)]);
});

t.test('duplicate acknowledgements, those of unknown attempts and those of another checkpoint are ignored', async (t) => {
  const { h, job, coordinator } = await runningJob(t);
  const executions = h.executions();
  const state = encodeState({ operators: {} });
  await h.acknowledge(1, executions.slice(0, 5));
  await h.acknowledge(1, executions.slice(0, 1));
  await job.acknowledgeCheckpoint({ attemptId: 'f'.repeat(32), checkpointId: 1, subtaskState: state, metrics: METRICS }, h.senderOf(executions[0]!));
  await h.acknowledge(2, executions.slice(5));
  await h.acknowledge(0, executions.slice(5));
  // An attempt the JobMaster runs, but which the coordinator does not wait for any more.
  coordinator.receiveAcknowledgeMessage({ attemptId: executions[1]!.attemptId, checkpointId: 1, subtaskState: state, metrics: METRICS });
  t.ok(coordinator.pendingCheckpoint!.isAwaiting(executions[5]!.attemptId), 'six acknowledgements arrived, five of them count');
  t.notOk(coordinator.pendingCheckpoint!.isFullyAcknowledged);
  await settleFileOperations();
  t.equal(coordinator.stats.get(1)!.status, 'IN_PROGRESS');
  t.notOk(existsSync(join(h.checkpointPath(1), '_metadata')));
  t.same(
    coordinator.stats.get(1)!.tasks.get(h.executionsOf(2)[1]!.vertex.jobVertex.id)!.map((ack) => ack !== undefined),
    [true, false],
    'the sink subtask 2 has not acknowledged',
  );
  t.same([...h.gateways.values()].flatMap((g) => g.completedNotifications), []);

  await h.completeCheckpoint(1);
  t.equal(coordinator.stats.get(1)!.status, 'COMPLETED', 'its own acknowledgement completes it');
  t.equal(coordinator.stats.counts.completed, 1);
});

for (const [what, bytes] of [
  ['no bytes', new Uint8Array(0)],
  ['msgpack nil', Uint8Array.of(0xc0)],
  ['a msgpack number', Uint8Array.of(0x01)],
  ['a msgpack array', Uint8Array.of(0x92, 0x01, 0x02)],
] as const) {
  t.test(`an acknowledgement whose state cannot be read (${what}) fails the checkpoint, which never completes without it`, async (t) => {
    const { h, job, coordinator } = await runningJob(t);
    const execution = h.executions()[3]!;
    const answer = await job.acknowledgeCheckpoint({ attemptId: execution.attemptId, checkpointId: 1, subtaskState: bytes, metrics: METRICS }, h.senderOf(execution)).then(
      () => 'accepted',
      (error: Error) => `threw ${error.message}`,
    );
    t.equal(answer, 'accepted', "the TaskExecutor's call is answered; the checkpoint is what fails");
    await h.acknowledge(
      1,
      h.executions().filter((e) => e !== execution),
    );
    await settleFileOperations();
    t.match(coordinator.stats.get(1), { status: 'FAILED', failureMessage: new RegExp(`The acknowledgement of ${execution.attemptId} could not be read`) });
    t.notOk(existsSync(join(h.checkpointPath(1), '_metadata')), 'no metadata missing a subtask is written');
    t.same([...h.gateways.values()].flatMap((g) => g.completedNotifications), []);
  });
}
