// Savepoints are the users': a tsflink upgrade must restore the savepoints the version before wrote. The programs'
// job graphs (operator ids, plan hashes) must be what the golden plans say, and the golden savepoints of
// test/fixtures/savepoints/ must restore into running jobs that go on exactly where the old ones stopped.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runGenerator } from '../../src/client/generator/ClickEventGenerator.js';
import { TestingCluster } from '../testing/TestingCluster.js';
import { flinkCli as flink, kafka, parseWindows, readTopicUntil, waitForRunning, windowStartText } from '../testing/jobs.js';
import { REPO_ROOT, testRun } from '../testing/testRun.js';
import { getJson, waitFor } from '../testing/waitFor.js';

const VERSION = '0.1.0-cae3dfc';
const SAVEPOINTS = join(REPO_ROOT, 'test', 'fixtures', 'savepoints', VERSION);
const PAGES = 6;

interface GoldenPlan {
  program: string;
  args: string[];
  parallelism: number;
  planHash: string;
  vertices: unknown[];
}

/** The built package's own modules (what the JobManager runs), not the sources. */
const dist = async <T>(module: string): Promise<T> => (await import(pathToFileURL(join(REPO_ROOT, 'dist', module)).href)) as T;

t.test(`today's job graphs keep the operator ids and plan hashes of ${VERSION}`, async (t) => {
  const { bundleJob } = await dist<typeof import('../../src/client/JobBundler.js')>('client/JobBundler.js');
  const { storeJobModule } = await dist<typeof import('../../src/common/jobModules.js')>('common/jobModules.js');
  const { extractPipeline } = await dist<typeof import('../../src/graph/JobProgram.js')>('graph/JobProgram.js');
  const { buildJobGraph } = await dist<typeof import('../../src/graph/JobGraph.js')>('graph/JobGraph.js');
  const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'plans', `${VERSION}.json`), 'utf8')) as GoldenPlan[];
  const dir = mkdtempSync(join(tmpdir(), 'tsflink-plans-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const plan of golden) {
    const { code } = await bundleJob(join(REPO_ROOT, plan.program));
    const graph = buildJobGraph(await extractPipeline(storeJobModule(dir, code), plan.args), { defaultParallelism: plan.parallelism });
    const today = graph.vertices.map((v) => ({
      id: v.id,
      name: v.name,
      parallelism: v.parallelism,
      maxParallelism: v.maxParallelism,
      operators: v.operators.map((n) => ({ operatorId: n.operatorId, name: n.name, kind: n.transformation.operator.kind })),
      inputs: v.inputs.map((e) => ({ source: e.source.id, shipStrategy: e.shipStrategy })),
    }));
    t.same(today, plan.vertices, `${plan.program} ${plan.args.join(' ')} -p ${plan.parallelism}: vertices and operator ids`);
    t.equal(graph.planHash, plan.planHash, `${plan.program} ${plan.args.join(' ')}: plan hash`);
  }
});

t.test(`ClickEventCount restores its ${VERSION} savepoint: the pending window fires with its 1000 events, nothing is read twice`, async (t) => {
  // The savepoint was taken of a job reading topic golden-cec-input (split ids name the topic), after the 24 000
  // events of windows 0–3; window 3 waited in keyed state. Topics are fresh per test run (one broker per run).
  const input = 'golden-cec-input';
  const output = `golden-cec-output-${Date.now().toString(36)}`;
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  await runGenerator({ bootstrapServers: testRun().kafka.bootstrapServers, topic: input, rate: 0, maxWindows: 6 });

  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', input, '--output-topic', output, '--checkpointing', '--event-time'];
  const run = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '2', '-s', join(SAVEPOINTS, 'cec'), join(REPO_ROOT, 'examples', 'streaming', 'ClickEventCount.ts'), ...args]);
  t.equal(run.code, 0, run.stderr);
  const jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)![1]!;
  await waitForRunning(jm.restUrl, jobId, 6);
  t.match((await getJson(`${jm.restUrl}/jobs/${jobId}/checkpoints`)).body.latest.restored, { id: 3, is_savepoint: true });

  // Windows 3 (from the savepoint's state) and 4 (read after the savepoint's offsets) close; window 5 waits.
  const records = parseWindows(await readTopicUntil(output, (values) => values.length >= 2 * PAGES));
  t.same([...new Set(records.map((r) => r.windowStart))].sort(), [windowStartText(3), windowStartText(4)], 'no window of before the savepoint again');
  t.equal(records.length, 2 * PAGES, 'each page once per window');
  t.ok(records.every((r) => r.count === 1000), 'every window exactly 1000: the restored one holds the events counted before the savepoint');
});

t.test(`StatefulCounter restores its ${VERSION} savepoint: every kind of keyed state and the pending timers go on`, async (t) => {
  const input = 'golden-counter-input';
  const output = `golden-counter-output-${Date.now().toString(36)}`;
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 2 }, { topic: output, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka().producer();
  await producer.connect();
  // What the old job read (partition 0, offsets 0–5; the savepoint resumes at 6), then new records on both partitions.
  const old = ['a:1', 'a:2', 'b:3', 'c:4', 'a:5', 'b:6'];
  await producer.send({ topic: input, messages: [...old, 'a:7'].map((value) => ({ value, partition: 0 })) });
  await producer.send({ topic: input, messages: [{ value: 'y:3000', partition: 1 }] });
  await producer.send({ topic: input, messages: [{ value: 'x:2000', partition: 0 }] });
  await producer.disconnect();

  const cluster = new TestingCluster();
  t.teardown(() => cluster.close());
  const jm = await cluster.startJobManager();
  await cluster.startTaskManager(jm.rpcPort);
  await waitFor('TaskManager', async () => (await getJson(`${jm.restUrl}/overview`)).body.taskmanagers === 1);
  const args = ['--bootstrap.servers', testRun().kafka.bootstrapServers, '--input-topic', input, '--output-topic', output];
  const run = await flink(cluster, jm.restUrl, ['run', '-d', '-p', '2', '-s', join(SAVEPOINTS, 'counter'), join(REPO_ROOT, 'test', 'fixtures', 'jobs', 'StatefulCounter.ts'), ...args]);
  t.equal(run.code, 0, run.stderr);
  const jobId = /JobID ([0-9a-f]{32})/.exec(run.stdout)![1]!;
  await waitForRunning(jm.restUrl, jobId, 4); // Numbers; Running State -> Sink (chained)

  const values = await readTopicUntil(output, (v) => v.filter((line) => line.includes('"timer"')).length >= 3);
  const records = values.map((v) => JSON.parse(v) as Record<string, unknown>);
  const counts = records.filter((r) => 'count' in r);
  t.same(
    counts.find((r) => r.key === 'a'),
    { key: 'a', count: 4, lastThree: [2, 5, 7], parity: { odd: 3, even: 1 }, sum: 15, average: 3.75 },
    'key a goes on from its restored value, list, map, reducing and aggregating state',
  );
  t.notOk(counts.some((r) => r.key === 'a' && r.count !== 4), 'the records before the savepoint are not read again');
  t.same(
    records.filter((r) => 'timer' in r).map((r) => [r.key, r.timer]).sort(),
    [
      ['a', 1001],
      ['b', 1003],
      ['c', 1004],
    ],
    'the timers registered before the savepoint fire once the watermark passes them',
  );
});
