// A job a new leader recovered while its TaskManagers kept its subtasks running (HA): it reconciles with what they
// report when they register instead of restarting; where that is impossible it falls back to Flink's restart.
import { createHash } from 'node:crypto';
import t, { type Test } from 'tap';
import type { JobGraphDescription } from '../../../../src/graph/JobGraph.js';
import { StandaloneCheckpointIDCounter } from '../../../../src/master/checkpoint/CheckpointIDCounter.js';
import { StandaloneCompletedCheckpointStore } from '../../../../src/master/checkpoint/CompletedCheckpointStore.js';
import type { ExecutionState } from '../../../../src/master/executiongraph/ExecutionState.js';
import type { SlotStatus } from '../../../../src/master/resourcemanager/types.js';
import { CHECKPOINT_TICK_MS, JobMasterTestHarness, flush } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';

const hex = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 32);
const JOB_ID = hex('job');
const RECONCILIATION_TIMEOUT_MS = 20_000;

/** Slot `slotIndex` of a TaskManager that kept subtask `subtaskIndex` of every vertex running (attempt #3). */
function keptSlot(graph: JobGraphDescription, subtaskIndex: number, slotIndex = 0, states: Record<string, ExecutionState> = {}): SlotStatus {
  return {
    slotIndex,
    allocationId: hex(`allocation-${subtaskIndex}`),
    jobId: JOB_ID,
    tasks: graph.vertices.map((v) => ({
      attemptId: hex(`${v.id}-${subtaskIndex}`),
      vertexId: v.id,
      subtaskIndex,
      attemptNumber: 3,
      state: states[v.name] ?? 'RUNNING',
      ...(states[v.name] === 'FAILED' ? { failure: { name: 'IOException', message: 'disk full', stack: 'IOException: disk full' } } : {}),
    })),
  };
}

async function recovered(t: Test, latestCheckpoint?: number) {
  const h = JobMasterTestHarness.create(t);
  const graph = await jobGraphOf(clickEventCountShape({ checkpointInterval: 1000 }), 2);
  const idCounter = new StandaloneCheckpointIDCounter();
  const store = new StandaloneCompletedCheckpointStore(1, h.log);
  if (latestCheckpoint !== undefined) {
    await idCounter.setCount(latestCheckpoint + 1);
    await store.addCheckpoint({ checkpointId: latestCheckpoint, timestamp: 0, directory: `${h.directory}/chk-${latestCheckpoint}`, stateFiles: [] });
  }
  const job = h.startJob(graph, { jobId: JOB_ID, reconcileWithinMs: RECONCILIATION_TIMEOUT_MS, checkpointStores: { idCounter, store } });
  return { h, graph, job };
}

t.test('a recovered job takes over the subtasks its TaskManagers report: RECONCILING, then RUNNING with the same attempts, none deployed or restarted', async (t) => {
  const { h, graph, job } = await recovered(t, 7);
  t.equal(job.status, 'RECONCILING');
  t.same(new Set(h.states()), new Set(['RECONCILING']));

  const tm1 = await h.registerTaskManager('tm-1', 1, undefined, [keptSlot(graph, 0)]);
  t.equal(job.status, 'RECONCILING', 'half of the subtasks reported');
  t.same(h.executionsOf(0).map((e) => e.state), ['RUNNING', 'RECONCILING']);
  const tm2 = await h.registerTaskManager('tm-2', 1, undefined, [keptSlot(graph, 1)]);
  t.equal(job.status, 'RUNNING', 'every subtask reported');

  t.equal(h.submitted().length, 0, 'nothing deployed');
  t.equal(job.numRestarts, 0);
  t.same(
    h.executions().map((e) => [e.attemptId, e.attemptNumber, e.resourceId]),
    graph.vertices.flatMap((v) => [0, 1].map((i) => [hex(`${v.id}-${i}`), 3, `tm-${i + 1}`])),
    'the reported attempts, where they run',
  );
  t.equal(h.resourceManager.getNumberFreeSlots(), 0, 'the job holds the slots they run in');
  t.same(tm1.completedNotifications, [{ attemptIds: graph.vertices.map((v) => hex(`${v.id}-0`)), checkpointId: 7 }], 'told of the latest completed checkpoint (sinks commit it)');
  t.same(tm2.completedNotifications, [{ attemptIds: graph.vertices.map((v) => hex(`${v.id}-1`)), checkpointId: 7 }]);

  const triggers = await h.triggerCheckpoint(8, 1000 + CHECKPOINT_TICK_MS);
  t.same(triggers.map((trigger) => trigger.attemptId).sort(), h.sourceExecutions().map((e) => e.attemptId).sort(), 'checkpointing goes on with the next id');

  const late = await h.registerTaskManager('tm-3', 1, undefined, [keptSlot(graph, 0)]);
  t.same(job.onTaskManagerRegistered(h.resourceManager.getTaskManager('tm-3')!), [], 'a running job takes over nothing more');
  t.same(late.submitted, []);
  t.equal(h.sink.matching(/Reconciled job test job \(\w+\): all 6 subtasks run on, none restarted\./).length, 1);
});

t.test('a subtask that failed while no JobManager led: every reported attempt is cancelled and the job restarts, not counted as a restart', async (t) => {
  const { h, graph, job } = await recovered(t);
  const tm1 = await h.registerTaskManager('tm-1', 1, undefined, [keptSlot(graph, 0, 0, { 'ClickEvent Counter': 'FAILED' })]);
  t.equal(job.status, 'RESTARTING');
  t.same(tm1.cancelled.sort(), graph.vertices.filter((v) => v.name !== 'ClickEvent Counter').map((v) => hex(`${v.id}-0`)).sort(), 'the running ones are cancelled');
  t.match(job.exceptions, [{ exceptionName: 'JobReconciliationError', taskName: 'ClickEvent Counter (1/2)#3', taskManagerId: 'tm-1' }]);
  t.match(job.exceptions[0]!.stacktrace, /ClickEvent Counter \(1\/2\)#3 ended FAILED while no JobManager led: disk full/);

  await h.reportCanceled();
  h.executor.advanceTime(0);
  await h.registerTaskManager('tm-2', 1);
  await flush();
  t.equal(h.submitted().length, 0, 'the slot tm-1 reported stays taken while its subtasks may still run');
  h.heartbeats('tm-1')([{ slotIndex: 0, allocationId: '', jobId: '' }]);
  await h.runAll();
  t.equal(job.status, 'RUNNING');
  t.equal(job.numRestarts, 0, 'the loss of the leader is no failure of the job');
  t.equal(h.currentDescriptors().length, 6, 'every subtask deployed anew');
  const triggers = await h.triggerCheckpoint(1, 1000 + CHECKPOINT_TICK_MS);
  t.equal(triggers.length, 2, 'and checkpointed');
  t.same(
    h.executions().map((e) => [e.subtaskIndex, e.attemptNumber]),
    graph.vertices.flatMap(() => [[0, 4], [1, 1]]),
    'the next attempt numbers: after the reported #3, after the #0 never reported',
  );
});

t.test('subtasks not reported within the reconciliation timeout: the job restarts from its latest checkpoint', async (t) => {
  const { h, graph, job } = await recovered(t);
  const tm1 = await h.registerTaskManager('tm-1', 1, undefined, [keptSlot(graph, 0)]);
  h.executor.advanceTime(RECONCILIATION_TIMEOUT_MS - 1);
  await flush();
  t.equal(job.status, 'RECONCILING');
  h.executor.advanceTime(1);
  await flush();
  t.equal(job.status, 'RESTARTING');
  t.match(job.exceptions[0]!.stacktrace, /3 of 6 subtasks \(ClickEvent Source \(2\/2\)#0 among them\) were not reported by a TaskManager within 20000 ms\. Restarting it from its latest checkpoint\./);
  t.same(tm1.cancelled.length, 3);
  await h.reportCanceled();
  h.executor.advanceTime(0);
  await h.registerTaskManager('tm-2', 1);
  h.heartbeats('tm-1')([{ slotIndex: 0, allocationId: '', jobId: '' }]);
  await h.runAll();
  t.equal(job.status, 'RUNNING');
  t.equal(h.currentDescriptors().length, 6);
});

t.test('subtask i of the vertices reported in different slots cannot run on as it is: the job restarts', async (t) => {
  const { h, graph, job } = await recovered(t);
  const split = keptSlot(graph, 0);
  await h.registerTaskManager('tm-1', 2, undefined, [
    { ...split, tasks: split.tasks!.slice(0, 1) },
    { slotIndex: 1, allocationId: hex('another-allocation'), jobId: JOB_ID, tasks: split.tasks!.slice(1) },
  ]);
  t.equal(job.status, 'RESTARTING');
  t.match(job.exceptions[0]!.stacktrace, /reported in another slot than the other subtasks with index 0/);
});
