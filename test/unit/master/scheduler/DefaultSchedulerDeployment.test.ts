import t from 'tap';
import { JOB_MASTER_ADDRESS, JobMasterTestHarness, flush } from '../../../testing/runtime/JobMasterTestHarness.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';
import { TestingTaskExecutorGateway } from '../../../testing/runtime/TestingTaskExecutorGateway.js';

t.test('with enough slots every subtask is deployed once, subtask i of every vertex into slot i', async (t) => {
  const h = JobMasterTestHarness.create(t);
  const tm1 = await h.registerTaskManager('tm-1', 2);
  const tm2 = await h.registerTaskManager('tm-2', 2);
  const jobGraph = await jobGraphOf(clickEventCountShape(), 2);
  const job = h.startJob(jobGraph);
  await h.deployed();

  t.equal(job.status, 'RUNNING');
  t.equal(h.submitted().length, 6, 'three vertices × parallelism 2, each deployed once');
  t.same(
    tm1.submitted.map((d) => [d.vertexName, d.subtaskIndex]),
    [
      ['ClickEvent Source', 0],
      ['ClickEvent Counter', 0],
      ['ClickEventStatistics Sink', 0],
    ],
    'subtask 0 of every vertex shares the slot on tm-1',
  );
  t.same(
    tm2.submitted.map((d) => [d.vertexName, d.subtaskIndex]),
    [
      ['ClickEvent Source', 1],
      ['ClickEvent Counter', 1],
      ['ClickEventStatistics Sink', 1],
    ],
    'subtask 1 on tm-2: the job is spread over both',
  );
  for (const [resourceId, gateway] of [
    ['tm-1', tm1],
    ['tm-2', tm2],
  ] as const) {
    const [slot] = h.resourceManager.slotManager.slotsOf(resourceId);
    t.same(
      gateway.submitted.map((d) => [d.slotIndex, d.allocationId]),
      Array(3).fill([0, slot!.allocationId]),
      `every descriptor on ${resourceId} names the one slot allocated to the job there`,
    );
    t.equal(slot!.jobId, job.jobId);
  }
  t.equal(h.resourceManager.getNumberFreeSlots(), 2);

  for (const execution of h.executions()) {
    const d = h.descriptorOf(execution);
    t.match(
      d,
      {
        jobId: job.jobId,
        jobName: 'test job',
        vertexId: execution.vertex.jobVertex.id,
        parallelism: 2,
        maxParallelism: 128,
        attemptId: execution.attemptId,
        attemptNumber: 0,
        planHash: jobGraph.planHash,
        jobMasterAddress: JOB_MASTER_ADDRESS,
        programArgs: ['--test'],
        taskRestore: undefined,
      },
      `${execution.displayName}'s descriptor`,
    );
    t.equal(execution.state, 'DEPLOYING');
    t.equal(execution.location!.resourceId, execution.subtaskIndex === 0 ? 'tm-1' : 'tm-2');
  }
});

t.test('channels: HASH edges connect every pair, FORWARD edges subtask i to subtask i, with the peers’ data addresses', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager('tm-2', 1);
  const jobGraph = await jobGraphOf(clickEventCountShape(), 2);
  h.startJob(jobGraph);
  await h.deployed();
  const dataAddress = { 'tm-1': '10.0.0.1:6121', 'tm-2': '10.0.0.2:6121' } as Record<string, string>;
  t.equal(h.resourceManager.getTaskManager('tm-1')!.dataAddress, dataAddress['tm-1']);
  const [sources, counters, sinks] = [h.executionsOf(0), h.executionsOf(1), h.executionsOf(2)];
  const [sourceVertex, counterVertex, sinkVertex] = jobGraph.vertices;
  const addressOf = (e: (typeof sources)[number]) => dataAddress[e.resourceId!]!;

  for (const source of sources) {
    const d = h.descriptorOf(source);
    t.same(d.inputs, [], 'a source reads no channels');
    t.match(
      d.outputs,
      [
        {
          targetVertexId: counterVertex!.id,
          shipStrategy: 'HASH',
          channels: counters.map((c) => ({ channelId: `${source.attemptId}-${c.attemptId}`, peerAddress: addressOf(c) })),
          targetParallelism: 2,
          targetMaxParallelism: 128,
        },
      ],
      `${source.displayName} writes to every counter`,
    );
  }
  for (const counter of counters) {
    const d = h.descriptorOf(counter);
    t.match(
      d.inputs,
      [{ sourceVertexId: sourceVertex!.id, channels: sources.map((s) => ({ channelId: `${s.attemptId}-${counter.attemptId}`, peerAddress: addressOf(s) })) }],
      `${counter.displayName} reads every source`,
    );
    const sink = sinks[counter.subtaskIndex]!;
    t.match(d.outputs, [
      { targetVertexId: sinkVertex!.id, shipStrategy: 'FORWARD', channels: [{ channelId: `${counter.attemptId}-${sink.attemptId}`, peerAddress: addressOf(sink) }], targetParallelism: 2, targetMaxParallelism: 128 },
    ]);
  }
  for (const sink of sinks) {
    const counter = counters[sink.subtaskIndex]!;
    t.match(h.descriptorOf(sink).inputs, [{ sourceVertexId: counterVertex!.id, channels: [{ channelId: `${counter.attemptId}-${sink.attemptId}`, peerAddress: addressOf(counter) }] }]);
    t.same(h.descriptorOf(sink).outputs, []);
  }
  t.not(addressOf(sources[0]!), addressOf(sources[1]!), 'the two ends of a channel across TaskManagers have different peers');

  // Every channel has a subscription secret: 32 hex digits, the same at both ends, different from every other channel's.
  const secrets = new Map<string, Set<string>>();
  for (const d of h.submitted()) {
    for (const c of [...d.inputs, ...d.outputs].flatMap((gate) => gate.channels)) {
      if (!secrets.has(c.channelId)) secrets.set(c.channelId, new Set());
      secrets.get(c.channelId)!.add(c.subscriptionSecret);
    }
  }
  t.equal(secrets.size, 2 * 2 + 2, 'HASH: 4 channels, FORWARD: 2');
  for (const [channelId, ofChannel] of secrets) {
    t.equal(ofChannel.size, 1, `both ends of ${channelId} have the same secret`);
    t.match([...ofChannel][0], /^[0-9a-f]{32}$/);
  }
  t.equal(new Set([...secrets.values()].map((set) => [...set][0])).size, secrets.size, 'no two channels share a secret');
});

t.test('with too few slots the job stays RUNNING with its tasks SCHEDULED, and deploys once a TaskManager registers', async (t) => {
  const h = JobMasterTestHarness.create(t);
  const tm1 = await h.registerTaskManager('tm-1', 1);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2));
  await flush();
  h.executor.advanceTime(30_000); // within heartbeat.timeout: tm-1 stays
  await flush();
  t.equal(job.status, 'RUNNING');
  t.same(new Set(h.states()), new Set(['SCHEDULED']));
  t.same(tm1.submitted, [], 'nothing is deployed into the one slot there is');
  t.equal(h.resourceManager.getNumberFreeSlots(), 1, 'and no slot is held while waiting');
  t.equal(h.sink.matching('Waiting for slots: 2 needed, 1 available').length, 1);

  const tm2 = await h.registerTaskManager('tm-2', 1);
  await h.deployed();
  t.equal(tm1.submitted.length + tm2.submitted.length, 6);
  t.equal(h.resourceManager.getNumberFreeSlots(), 0);
  t.same(
    h.submitted().map((d) => d.attemptNumber),
    Array(6).fill(0),
    'the first attempts are deployed, no restart was needed',
  );
});

t.test('a deployment the TaskExecutor rejects fails its execution with a DeploymentError naming the TaskExecutor', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 1);
  await h.registerTaskManager(
    'tm-2',
    1,
    TestingTaskExecutorGateway.builder().setSubmitTaskFunction(async (d) => {
      if (d.vertexName === 'ClickEventStatistics Sink') throw new Error('No free thread for the sink');
    }),
  );
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '3' } });
  await flush();
  const sink = h.executionsOf(2)[1]!;
  t.equal(sink.state, 'FAILED');
  t.match(sink.failure, {
    name: 'DeploymentError',
    message: 'Could not deploy ClickEventStatistics Sink (2/2)#0 to 10.0.0.2:6122: No free thread for the sink',
  });
  t.match(job.exceptions, [{ exceptionName: 'DeploymentError', taskName: 'ClickEventStatistics Sink (2/2)#0', location: '10.0.0.2:6122', taskManagerId: 'tm-2' }]);
  t.equal(job.status, 'RESTARTING', 'the failure goes to failover like any other');
  t.same(
    h.executions()
      .filter((e) => e !== sink)
      .map((e) => e.state),
    Array(5).fill('CANCELING'),
  );
});

t.test('state updates of an earlier attempt are not accepted', async (t) => {
  const h = JobMasterTestHarness.create(t);
  await h.registerTaskManager('tm-1', 2);
  const job = h.startJob(await jobGraphOf(clickEventCountShape(), 2), { configuration: { 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.delay': '1 s' } });
  await h.runAll();
  const firstAttempts = h.executions();
  await h.fail(firstAttempts[0]!);
  await h.reportCanceled();
  h.executor.advanceTime(1000);
  await h.deployed();
  t.same(
    h.executions().map((e) => e.attemptNumber),
    Array(6).fill(1),
  );

  const stale = await h.report('FAILED', firstAttempts.slice(1, 2));
  t.same(stale, [false], 'the JobMaster says it does not know the attempt');
  const finished = await h.report('FINISHED', firstAttempts);
  t.same(finished, Array(6).fill(false));
  t.equal(job.status, 'RUNNING', 'a late failure of the old attempt does not fail the job again');
  t.equal(job.numRestarts, 1);
  t.same(new Set(h.states()), new Set(['DEPLOYING']), 'nor does it change the new attempts');
  t.same(await h.report('RUNNING', h.executions().slice(0, 1)), [true], 'the new attempts are accepted');
});
