import t from 'tap';
import { buildJobGraph, describeJobGraph } from '../../../src/graph/JobGraph.js';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, type Sink, type Source } from '../../../src/job/index.js';
import { runWithPipelineExecutor, type Pipeline } from '../../../src/job/transformations.js';

const source: Source<{ page: string }> = { connectorName: 'test', createReader: () => { throw new Error('not run'); } };
const sink: Sink<unknown> = { connectorName: 'test', createWriter: async () => { throw new Error('not run'); } };

async function pipelineOf(build: (env: StreamExecutionEnvironment) => void): Promise<Pipeline> {
  let captured: Pipeline | undefined;
  await runWithPipelineExecutor({ execute: async (p) => ((captured = p), { jobId: 'x' }) }, async () => {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    build(env);
    await env.execute('test job');
  });
  return captured!;
}

function clickCount(env: StreamExecutionEnvironment, chaining: boolean): void {
  if (!chaining) env.disableOperatorChaining();
  env
    .fromSource(source, WatermarkStrategy.forBoundedOutOfOrderness(200), 'ClickEvent Source')
    .keyBy((e) => e.page)
    .window(TumblingEventTimeWindows.of(15_000))
    .aggregate({ createAccumulator: () => 0, add: (_e, n: number) => n + 1, getResult: (n) => n, merge: (a, b) => a + b })
    .name('ClickEvent Counter')
    .sinkTo(sink)
    .name('ClickEventStatistics Sink');
}

t.test('vertices, ship strategies and chaining', async (t) => {
  const unchained = buildJobGraph(await pipelineOf((env) => clickCount(env, false)), { defaultParallelism: 2 });
  t.same(unchained.vertices.map((v) => v.name), ['ClickEvent Source', 'ClickEvent Counter', 'ClickEventStatistics Sink']);
  t.same(unchained.vertices.map((v) => v.inputs.map((e) => e.shipStrategy)), [[], ['HASH'], ['FORWARD']]);
  t.same(unchained.vertices.map((v) => v.parallelism), [2, 2, 2]);
  const chained = buildJobGraph(await pipelineOf((env) => clickCount(env, true)), { defaultParallelism: 2 });
  t.same(chained.vertices.map((v) => v.name), ['ClickEvent Source', 'ClickEvent Counter -> ClickEventStatistics Sink']);
});

t.test('operator ids are stable across runs and parallelism, and follow uid()', async (t) => {
  const a = buildJobGraph(await pipelineOf((env) => clickCount(env, false)), { defaultParallelism: 2 });
  const b = buildJobGraph(await pipelineOf((env) => clickCount(env, false)), { defaultParallelism: 3 });
  t.same(a.vertices.map((v) => v.id), b.vertices.map((v) => v.id), 'rescaling keeps the ids');
  t.not(a.planHash, b.planHash, 'but the plan differs');
  t.match(a.vertices[0]!.id, /^[0-9a-f]{32}$/);
  const withUid = buildJobGraph(
    await pipelineOf((env) => env.fromSource(source, WatermarkStrategy.noWatermarks(), 'S').uid('my-source').sinkTo(sink)),
    { defaultParallelism: 1 },
  );
  const again = buildJobGraph(
    await pipelineOf((env) => env.fromSource(source, WatermarkStrategy.noWatermarks(), 'Renamed').uid('my-source').map((x) => x).sinkTo(sink)),
    { defaultParallelism: 1 },
  );
  t.equal(withUid.vertices[0]!.operators[0]!.operatorId, again.vertices[0]!.operators[0]!.operatorId, 'uid wins over position and name');
});

t.test('programs that cannot run are refused with a clear message', async (t) => {
  t.throws(() => buildJobGraph({ jobName: 'x', sinks: [], config: { parallelism: undefined, maxParallelism: 128, chaining: true, checkpointInterval: undefined } }, { defaultParallelism: 1 }), {
    message: "The program didn't contain a Flink job. Perhaps you forgot to call execute() on the execution environment.",
  });
  const forward = await pipelineOf((env) => env.fromSource(source, WatermarkStrategy.noWatermarks(), 'S').forward().map((x) => x).setParallelism(3).sinkTo(sink));
  t.throws(() => buildJobGraph(forward, { defaultParallelism: 1 }), { message: /Forward partitioning does not allow change of parallelism/ });
  const tooWide = await pipelineOf((env) => env.setMaxParallelism(4).fromSource(source, WatermarkStrategy.noWatermarks(), 'S').sinkTo(sink));
  t.throws(() => buildJobGraph(tooWide, { defaultParallelism: 8 }), { message: /higher than its maximum parallelism \(4\)/ });
  await t.rejects(
    pipelineOf((env) => env.fromSource(source, WatermarkStrategy.noWatermarks(), 'S').uid('a').map((x) => x).uid('a').sinkTo(sink)).then((p) => buildJobGraph(p, { defaultParallelism: 1 })),
    { message: /Duplicate operator uid 'a'/ },
  );
});

t.test("the graph's description crosses threads (structured clone) where the graph with its functions cannot", async (t) => {
  const graph = buildJobGraph(await pipelineOf((env) => clickCount(env, false)), { defaultParallelism: 2 });
  t.throws(() => structuredClone(graph), { name: 'DataCloneError' }, 'key selectors and operators are functions');
  const described = structuredClone(describeJobGraph(graph));
  t.equal(described.planHash, graph.planHash);
  t.same(
    described.vertices.map((v) => [v.id, v.name, v.parallelism, v.maxParallelism, v.operators.map((n) => n.operatorId)]),
    graph.vertices.map((v) => [v.id, v.name, v.parallelism, v.maxParallelism, v.operators.map((n) => n.operatorId)]),
  );
  const [source, counter, sinkVertex] = described.vertices;
  t.equal(counter!.inputs[0]!.source, source, 'an edge joins the vertices of the description, also after the clone');
  t.equal(counter!.inputs[0], source!.outputs[0], 'one edge object, seen from both ends');
  t.equal(counter!.outputs[0]!.target, sinkVertex);
  t.same(described.vertices.map((v) => v.inputs.map((e) => e.shipStrategy)), [[], ['HASH'], ['FORWARD']]);
  t.notOk('keySelector' in counter!.inputs[0]!, 'no key selector');
  t.notOk('transformation' in counter!.operators[0]!, 'no transformation');
});
