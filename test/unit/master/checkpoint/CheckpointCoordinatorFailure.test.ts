import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { JobMasterTestHarness, flush, until } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';
import { TestingTaskExecutorGateway } from '../../../testing/runtime/TestingTaskExecutorGateway.js';

const INTERVAL = 1000;
const RESTARTS = { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '5', 'restart-strategy.fixed-delay.delay': '1 s' };

async function runningJob(t: Test, configuration: Record<string, string> = {}, tm2 = TestingTaskExecutorGateway.builder()) {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1, tm2);
  const job = h.startJob(await jobGraphOf(clickEventCountShape({ checkpointInterval: INTERVAL }), 2), { configuration: { ...RESTARTS, ...configuration } });
  await h.runAll();
  return { h, job, coordinator: job.checkpointCoordinator };
}

async function decline(h: JobMasterTestHarness, checkpointId: number, reason = 'Task received cancellation from one of its inputs'): Promise<void> {
  await h.jobMaster.declineCheckpoint({ attemptId: h.executionsOf(1)[1]!.attemptId, checkpointId, reason }, h.senderOf(h.executionsOf(1)[1]!));
  await flush();
}

t.test('a declined checkpoint fails: its tasks are told, its directory removed, the job goes on', async (t) => {
  const { h, job, coordinator } = await runningJob(t);
  await h.triggerCheckpoint(1);
  await h.acknowledge(1, h.executionsOf(0));
  await job.declineCheckpoint({ attemptId: 'f'.repeat(32), checkpointId: 1, reason: 'not one of ours' }, h.senderOf(h.executionsOf(2)[0]!));
  await job.declineCheckpoint({ attemptId: h.executionsOf(2)[0]!.attemptId, checkpointId: 7, reason: 'another checkpoint' }, h.senderOf(h.executionsOf(2)[0]!));
  t.equal(coordinator.stats.get(1)!.status, 'IN_PROGRESS', 'declines of unknown attempts or other checkpoints are ignored');

  await decline(h, 1, 'Checkpoint barrier alignment failed');
  t.equal(coordinator.pendingCheckpoint, undefined);
  t.match(coordinator.stats.get(1), { status: 'FAILED', failureTimestamp: h.clock.now(), failureMessage: 'Checkpoint was declined: Checkpoint barrier alignment failed' });
  t.match(coordinator.stats.counts, { failed: 1, completed: 0, in_progress: 0 });
  for (const resourceId of ['tm-1', 'tm-2']) {
    const gateway = h.gateways.get(resourceId)!;
    t.same(
      gateway.abortedNotifications.map((n) => ({ checkpointId: n.checkpointId, attemptIds: [...n.attemptIds].sort() })),
      [
        {
          checkpointId: 1,
          attemptIds: h
            .executions()
            .filter((e) => e.resourceId === resourceId)
            .map((e) => e.attemptId)
            .sort(),
        },
      ],
      `${resourceId}'s tasks are told it was aborted`,
    );
    t.same(gateway.completedNotifications, []);
  }
  await until('the checkpoint directory to be removed', () => !existsSync(h.checkpointPath(1)));
  t.equal(h.sink.matching('Failed to trigger or complete checkpoint 1').length, 1);

  await h.acknowledge(1);
  await flush();
  t.equal(coordinator.stats.get(1)!.status, 'FAILED', 'late acknowledgements change nothing');
  t.equal(job.status, 'RUNNING', 'one failed checkpoint is tolerated by default');
  await h.triggerCheckpoint(2, INTERVAL);
  await h.completeCheckpoint(2);
});

t.test('a checkpoint not completed within execution.checkpointing.timeout fails', async (t) => {
  const { h, coordinator } = await runningJob(t, { 'execution.checkpointing.timeout': '10 s' });
  await h.triggerCheckpoint(1);
  await h.acknowledge(1, h.executions().slice(1));
  h.executor.advanceTime(9_999);
  await flush();
  t.equal(coordinator.stats.get(1)!.status, 'IN_PROGRESS');
  h.executor.advanceTime(1);
  await flush();
  t.match(coordinator.stats.get(1), { status: 'FAILED', failureMessage: 'Checkpoint expired before completing (timeout 10000 ms).' });
  t.equal(h.gateways.get('tm-1')!.abortedNotifications.length, 1);
  await until('the expired checkpoint directory to be removed', () => !existsSync(h.checkpointPath(1)));
  await h.acknowledge(1, h.executions().slice(0, 1));
  await flush();
  t.equal(coordinator.stats.get(1)!.status, 'FAILED', 'the missing acknowledgement comes too late');
});

t.test('a trigger the TaskExecutor rejects fails the checkpoint', async (t) => {
  const { h, coordinator } = await runningJob(
    t,
    {},
    TestingTaskExecutorGateway.builder().setTriggerCheckpointFunction(async (trigger) => {
      throw new Error(`Task ${trigger.attemptId} is not running on this TaskExecutor`);
    }),
  );
  h.executor.advanceTime(50);
  await until('checkpoint 1 to fail', () => coordinator.stats.get(1)?.status === 'FAILED');
  t.match(coordinator.stats.get(1)!.failureMessage, /^Could not trigger checkpoint 1 at ClickEvent Source \(2\/2\)#0: Task [0-9a-f]+ is not running on this TaskExecutor$/);
});

t.test('failover aborts the pending checkpoint without counting it as a failed checkpoint', async (t) => {
  const { h, job, coordinator } = await runningJob(t, { 'execution.checkpointing.tolerable-failed-checkpoints': '0' });
  await h.triggerCheckpoint(1);
  await h.acknowledge(1, h.executionsOf(0));
  await h.fail(h.executionsOf(2)[0]!, 'sink failed');
  t.equal(job.status, 'RESTARTING');
  t.match(coordinator.stats.get(1), { status: 'FAILED', failureMessage: 'The job is failing over.' });
  t.same(
    job.exceptions.map((e) => e.exceptionName),
    ['RuntimeException'],
    'only the task failure: the aborted checkpoint did not exceed the tolerable failures (0)',
  );
  t.equal(h.gateways.get('tm-2')!.abortedNotifications.length, 1, 'the tasks still running are told');
  await until('the aborted checkpoint directory to be removed', () => !existsSync(h.checkpointPath(1)));

  await h.reportCanceled();
  h.executor.advanceTime(1000);
  await h.runAll();
  await h.triggerCheckpoint(2, 50);
  await h.completeCheckpoint(2);
  t.equal(job.numRestarts, 1);
  t.equal(job.exceptions.length, 1);
});

t.test('tolerable-failed-checkpoints: one more consecutive failure than tolerated fails the job over', async (t) => {
  const { h, job } = await runningJob(t, { 'execution.checkpointing.tolerable-failed-checkpoints': '1' });
  await h.triggerCheckpoint(1);
  await decline(h, 1);
  t.equal(job.status, 'RUNNING', 'the first failure is tolerated');
  await h.triggerCheckpoint(2, INTERVAL);
  await decline(h, 2, 'out of disk');
  t.equal(job.status, 'RESTARTING', 'the second in a row is not');
  t.match(job.exceptions, [{ exceptionName: 'FlinkRuntimeException', stacktrace: 'FlinkRuntimeException: Exceeded checkpoint tolerable failure threshold (1): Checkpoint was declined: out of disk', taskName: null }]);
  t.same(
    h.executions().map((e) => e.state),
    Array(6).fill('CANCELING'),
    'every task is cancelled for the restart',
  );
});

t.test('a completed checkpoint resets the count of consecutive failures', async (t) => {
  const { h, job } = await runningJob(t, { 'execution.checkpointing.tolerable-failed-checkpoints': '1' });
  await h.triggerCheckpoint(1);
  await decline(h, 1);
  await h.triggerCheckpoint(2, INTERVAL);
  await h.completeCheckpoint(2);
  await h.triggerCheckpoint(3, INTERVAL);
  await decline(h, 3);
  t.equal(job.status, 'RUNNING', 'failure, success, failure: never two in a row');
  await h.triggerCheckpoint(4, INTERVAL);
  await decline(h, 4);
  t.equal(job.status, 'RESTARTING');
});
