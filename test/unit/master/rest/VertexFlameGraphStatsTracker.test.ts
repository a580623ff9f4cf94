import t from 'tap';
import { Configuration } from '../../../../src/common/config/Configuration.js';
import { ExecutionJobVertex } from '../../../../src/master/executiongraph/ExecutionGraph.js';
import { flameGraphConfig, flameGraphTree, VertexFlameGraphStatsTracker, type FlameGraphConfig } from '../../../../src/master/rest/VertexFlameGraphStatsTracker.js';
import type { SubtaskStackSamples } from '../../../../src/taskmanager/TaskExecutorGateway.js';
import { clickEventCountShape, jobGraphOf } from '../../../testing/runtime/jobGraphs.js';
import { TestingTaskExecutorGateway } from '../../../testing/runtime/TestingTaskExecutorGateway.js';
import { testingLogger } from '../../../testing/runtime/TestingLogger.js';
import { settle } from '../../../testing/runtime/settle.js';
import { ManualClock } from '../../../testing/time/ManualClock.js';

const CONFIG: FlameGraphConfig = { refreshIntervalMs: 60_000, cleanupIntervalMs: 600_000, samplingDurationMs: 5000, stackDepth: 100 };
const JOB = 'a'.repeat(32);

t.test('stacks become a tree of frames, outermost first; the type picks on-CPU or idle samples; depth is cut', async (t) => {
  const samples = [
    { frames: ['run', 'process', 'parse'], count: 3 },
    { frames: ['run', 'process', 'hash'], count: 2 },
    { frames: ['run', 'emit'], count: 1 },
    { frames: ['(idle)'], count: 10 },
  ];
  t.same(flameGraphTree(samples, 'ON_CPU', 100), {
    name: 'root',
    value: 6,
    children: [
      {
        name: 'run',
        value: 6,
        children: [
          { name: 'process', value: 5, children: [{ name: 'parse', value: 3, children: [] }, { name: 'hash', value: 2, children: [] }] },
          { name: 'emit', value: 1, children: [] },
        ],
      },
    ],
  });
  t.same(flameGraphTree(samples, 'OFF_CPU', 100), { name: 'root', value: 10, children: [{ name: '(idle)', value: 10, children: [] }] });
  t.equal(flameGraphTree(samples, 'FULL', 100).value, 16);
  t.same(flameGraphTree(samples, 'ON_CPU', 1).children[0]!.children, [], 'stack-depth 1 keeps the outermost frame');
});

async function runningVertex(parallelism: number, gateways: TestingTaskExecutorGateway[]) {
  const graph = await jobGraphOf(clickEventCountShape(), parallelism);
  const vertex = new ExecutionJobVertex(graph.vertices[1]!, new ManualClock());
  vertex.executions.forEach((e, i) => {
    e.state = 'RUNNING';
    const gateway = gateways[i % gateways.length]!;
    e.location = { resourceId: `tm-${i % gateways.length}`, address: `127.0.0.1:${i}`, dataAddress: '', host: '127.0.0.1', gateway };
  });
  return vertex;
}

t.test('the first request samples every running subtask, one call per TaskExecutor, and answers waiting', async (t) => {
  const answers: Array<(samples: SubtaskStackSamples[]) => void> = [];
  const sampling = (attemptIds: readonly string[]) =>
    new Promise<SubtaskStackSamples[]>((resolve) => answers.push(() => resolve(attemptIds.map((attemptId, i) => ({ attemptId, samples: [{ frames: ['run', `work-${i}`], count: 4 }] })))));
  const gateways = [0, 1].map(() => TestingTaskExecutorGateway.builder().setRequestThreadInfoSamplesFunction(sampling).build());
  const vertex = await runningVertex(4, gateways);
  const clock = new ManualClock();
  const tracker = new VertexFlameGraphStatsTracker(CONFIG, clock, testingLogger().log);

  t.same(tracker.flameGraph(JOB, vertex, 'FULL', undefined), { endTimestamp: -3 });
  t.same(tracker.flameGraph(JOB, vertex, 'FULL', undefined), { endTimestamp: -3 }, 'still waiting; no second sampling');
  t.same(
    gateways.map((g) => g.samplings),
    [
      [{ attemptIds: [vertex.executions[0]!.attemptId, vertex.executions[2]!.attemptId], durationMs: 5000 }],
      [{ attemptIds: [vertex.executions[1]!.attemptId, vertex.executions[3]!.attemptId], durationMs: 5000 }],
    ],
  );
  clock.advanceTime(5000);
  for (const answer of answers) answer([]);
  await settle();
  const graph = tracker.flameGraph(JOB, vertex, 'FULL', undefined);
  t.same(graph, {
    endTimestamp: clock.now(),
    data: {
      name: 'root',
      value: 16,
      children: [{ name: 'run', value: 16, children: [{ name: 'work-0', value: 8, children: [] }, { name: 'work-1', value: 8, children: [] }] }],
    },
  });
  t.same(tracker.flameGraph(JOB, vertex, 'FULL', 1), { endTimestamp: clock.now(), data: { name: 'root', value: 4, children: [{ name: 'run', value: 4, children: [{ name: 'work-0', value: 4, children: [] }] }] } }, 'one subtask');
  t.equal(gateways[0]!.samplings.length, 1, 'a fresh graph is not sampled again');

  clock.advanceTime(60_000);
  t.equal(tracker.flameGraph(JOB, vertex, 'FULL', undefined).endTimestamp, clock.now() - 60_000, 'an old graph is served while the next sampling runs');
  t.equal(gateways[0]!.samplings.length, 2);
});

t.test('a TaskExecutor that cannot sample leaves its subtasks out; unread graphs are dropped after the cleanup interval', async (t) => {
  const good = TestingTaskExecutorGateway.builder()
    .setRequestThreadInfoSamplesFunction(async (ids) => ids.map((attemptId) => ({ attemptId, samples: [{ frames: ['run'], count: 1 }] })))
    .build();
  const bad = TestingTaskExecutorGateway.builder()
    .setRequestThreadInfoSamplesFunction(async () => {
      throw new Error('UNAVAILABLE: connection refused');
    })
    .build();
  const vertex = await runningVertex(2, [good, bad]);
  const clock = new ManualClock();
  const { log, sink } = testingLogger();
  const tracker = new VertexFlameGraphStatsTracker(CONFIG, clock, log);
  tracker.flameGraph(JOB, vertex, 'FULL', undefined);
  await settle();
  t.same(tracker.flameGraph(JOB, vertex, 'FULL', undefined), { endTimestamp: clock.now(), data: { name: 'root', value: 1, children: [{ name: 'run', value: 1, children: [] }] } });
  t.match(sink.matching('Could not sample'), [/WARN .*Could not sample the threads of ClickEvent Counter: UNAVAILABLE: connection refused/]);
  clock.advanceTime(600_000);
  t.same(tracker.flameGraph(JOB, vertex, 'FULL', undefined), { endTimestamp: -3 }, 'dropped, sampled anew');
});

t.test('a vertex without running subtasks is not sampled', async (t) => {
  const gateway = TestingTaskExecutorGateway.builder().build();
  const vertex = await runningVertex(1, [gateway]);
  vertex.executions[0]!.state = 'DEPLOYING';
  const tracker = new VertexFlameGraphStatsTracker(CONFIG, new ManualClock(), testingLogger().log);
  t.same(tracker.flameGraph(JOB, vertex, 'ON_CPU', undefined), { endTimestamp: -3 });
  t.same(gateway.samplings, []);
});

t.test("the sampling's length comes from rest.flamegraph.num-samples × delay-between-samples, at most 10 s", async (t) => {
  const config = (entries: Record<string, string>) => flameGraphConfig(new Configuration(Object.entries(entries)));
  t.match(config({}), { samplingDurationMs: 5000, refreshIntervalMs: 60_000, cleanupIntervalMs: 600_000, stackDepth: 100 }, "Flink's defaults: 100 × 50 ms");
  t.equal(config({ 'rest.flamegraph.num-samples': '20', 'rest.flamegraph.delay-between-samples': '100 ms' }).samplingDurationMs, 2000);
  t.throws(() => config({ 'rest.flamegraph.num-samples': '1000' }), /rest\.flamegraph\.num-samples × rest\.flamegraph\.delay-between-samples is 50000 ms; a flame graph's sampling lasts 1 ms to 10 s\./);
});
