import t from 'tap';
import { JobMasterTestHarness, flush, until } from '../../../testing/runtime/JobMasterTestHarness.js';
import { TestingTaskExecutorGateway } from '../../../testing/runtime/TestingTaskExecutorGateway.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';

t.test('cancel: CANCELLING, every subtask cancelled, CANCELED once every subtask reported CANCELED', async (t) => {
  const h = JobMasterTestHarness.create(t);
  const tm1 = await h.registerTaskManager('tm-1', 1);
  const tm2 = await h.registerTaskManager('tm-2', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2));
  await h.runAll();
  const executions = h.executions();

  job.cancel();
  t.equal(job.status, 'CANCELLING');
  t.same(
    [...tm1.cancelled, ...tm2.cancelled].sort(),
    executions.map((e) => e.attemptId).sort(),
    'every subtask is cancelled through its TaskExecutor',
  );
  await h.report('CANCELED', executions.slice(0, 5));
  t.equal(job.status, 'CANCELLING', 'not before the last one ended');
  t.equal(h.resourceManager.getNumberFreeSlots(), 0);

  await h.report('CANCELED', executions.slice(5));
  t.equal(job.status, 'CANCELED');
  t.equal(h.resourceManager.getNumberFreeSlots(), 2, 'the slots are freed');
  t.equal(job.details().endTime, h.clock.now());
  job.cancel();
  t.equal(job.status, 'CANCELED', 'cancelling again changes nothing');
  t.equal(tm1.cancelled.length + tm2.cancelled.length, 6);
  await t.rejects(job.triggerSavepoint(h.directory, false), /not running/, 'a cancelled job takes no savepoints');
  t.equal(h.sink.matching('switched from state CANCELLING to CANCELED').length, 1);
});

t.test('cancelling a job that waits for slots ends it at once', async (t) => {
  const h = JobMasterTestHarness.create(t);
  const tm1 = await h.registerTaskManager('tm-1', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2));
  await flush();
  job.cancel();
  t.equal(job.status, 'CANCELED');
  t.same(new Set(h.states()), new Set(['CANCELED']));
  t.same(tm1.cancelled, [], 'nothing was deployed, nothing to cancel');
  await h.registerTaskManager('tm-2', 1);
  await flush();
  t.same(h.submitted(), [], 'new slots do not deploy a cancelled job');
});

t.test('cancelling a job during its restart backoff ends it and stops the restart', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 2);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.delay': '5 s' } });
  await h.runAll();
  await h.fail(h.executionsOf(0)[0]!);
  await h.reportCanceled();
  t.equal(job.status, 'RESTARTING');
  job.cancel();
  t.equal(job.status, 'CANCELED');
  h.executor.advanceTime(10_000);
  await flush();
  t.equal(job.status, 'CANCELED');
  t.equal(h.submitted().length, 6, 'no new attempts');
  t.equal(h.resourceManager.getNumberFreeSlots(), 2);
});

t.test('when every subtask FINISHED the job is FINISHED and its slots are freed', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 2);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2));
  await h.runAll();
  t.equal(h.resourceManager.getNumberFreeSlots(), 1);

  await h.report('FINISHED', h.executionsOf(0));
  await h.report('FINISHED', h.executionsOf(1));
  t.equal(job.status, 'RUNNING', 'not while the sinks run');
  await h.report('FINISHED', h.executionsOf(2));
  t.equal(job.status, 'FINISHED');
  t.equal(h.resourceManager.getNumberFreeSlots(), 3);
  t.same(
    [...h.resourceManager.slotManager.slotsOf('tm-1'), ...h.resourceManager.slotManager.slotsOf('tm-2')].map((s) => s.jobId),
    ['', '', ''],
  );
  t.match(job.details(), { status: 'FINISHED', endTime: h.clock.now(), numTasks: 6, tasksPerState: { FINISHED: 6 } });
});

t.test('a cancellation during a deployment call waits for its answer: the deployed task is cancelled, a refused one is CANCELED', async (t) => {
  const h = JobMasterTestHarness.create(t);
  const answers: Array<{ resolve(): void; reject(error: Error): void }> = [];
  await h.registerTaskManager(
    'tm-1',
    1,
    TestingTaskExecutorGateway.builder().setSubmitTaskFunction(() => new Promise<void>((resolve, reject) => answers.push({ resolve, reject }))),
  );
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 1));
  await until('three deployment calls out', () => answers.length === 3);
  const [source, counter, sink] = h.executions();
  job.cancel();
  t.same(h.states(), ['CANCELING', 'CANCELING', 'CANCELING']);
  const tm = h.gateways.get('tm-1')!;
  t.same(tm.cancelled, [], 'no cancel overtakes its deployment');

  answers[0]!.resolve();
  answers[1]!.reject(new Error('no thread for it'));
  await flush();
  t.same(tm.cancelled, [source!.attemptId], 'the deployed task is cancelled once its deployment answered');
  t.equal(counter!.state, 'CANCELED', 'the refused one never ran: CANCELED at once');
  answers[2]!.resolve();
  await flush();
  t.same(tm.cancelled, [source!.attemptId, sink!.attemptId]);
  await h.report('CANCELED', [source!, sink!]);
  t.equal(job.status, 'CANCELED');
});
