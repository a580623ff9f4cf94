import t from 'tap';
import { PendingCheckpoint, type CheckpointRequest } from '../../../../src/master/checkpoint/PendingCheckpoint.js';
import { ExecutionGraph } from '../../../../src/master/executiongraph/ExecutionGraph.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';
import { ManualClock } from '../../../testing/time/ManualClock.js';

async function graph() {
  const jobGraph = await jobGraphOf(clickEventCountShape({ checkpointInterval: 1000 }), 2);
  return { jobGraph, graph: new ExecutionGraph(jobGraph, new ManualClock()) };
}

const split = (position: string) => ({ splits: [{ splitId: 'input-0', position }] });

t.test('each task acknowledges once: a second acknowledgement is a duplicate, another attempt is unknown', async (t) => {
  const { graph: g, jobGraph } = await graph();
  const executions = g.allExecutions();
  const pending = new PendingCheckpoint(3, 1234, '/checkpoints/chk-3', undefined, executions);
  const [source0, source1] = g.vertices[0]!.executions;
  const sourceOperator = jobGraph.vertices[0]!.operators[0]!.operatorId;

  t.same(pending.acknowledgeTask(source1!.attemptId, { operators: { [sourceOperator]: split('b') } }), { result: 'SUCCESS', execution: source1 });
  t.same(pending.acknowledgeTask(source1!.attemptId, { operators: { [sourceOperator]: split('changed') } }), { result: 'DUPLICATE' });
  t.same(pending.acknowledgeTask('f'.repeat(32), { operators: {} }), { result: 'UNKNOWN' });
  t.notOk(pending.isAwaiting(source1!.attemptId));
  t.ok(pending.isAwaiting(source0!.attemptId));
  t.equal(pending.tasks().length, 6, 'every task of the checkpoint, acknowledged or not');

  for (const execution of executions.filter((e) => e !== source1)) {
    t.notOk(pending.isFullyAcknowledged);
    pending.acknowledgeTask(execution.attemptId, { operators: execution === source0 ? { [sourceOperator]: split('a') } : {} });
  }
  t.ok(pending.isFullyAcknowledged);
  t.same(pending.toMetadata('job'), {
    jobId: 'job',
    checkpointId: 3,
    timestamp: 1234,
    isSavepoint: false,
    operators: { [sourceOperator]: { parallelism: 2, maxParallelism: 128, subtasks: { 0: split('a'), 1: split('b') } } },
  }, 'state by subtask index; the duplicate did not overwrite the first acknowledgement');
});

t.test('a disposed checkpoint takes no acknowledgements and cancels its timeout', async (t) => {
  const { graph: g } = await graph();
  const [execution] = g.allExecutions();
  const pending = new PendingCheckpoint(1, 0, '/chk-1', undefined, [execution!]);
  let cancelled = 0;
  pending.timeout = { cancel: () => void cancelled++ };
  pending.dispose();
  t.ok(pending.isDisposed);
  t.equal(cancelled, 1);
  t.same(pending.acknowledgeTask(execution!.attemptId, { operators: {} }), { result: 'UNKNOWN' });
  t.notOk(pending.isFullyAcknowledged);
});

t.test('its type follows the request: checkpoint, savepoint, or stop-with-savepoint', async (t) => {
  const { graph: g } = await graph();
  const request = (terminate: boolean | undefined): CheckpointRequest => ({
    savepoint: terminate === undefined ? undefined : { targetDirectory: '/sp', terminate, drain: false },
    resolve: () => undefined,
    reject: () => undefined,
  });
  const typeOf = (r: CheckpointRequest | undefined) => new PendingCheckpoint(1, 0, '/x', r, g.allExecutions()).type;
  t.same([typeOf(undefined), typeOf(request(undefined)), typeOf(request(false)), typeOf(request(true))], ['CHECKPOINT', 'CHECKPOINT', 'SAVEPOINT', 'SYNC_SAVEPOINT']);
  t.equal(new PendingCheckpoint(1, 0, '/x', request(true), []).toMetadata('j').isSavepoint, true);
});
