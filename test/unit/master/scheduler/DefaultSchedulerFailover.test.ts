import t from 'tap';
import { HEARTBEAT_TIMEOUT_MS, JobMasterTestHarness, flush } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';
import { TestingTaskExecutorGateway } from '../../../testing/runtime/TestingTaskExecutorGateway.js';

const FIXED_DELAY = { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '3', 'restart-strategy.fixed-delay.delay': '2 s' };

t.test('a failed subtask restarts the job: RESTARTING, the others cancelled, new attempts after the backoff', async (t) => {
  const h = JobMasterTestHarness.create(t);
  const tm1 = await h.registerTaskManager('tm-1', 1);
  const tm2 = await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: FIXED_DELAY });
  await h.runAll();
  const first = h.executions();
  const counter = h.executionsOf(1)[0]!;

  await h.fail(counter, 'Division by zero');
  t.equal(job.status, 'RESTARTING');
  t.equal(counter.state, 'FAILED');
  const others = first.filter((e) => e !== counter);
  t.same(
    [...tm1.cancelled, ...tm2.cancelled].sort(),
    others.map((e) => e.attemptId).sort(),
    'every other subtask is cancelled through its TaskExecutor, the failed one is not',
  );
  t.same(new Set(others.map((e) => e.state)), new Set(['CANCELING']));
  t.match(job.exceptions, [{ exceptionName: 'RuntimeException', taskName: 'ClickEvent Counter (1/2)#0', taskManagerId: 'tm-1', location: '10.0.0.1:6122' }]);

  h.executor.advanceTime(5000);
  await flush();
  t.equal(h.submitted().length, 6, 'no new attempt while the old ones still run');
  t.equal(h.resourceManager.getNumberFreeSlots(), 0, 'and their slots stay held');

  await h.reportCanceled();
  t.equal(job.status, 'RESTARTING');
  t.equal(h.resourceManager.getNumberFreeSlots(), 2, 'the slots are given back once every subtask ended');
  h.executor.advanceTime(1999);
  await flush();
  t.equal(h.submitted().length, 6, 'the backoff is not over 1 ms before its end');

  h.executor.advanceTime(1);
  await h.deployed();
  t.equal(job.status, 'RUNNING');
  t.equal(job.numRestarts, 1);
  const second = h.currentDescriptors();
  t.equal(second.length, 6, 'every subtask is deployed again');
  t.same(
    second.map((d) => d.attemptNumber),
    Array(6).fill(1),
    'as attempt #1',
  );
  t.notOk(
    second.some((d) => first.some((e) => e.attemptId === d.attemptId)),
    'with new attempt ids',
  );
  t.equal(h.sink.matching('Restarting job test job').length, 1);
  t.equal(h.sink.matching(/ClickEvent Counter \(1\/2\)#0 failed; restarting the job: Division by zero/).length, 1);
});

t.test('when the restart strategy is exhausted the job FAILS (fixed-delay, 1 attempt: the second failure)', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 2);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), {
    configuration: { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '1', 'restart-strategy.fixed-delay.delay': '1 s' },
  });
  await h.runAll();
  await h.fail(h.executionsOf(0)[0]!);
  await h.reportCanceled();
  h.executor.advanceTime(1000);
  await h.runAll();
  t.equal(job.status, 'RUNNING', 'the first failure is restarted');

  await h.fail(h.executionsOf(2)[1]!, 'again');
  t.equal(job.status, 'FAILING');
  await h.reportCanceled();
  t.equal(job.status, 'FAILED');
  t.equal(job.numRestarts, 1);
  t.equal(job.exceptions.length, 2);
  t.equal(h.resourceManager.getNumberFreeSlots(), 2, 'a failed job holds no slots');
  h.executor.advanceTime(10_000);
  await flush();
  t.equal(h.submitted().length, 12, 'and is not restarted');
  t.equal(h.sink.matching(/failing the job \(Restart with fixed delay \(1000 ms\)\. #1 restart attempts\.\): again/).length, 1);
});

t.test('without checkpointing and without a restart strategy the first failure fails the job', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 1));
  await h.runAll();
  t.equal(job.restartStrategyDescription, 'Restart deactivated.');
  await h.fail(h.executionsOf(1)[0]!);
  await h.reportCanceled();
  t.equal(job.status, 'FAILED');
  t.equal(job.numRestarts, 0);
});

t.test('a lost TaskManager (heartbeat timeout) fails its subtasks and the job restarts on the TaskManagers left', async (t) => {
  const h = JobMasterTestHarness.create(t);
  const tm1 = await h.registerTaskManager('tm-1', 2);
  const tm2 = await h.registerTaskManager('tm-2', 2);
  const heartbeatOfTm2 = h.heartbeats('tm-2');
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: FIXED_DELAY });
  await h.runAll();
  const onTm1 = h.executions().filter((e) => e.resourceId === 'tm-1');
  const onTm2 = h.executions().filter((e) => e.resourceId === 'tm-2');
  t.equal(onTm1.length, 3);

  h.executor.advanceTime(HEARTBEAT_TIMEOUT_MS - 10_000);
  heartbeatOfTm2();
  h.executor.advanceTime(10_000);
  await flush();
  t.equal(h.resourceManager.getTaskManager('tm-1'), undefined, 'tm-1 timed out, tm-2 heartbeated');
  t.equal(job.status, 'RESTARTING');
  for (const execution of onTm1) {
    t.equal(execution.state, 'FAILED');
    t.match(execution.failure, { name: 'TaskManagerLostError', message: /heartbeat of TaskManager with id tm-1 timed out/ });
  }
  t.same(tm1.cancelled, [], 'nothing is sent to the lost TaskManager');
  t.same(
    [...tm2.cancelled].sort(),
    onTm2.map((e) => e.attemptId).sort(),
  );
  t.match(job.exceptions, [{ exceptionName: 'TaskManagerLostError', taskManagerId: 'tm-1' }]);

  await h.reportCanceled();
  h.executor.advanceTime(2000);
  await h.deployed();
  const redeployed = h.currentDescriptors();
  t.equal(redeployed.length, 6);
  t.same(
    tm2.submitted
      .filter((d) => d.attemptNumber === 1)
      .map((d) => `subtask ${d.subtaskIndex} in slot ${d.slotIndex}`)
      .sort(),
    [...Array(3).fill('subtask 0 in slot 0'), ...Array(3).fill('subtask 1 in slot 1')],
    'both slot-sharing groups now run on tm-2, one per slot',
  );
  t.same(tm1.submitted.length, 3, 'nothing new went to tm-1');
});

t.test('a TaskManager lost while its subtasks are being cancelled ends them, and the restart goes on', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: FIXED_DELAY });
  await h.runAll();
  await h.fail(h.executionsOf(0)[0]!);
  await h.report(
    'CANCELED',
    h.executions().filter((e) => e.state === 'CANCELING' && e.resourceId === 'tm-1'),
  );
  t.equal(job.status, 'RESTARTING');

  const registrationId = h.resourceManager.getTaskManager('tm-2')!.registrationId;
  await h.resourceManager.disconnectTaskManager('tm-2', registrationId, 'TaskExecutor killed');
  await flush();
  t.same(new Set(h.executions().map((e) => e.isTerminal())), new Set([true]), 'its cancelling subtasks count as ended');
  t.equal(job.numRestarts, 0, 'the loss during the restart is not another restart');
  await h.registerTaskManager('tm-3', 1);
  h.executor.advanceTime(2000);
  await h.deployed();
  t.equal(job.numRestarts, 1);
  t.same(
    new Set(h.currentDescriptors().map((d) => d.attemptNumber)),
    new Set([1]),
  );
});

t.test('a TaskManager rejecting several deployments does not leave the job waiting for cancellations that never come', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager(
    'tm-2',
    1,
    TestingTaskExecutorGateway.builder().setSubmitTaskFunction(async () => {
      throw new Error('TaskExecutor tm-2 runs 0 subtasks, as many as it has threads for');
    }),
  );
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: FIXED_DELAY });
  await flush();
  t.equal(job.status, 'RESTARTING');
  t.equal(job.exceptions.length, 1, 'the first rejection fails the job over');
  const onTm2 = h.executions().filter((e) => e.resourceId === 'tm-2');
  t.equal(onTm2.length, 3);
  t.same(
    new Set(onTm2.map((e) => e.isTerminal())),
    new Set([true]),
    'a subtask whose deployment was rejected never ran: it is over, whether it failed or was being cancelled by then',
  );

  // Only tm-1 ran subtasks: only it reports them cancelled.
  await h.report(
    'CANCELED',
    h.executions().filter((e) => e.state === 'CANCELING' && e.resourceId === 'tm-1'),
  );
  h.executor.advanceTime(2000);
  await flush();
  t.equal(job.numRestarts, 1, 'the job restarted');
  t.ok(
    h.submitted().some((d) => d.attemptNumber === 1),
    'and deployed new attempts',
  );
});

t.test('a TaskManager that leaves between the slot allocation and the deployment of a restart does not hang the job', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: FIXED_DELAY });
  await h.runAll();
  await h.fail(h.executionsOf(0)[0]!);
  await h.reportCanceled();

  // The restart allocates both slots, then picks the checkpoint to restore from (asynchronous); tm-2 leaves meanwhile.
  h.executor.advanceTime(2000);
  t.equal(h.resourceManager.getNumberFreeSlots(), 0, 'the slots are allocated');
  const registrationId = h.resourceManager.getTaskManager('tm-2')!.registrationId;
  await h.resourceManager.disconnectTaskManager('tm-2', registrationId, 'TaskExecutor killed');
  await flush(20);
  t.notOk(
    h.submitted().some((d) => d.attemptNumber === 1 && d.subtaskIndex === 1),
    'nothing is deployed to the TaskManager that left',
  );

  await h.registerTaskManager('tm-3', 1);
  h.executor.advanceTime(2000);
  await h.deployed();
  t.equal(job.status, 'RUNNING');
  t.same(
    new Set(h.currentDescriptors().map((d) => d.allocationId)).size,
    2,
    'the job runs again, in two slots',
  );
  t.equal(h.resourceManager.getNumberFreeSlots(), 0, "and holds no slot it doesn't use");
  t.same(
    h.currentDescriptors()
      .map((d) => h.resourceManager.getTaskManager(h.jobMaster.graph.execution(d.attemptId)!.resourceId!) !== undefined)
      .every(Boolean),
    true,
    'on TaskManagers that are registered',
  );
});

t.test('a subtask that fails while being cancelled completes its cancellation: no second failure, the restart goes on', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 2);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: FIXED_DELAY });
  await h.runAll();
  await h.fail(h.executionsOf(0)[0]!, 'The TaskManager is lost');
  const cancelling = h.executions().filter((e) => e.state === 'CANCELING');
  // A consumer of the lost producer fails on its own before its cancellation ends (a RemoteTransportException).
  await h.fail(cancelling[0]!, 'Connection unexpectedly closed by remote task manager');
  t.equal(cancelling[0]!.state, 'CANCELED');
  t.equal(job.exceptions.length, 1, 'the root cause stays the only exception');
  await h.reportCanceled();
  h.executor.advanceTime(2000);
  await h.runAll();
  t.equal(job.status, 'RUNNING');
  t.equal(job.numRestarts, 1);
});
