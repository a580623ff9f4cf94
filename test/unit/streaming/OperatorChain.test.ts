import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { MIN_WATERMARK } from '../../../src/job/watermarks.js';
import { TaskMetricGroup } from '../../../src/metrics/TaskMetricGroup.js';
import { decodeBatch } from '../../../src/streaming/BatchCodec.js';
import { OperatorChain } from '../../../src/streaming/OperatorChain.js';
import type { FromTaskThread } from '../../../src/taskmanager/task/thread-protocol.js';
import { CollectingSink } from '../../fixtures/jobs/connectors/CollectingSink.js';
import { READINGS, SINK_NAME, type Reading } from '../../fixtures/jobs/InMemoryChain.js';
import { descriptorForVertex, type VertexTaskOptions } from '../../testing/streaming/taskDescriptors.js';
import { ManualClock } from '../../testing/time/ManualClock.js';

const PROGRAM = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'InMemoryChain.ts');

async function chainOf(t: Test, options: Omit<VertexTaskOptions, 'program'>) {
  const dir = mkdtempSync(join(tmpdir(), 'operator-chain-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { descriptor, vertex } = await descriptorForVertex({ program: PROGRAM, ...options }, join(dir, 'local'));
  const sent: FromTaskThread[] = [];
  const scheduled: string[] = [];
  const metricGroup = new TaskMetricGroup();
  const chain = await OperatorChain.create(descriptor, vertex, {
    send: (message) => sent.push(message),
    metricGroup,
    clock: new ManualClock(),
    registerProcessingTimer: () => undefined,
    currentWatermark: () => MIN_WATERMARK,
    sourceCallbacks: { schedule: () => scheduled.push('records'), onFatalError: (error) => t.fail(error.message) },
  });
  return { chain, vertex, sent, scheduled, metricGroup };
}

t.beforeEach(() => CollectingSink.reset());

t.test('map -> filter -> sink chain into one vertex; records flow through head to tail, in order', async (t) => {
  const { chain, vertex } = await chainOf(t, { vertexName: 'Times Ten -> Drop Thirty -> Collect', inputChannels: ['in'] });
  t.same(
    vertex.operators.map((n) => n.name),
    ['Times Ten', 'Drop Thirty', 'Collect'],
  );
  t.same(
    chain.operators.map((o) => o.name),
    ['Times Ten', 'Drop Thirty', 'Collect'],
    'the operators, head first',
  );
  t.equal(chain.writers.length, 0, 'a chain that ends in a sink has no record writers');
  t.equal(chain.source, undefined);
  t.equal(chain.keyedState, undefined, 'no keyed operator, no keyed state backend');
  t.equal(chain.operatorId(chain.operators[2]!), vertex.operators[2]!.operatorId);

  await chain.open();
  t.same(CollectingSink.events(SINK_NAME), ['open'], 'opening the chain opens the sink writer');
  chain.processElements(
    READINGS,
    READINGS.map((r) => r.time),
  );
  t.same(CollectingSink.records(SINK_NAME), [], 'the sink writes once per unit of work, on flush');
  await chain.flush();
  t.same(
    CollectingSink.records<Reading>(SINK_NAME).map((r) => `${r.sensor}:${r.value}`),
    ['a:10', 'b:20', 'c:40', 'b:50'],
    'mapped, filtered (30 dropped) and written in input order',
  );
  t.same(
    chain.operatorMetrics.map((g) => [g.operatorName, g.recordsIn, g.recordsOut]),
    [
      ['Times_Ten', 5, 5],
      ['Drop_Thirty', 5, 4],
      ['Collect', 4, 0],
    ],
    'each operator counts what it took and handed on',
  );

  chain.processWatermark(450);
  t.same(
    chain.operatorMetrics.map((g) => g.currentInputWatermark),
    [450, 450, 450],
    'the watermark passes every operator of the chain',
  );

  await chain.finishOperators();
  await chain.closeOperators();
  await chain.dispose();
  t.same(CollectingSink.events(SINK_NAME), ['open', 'close'], 'a clean end finishes the sink (close, not abort)');
});

t.test('a source chain: its records enter the chain behind the source and go to the record writers', async (t) => {
  const { chain, vertex, sent, scheduled } = await chainOf(t, { vertexName: 'Readings', outputChannels: ['out'] });
  t.same(
    vertex.operators.map((n) => n.transformation.operator.kind),
    ['source'],
  );
  t.same(chain.operators, [], 'the source is the head, not an operator of the list');
  t.equal(chain.sourceOperatorId, vertex.operators[0]!.operatorId);
  t.equal(chain.writers.length, 1, 'one record writer for the rebalance edge');

  await chain.open();
  t.same(scheduled, ['records'], 'the reader delivered records: the task is asked to process them');
  t.match(sent, [{ type: 'log', level: 'INFO', message: 'Reading splits [records-0].' }]);
  chain.emitSourceRecords();
  await chain.flush();
  t.same(sent.filter((m) => m.type === 'data'), [], 'a sealed batch waits for credit');
  t.ok(chain.addCredit('out', 1), 'the credit is for this chain');
  t.notOk(chain.addCredit('elsewhere', 1));
  const [batch] = sent.filter((m) => m.type === 'data') as Array<{ bytes: Uint8Array }>;
  t.same(decodeBatch(batch!.bytes), { values: READINGS, timestamps: READINGS.map((r) => r.time) }, 'the source assigned the timestamps');
  t.same(chain.operatorMetrics[0]!.recordsIn, 5);
  t.same(chain.source!.snapshotSplits(), [{ splitId: 'records-0', position: '5' }], 'the split resumes after the emitted records');
  await chain.closeQuietly();
});

t.test('a descriptor that does not match the job graph fails the chain', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'operator-chain-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { descriptor, vertex } = await descriptorForVertex({ program: PROGRAM, vertexName: 'Readings', outputChannels: ['out'] }, join(dir, 'local'));
  const wrong = { ...descriptor, outputs: [{ ...descriptor.outputs[0]!, targetVertexId: 'nowhere' }] };
  await t.rejects(
    OperatorChain.create(wrong, vertex, {
      send: () => undefined,
      metricGroup: new TaskMetricGroup(),
      clock: new ManualClock(),
      registerProcessingTimer: () => undefined,
      currentWatermark: () => MIN_WATERMARK,
      sourceCallbacks: { schedule: () => undefined, onFatalError: () => undefined },
    }),
    { message: `No edge from ${vertex.id} to nowhere in the job graph.` },
  );
});
